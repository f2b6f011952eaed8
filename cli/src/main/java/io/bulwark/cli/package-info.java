/**
 * The {@code bulwark} command line (picocli): {@code demo}, {@code ring}, {@code bench},
 * {@code torture}.
 *
 * <p>Every command validates its options up front and exits 2 with a message on bad input, 1 when a
 * check it performs fails, and 0 when everything it did succeeded.
 */
package io.bulwark.cli;
