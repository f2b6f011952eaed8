package io.bulwark.lock.spi;

/**
 * The answer to an {@link AcquireRequest}: granted, not granted within the wait, or refused. Backend
 * failures (unreachable, timed out, closed) are not outcomes: the future completes exceptionally with
 * {@link io.bulwark.lock.BackendUnavailableException}. Immutable; thread-safe.
 */
public sealed interface AcquireOutcome permits AcquireOutcome.Granted, AcquireOutcome.NotGranted,
        AcquireOutcome.Rejected {

    /**
     * The lock was granted.
     *
     * @param fencingToken    strictly greater than every token the backend issued earlier for this name
     * @param leaseNanos      the lease the backend applied, measured on its clock from when it granted
     * @param leaseStartNanos a reading of the backend's {@link LockBackend#timer()} clock that is no later
     *                        than the moment the backend started the lease; the client's lease deadline is
     *                        computed from it. The send time of the request that started the lease is
     *                        always correct; a backend sharing the client's clock may report the exact grant
     *                        time. A backend that pushes a grant to a waiter long after the request was sent
     *                        and cannot bound the start any better must report the request's send time (the
     *                        client then renews early).
     */
    record Granted(long fencingToken, long leaseNanos, long leaseStartNanos) implements AcquireOutcome {
        /** @throws IllegalArgumentException if the lease is not positive */
        public Granted {
            if (leaseNanos <= 0) {
                throw new IllegalArgumentException("granted leaseNanos must be positive, was " + leaseNanos);
            }
        }
    }

    /** The lock could not be granted within the request's wait (immediately, for a wait of zero). */
    record NotGranted() implements AcquireOutcome {
    }

    /**
     * The backend refused the request; nothing was acquired or queued.
     *
     * @param reason  the category
     * @param message what was wrong and what is allowed, for the exception the client throws
     */
    record Rejected(RejectReason reason, String message) implements AcquireOutcome {
        /** @throws IllegalArgumentException if a component is null */
        public Rejected {
            if (reason == null || message == null) {
                throw new IllegalArgumentException("rejection needs a reason and a message");
            }
        }
    }
}
