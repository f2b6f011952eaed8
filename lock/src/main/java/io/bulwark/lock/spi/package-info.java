/**
 * The backend SPI: what a lock backend (in-memory, Redis, Bulwark cluster) implements so that
 * {@link io.bulwark.lock.LockClient} can drive it.
 *
 * <p>A backend is a thin, asynchronous request/response surface: {@link io.bulwark.lock.spi.LockBackend}
 * takes the four {@link io.bulwark.lock.spi.LockCommand}s (acquire, renew, release, abandon) and answers
 * each with an outcome record. Everything about leases that is not the backend's own state (the
 * client-side deadline and safety margin, the renewal watchdog, wait timeouts, cancellation, metrics)
 * lives once, in the client, so every backend gets it right by construction. The commands are plain
 * records so a consensus backend can put them in its replicated log and apply them to
 * {@link io.bulwark.lock.state.LockStateMachine} on every replica.
 *
 * <p>A backend is correct when it passes the contract kit ({@code io.bulwark.lock.kit} in the
 * {@code bulwark-lock} test-jar).
 */
package io.bulwark.lock.spi;
