package io.bulwark.lock;

/**
 * A lease that was granted is no longer valid: from this moment another holder may be granted the
 * lock, so work done under this lease must not be trusted unless the protected resource checked its
 * fencing token. Delivered to {@link LockLease#onLost} callbacks and thrown by
 * {@link LockLease#close()} and {@link LockLease#ensureValid()}.
 */
public final class LockLostException extends LockException {

    /** Why the lease was lost. */
    public enum Reason {
        /** The client-side lease deadline passed without a successful renewal (no renewal, or renewals failed). */
        EXPIRED,
        /** A renewal reached the backend and was refused: the backend no longer had this lease. */
        RENEWAL_REJECTED,
        /**
         * Release found that the backend no longer had this lease (it expired there and possibly went
         * to another owner). The other owner's lock was left untouched.
         */
        NOT_HELD_AT_RELEASE,
        /** The {@link LockClient} that owned the lease was closed while the lease was open. */
        CLIENT_CLOSED
    }

    private final String lockName;
    private final long fencingToken;
    private final Reason reason;

    /**
     * @param lockName     the lock whose lease was lost
     * @param fencingToken the token of the lost lease
     * @param reason       why
     * @param detail       operator-facing detail appended to the message
     */
    public LockLostException(String lockName, long fencingToken, Reason reason, String detail) {
        this(lockName, fencingToken, reason, "lease on lock '" + lockName + "' (fencing token " + fencingToken
                + ") was lost: " + reason + (detail.isEmpty() ? "" : " (" + detail + ")"), (Throwable) null);
    }

    private LockLostException(String lockName, long fencingToken, Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.lockName = lockName;
        this.fencingToken = fencingToken;
        this.reason = reason;
    }

    /** The lock whose lease was lost. */
    public String lockName() {
        return lockName;
    }

    /** The fencing token of the lost lease. */
    public long fencingToken() {
        return fencingToken;
    }

    /** Why the lease was lost. */
    public Reason reason() {
        return reason;
    }

    /** A fresh exception with the same facts, so that each throw site gets its own stack trace. */
    LockLostException copy() {
        return new LockLostException(lockName, fencingToken, reason, getMessage(), this);
    }
}
