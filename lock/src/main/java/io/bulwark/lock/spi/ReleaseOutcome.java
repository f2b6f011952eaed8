package io.bulwark.lock.spi;

/**
 * The answer to a {@link ReleaseRequest}. Backend failures complete the future exceptionally with
 * {@link io.bulwark.lock.BackendUnavailableException}. Immutable; thread-safe.
 */
public sealed interface ReleaseOutcome permits ReleaseOutcome.Released, ReleaseOutcome.NotHeld {

    /** The owner held the lock and no longer does. */
    record Released() implements ReleaseOutcome {
    }

    /** The owner did not hold the lock; nothing changed (in particular, no other owner's lease). */
    record NotHeld() implements ReleaseOutcome {
    }
}
