/**
 * Lease locks with fencing tokens: the API every Bulwark lock backend is used through.
 *
 * <p>Start with {@link io.bulwark.lock.LockClient}: it turns a backend (the in-memory reference
 * backend in {@code io.bulwark.lock.memory}, or later Redis and the Bulwark cluster) into blocking,
 * non-blocking and asynchronous acquire calls that return a {@link io.bulwark.lock.LockLease}. The
 * lease, not the thread, owns the lock; it carries a {@linkplain io.bulwark.lock.LockLease#fencingToken()
 * fencing token} that strictly increases per lock name, so the protected resource can reject a holder
 * that paused past its lease (see {@link io.bulwark.lock.Fence}).
 *
 * <p>Kinds: exclusive, fair (FIFO), read-write and counting semaphores ({@link io.bulwark.lock.LockMode}),
 * each with a lease time and an optional renewal watchdog ({@link io.bulwark.lock.LockOptions}).
 * Bad input throws {@link io.bulwark.lock.InvalidLockRequestException} before anything is sent; every
 * other failure is a subclass of the sealed {@link io.bulwark.lock.LockException}.
 *
 * <p>Time comes only from a {@link io.bulwark.lock.LockTimer} (a monotonic {@link io.bulwark.core.Clock}
 * plus a scheduler), so tests and the simulator can drive leases in virtual time.
 *
 * <p>The exact guarantees and the assumptions they rest on are in the lock section of
 * {@code docs/GUARANTEES.md}.
 */
package io.bulwark.lock;
