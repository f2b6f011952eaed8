/**
 * The lock state machine: who holds which lock, who waits in what order, which fencing token comes next,
 * and what expires when, as a deterministic function of its inputs.
 *
 * <p>{@link io.bulwark.lock.state.LockStateMachine} follows the project's one design rule: it never reads
 * a clock, sleeps, starts threads, draws random numbers or does I/O. Its inputs are the
 * {@link io.bulwark.lock.spi.LockCommand}s and {@code tick(now)} with the time supplied by the caller; its
 * output is a {@link io.bulwark.lock.state.Ready} listing what happened. The same commands at the same
 * times produce the same events, byte for byte. Drivers own the world: the in-memory backend drives it
 * with a lock and a timer; a consensus backend will apply the same commands on every replica.
 */
package io.bulwark.lock.state;
