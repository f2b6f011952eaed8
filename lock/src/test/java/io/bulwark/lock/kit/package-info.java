/**
 * The lock contract kit: the tests every {@link io.bulwark.lock.spi.LockBackend} must pass, published in
 * the {@code bulwark-lock} test-jar.
 *
 * <p>To run it against a backend, subclass {@link io.bulwark.lock.kit.LockBackendContractTest} and return a
 * {@link io.bulwark.lock.kit.LockBackendFixture} that creates a fresh backend, lets time pass (virtually,
 * with {@link io.bulwark.lock.kit.ManualLockTimer}, or in real time), and injects the faults the kit needs
 * (unreachable backend, lost state). The tests are grouped by concern in the {@code *Contract} interfaces,
 * whose default methods are the JUnit tests; the base class implements them all.
 *
 * <p>Timing tests are written against the fixture's clock: they never sleep, they let a stated amount of
 * time pass and then wait for a condition with a deadline, so they are exact in virtual time and bounded
 * in real time.
 */
package io.bulwark.lock.kit;
