package io.bulwark.lock.spi;

import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;

/**
 * Grant {@code mode} on {@code name} to {@code owner}, with a lease of {@code leaseNanos}; if it cannot be
 * granted at once, queue for at most {@code waitNanos} ({@code 0}: answer at once, never queue).
 *
 * @param name       the lock
 * @param owner      a fresh owner id; a backend refuses one that already holds or waits for {@code name}
 * @param mode       what to grant
 * @param leaseNanos lease length, positive
 * @param waitNanos  how long to stay queued, non-negative
 */
public record AcquireRequest(LockName name, OwnerId owner, LockMode mode, long leaseNanos, long waitNanos)
        implements LockCommand {

    /** @throws IllegalArgumentException if a component is null or a duration is out of range */
    public AcquireRequest {
        if (name == null || owner == null || mode == null) {
            throw new IllegalArgumentException("acquire request needs a name, an owner and a mode");
        }
        if (leaseNanos <= 0) {
            throw new IllegalArgumentException("leaseNanos must be positive, was " + leaseNanos);
        }
        if (waitNanos < 0) {
            throw new IllegalArgumentException("waitNanos must not be negative, was " + waitNanos);
        }
    }
}
