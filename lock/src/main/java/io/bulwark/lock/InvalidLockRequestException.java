package io.bulwark.lock;

/**
 * The caller asked for something the lock API never allows: a blank or over-long name, a lease that is
 * not positive or not longer than the client's safety margin, a negative wait, a semaphore with fewer
 * than one permit. The message says what was wrong and what is allowed.
 *
 * <p>Thrown before anything is sent to a backend, so a failed call leaves nothing behind. It extends
 * {@link IllegalArgumentException} because it is always a bug in the caller, never a condition to retry.
 */
public final class InvalidLockRequestException extends IllegalArgumentException {

    /** @param message what was wrong and what is allowed */
    public InvalidLockRequestException(String message) {
        super(message);
    }
}
