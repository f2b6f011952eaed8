package io.bulwark.lock.spi;

import io.bulwark.lock.LockName;

/**
 * Release the lease {@code owner} holds on {@code name}. Refused ({@link ReleaseOutcome.NotHeld}) if
 * {@code owner} does not hold it, in which case nothing changes: releasing never touches another owner's
 * lease, even one granted after this owner's lease expired.
 *
 * @param name  the lock
 * @param owner the lease
 */
public record ReleaseRequest(LockName name, OwnerId owner) implements LockCommand {

    /** @throws IllegalArgumentException if a component is null */
    public ReleaseRequest {
        if (name == null || owner == null) {
            throw new IllegalArgumentException("release request needs a name and an owner");
        }
    }
}
