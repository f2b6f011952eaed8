package io.bulwark.lock;

/**
 * A lock operation failed for a reason other than bad input (which is
 * {@link InvalidLockRequestException}). Sealed, so callers can handle every case:
 *
 * <ul>
 *   <li>{@link LockAcquisitionTimeoutException}: the wait timeout elapsed before the lock was granted;
 *   <li>{@link LockLostException}: a lease that was granted is no longer valid;
 *   <li>{@link BackendUnavailableException}: the backend could not be reached or has closed;
 *   <li>{@link LockModeConflictException}: the name is in use with another kind or semaphore capacity;
 *   <li>{@link LockLimitExceededException}: a backend limit (locks, waiters) would be exceeded.
 * </ul>
 *
 * <p>Unchecked: lock failures are handled where the business decision is made, not at every frame.
 */
public abstract sealed class LockException extends RuntimeException
        permits LockAcquisitionTimeoutException, LockLostException, BackendUnavailableException,
        LockModeConflictException, LockLimitExceededException {

    LockException(String message, Throwable cause) {
        super(message, cause);
    }
}
