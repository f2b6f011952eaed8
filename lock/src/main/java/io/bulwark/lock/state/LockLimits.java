package io.bulwark.lock.state;

/**
 * Bounds on what one {@link LockStateMachine} tracks, so that no caller can grow it without limit.
 * Requests beyond a limit are refused ({@link io.bulwark.lock.spi.RejectReason#LIMIT_EXCEEDED}), except
 * holders beyond {@code maxHoldersPerLock}, which wait like any other incompatible request.
 *
 * @param maxLocks          lock names in use (held or waited for) at once
 * @param maxWaitersPerLock queued requests per name
 * @param maxHoldersPerLock concurrent holders per name (readers, semaphore holders)
 */
public record LockLimits(int maxLocks, int maxWaitersPerLock, int maxHoldersPerLock) {

    /** @throws IllegalArgumentException if a limit is not positive */
    public LockLimits {
        if (maxLocks < 1 || maxWaitersPerLock < 1 || maxHoldersPerLock < 1) {
            throw new IllegalArgumentException("lock limits must be positive, were maxLocks=" + maxLocks
                    + ", maxWaitersPerLock=" + maxWaitersPerLock + ", maxHoldersPerLock=" + maxHoldersPerLock);
        }
    }

    /** 1,000,000 names, 10,000 waiters and 65,536 holders per name: a few hundred MB at the very worst. */
    public static LockLimits defaults() {
        return new LockLimits(1_000_000, 10_000, 65_536);
    }
}
