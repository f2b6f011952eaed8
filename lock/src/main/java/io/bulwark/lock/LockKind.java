package io.bulwark.lock;

/**
 * The kind of a lock name: which requests may hold it together and in what order waiters are served.
 *
 * <p>A name keeps its kind while anyone holds or waits for it; a request of another kind fails with
 * {@link LockModeConflictException}. Once a name is idle (no holder, no waiter) it is forgotten and may
 * be used with another kind, but its fencing tokens keep increasing.
 */
public enum LockKind {
    /**
     * One holder at a time. Waiters are not promised any order: the reference backend serves them
     * first-come first-served, but other backends may let a newcomer win a race after a release.
     */
    EXCLUSIVE,
    /** One holder at a time; waiters are granted strictly in the order their requests reached the backend. */
    FAIR,
    /**
     * Any number of readers or one writer. Waiters are served strictly in arrival order: a reader that
     * arrives while a writer waits queues behind that writer, so writers are never starved.
     */
    READ_WRITE,
    /**
     * A counting semaphore: holders together take at most {@code capacity} permits. Waiters are served
     * strictly in arrival order (a large request at the head is not overtaken by smaller ones).
     */
    SEMAPHORE
}
