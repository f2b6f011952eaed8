package io.bulwark.lock;

/**
 * The backend refused the request because one of its limits (number of lock names, waiters per lock)
 * was reached. Nothing was acquired or queued; retrying later may succeed. Limits exist so that a
 * misbehaving caller cannot grow the backend's memory without bound.
 */
public final class LockLimitExceededException extends LockException {

    /** @param message which limit and its value */
    public LockLimitExceededException(String message) {
        super(message, null);
    }
}
