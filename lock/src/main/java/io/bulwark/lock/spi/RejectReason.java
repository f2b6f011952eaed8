package io.bulwark.lock.spi;

/** Why a backend refused an acquire without queueing it. */
public enum RejectReason {
    /** The name is in use with another kind or semaphore capacity ({@link io.bulwark.lock.LockModeConflictException}). */
    MODE_CONFLICT,
    /** A backend limit would be exceeded ({@link io.bulwark.lock.LockLimitExceededException}). */
    LIMIT_EXCEEDED,
    /**
     * The request is malformed for this backend, e.g. the owner id already holds or waits for the name
     * ({@link io.bulwark.lock.InvalidLockRequestException}).
     */
    INVALID_REQUEST
}
