package io.bulwark.lock;

import java.time.Duration;

/**
 * The wait timeout elapsed before the lock could be granted. The request has been withdrawn from the
 * backend: it holds nothing and waits for nothing on the caller's behalf.
 */
public final class LockAcquisitionTimeoutException extends LockException {

    private final String lockName;
    private final Duration waitTimeout;

    /**
     * @param lockName    the lock that was not granted
     * @param mode        what was asked for, for the message
     * @param waitTimeout how long the caller was willing to wait
     */
    public LockAcquisitionTimeoutException(String lockName, LockMode mode, Duration waitTimeout) {
        super("lock '" + lockName + "' (" + mode + ") was not granted within the wait timeout of "
                + waitTimeout.toMillis() + " ms", null);
        this.lockName = lockName;
        this.waitTimeout = waitTimeout;
    }

    /** The lock that was not granted. */
    public String lockName() {
        return lockName;
    }

    /** The wait timeout that elapsed. */
    public Duration waitTimeout() {
        return waitTimeout;
    }
}
