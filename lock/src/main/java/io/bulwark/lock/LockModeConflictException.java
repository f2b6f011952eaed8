package io.bulwark.lock;

/**
 * The lock name is currently held or waited for with another {@link LockKind}, or as a semaphore with
 * another capacity. Nothing was acquired or queued. Two parts of a system disagreeing about what a
 * name means is a bug; the backend refuses rather than guessing.
 */
public final class LockModeConflictException extends LockException {

    /** @param message which name, what it is in use as, and what was asked */
    public LockModeConflictException(String message) {
        super(message, null);
    }
}
