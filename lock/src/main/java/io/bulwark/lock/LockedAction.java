package io.bulwark.lock;

/**
 * Work done while holding a lock, for {@link LockClient#withLock}. It receives the lease so that it can
 * pass the {@linkplain LockLease#fencingToken() fencing token} to the resource it writes.
 *
 * @param <T> the result
 * @param <E> the checked exception the work may throw ({@link RuntimeException} if none)
 */
@FunctionalInterface
public interface LockedAction<T, E extends Exception> {

    /** Does the work; called at most once, on the thread that called {@code withLock}. */
    T run(LockLease lease) throws E;
}
