package io.bulwark.lock.spi;

import io.bulwark.lock.LockName;

/**
 * Extend the lease {@code owner} holds on {@code name} to {@code leaseNanos} from now. Only an existing
 * holder can be renewed: a renewal for a lease that was released or expired is refused and never
 * re-creates it (the failure Redisson #7272 reports, where a late renewal resurrected a released lock).
 *
 * @param name       the lock
 * @param owner      the lease
 * @param leaseNanos new lease length from the moment the backend processes the renewal, positive
 */
public record RenewRequest(LockName name, OwnerId owner, long leaseNanos) implements LockCommand {

    /** @throws IllegalArgumentException if a component is null or the lease is not positive */
    public RenewRequest {
        if (name == null || owner == null) {
            throw new IllegalArgumentException("renew request needs a name and an owner");
        }
        if (leaseNanos <= 0) {
            throw new IllegalArgumentException("leaseNanos must be positive, was " + leaseNanos);
        }
    }
}
