package io.bulwark.lock.spi;

/**
 * The answer to a {@link RenewRequest}. Backend failures complete the future exceptionally with
 * {@link io.bulwark.lock.BackendUnavailableException}. Immutable; thread-safe.
 */
public sealed interface RenewOutcome permits RenewOutcome.Renewed, RenewOutcome.NotHeld {

    /**
     * The lease now runs {@code leaseNanos} from {@code leaseStartNanos}.
     *
     * @param leaseNanos      the lease the backend applied
     * @param leaseStartNanos a reading of the backend timer's clock no later than the moment the backend
     *                        restarted the lease (see {@link AcquireOutcome.Granted#leaseStartNanos()})
     */
    record Renewed(long leaseNanos, long leaseStartNanos) implements RenewOutcome {
        /** @throws IllegalArgumentException if the lease is not positive */
        public Renewed {
            if (leaseNanos <= 0) {
                throw new IllegalArgumentException("renewed leaseNanos must be positive, was " + leaseNanos);
            }
        }
    }

    /** The owner does not hold the lock (released, expired, or lost with the backend's state); nothing changed. */
    record NotHeld() implements RenewOutcome {
    }
}
