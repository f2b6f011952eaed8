/**
 * Primitives shared by every Bulwark module: checksums ({@link io.bulwark.core.Checksums}),
 * the injected time source ({@link io.bulwark.core.Clock}) and random source
 * ({@link io.bulwark.core.RandomSource}), and precondition helpers ({@link io.bulwark.core.Invariants}).
 *
 * <p>Protocol cores never read the system clock or an unseeded random generator directly; they are
 * handed a {@code Clock} and a {@code RandomSource} so that the simulator can drive them in virtual
 * time from a seed.
 */
package io.bulwark.core;
