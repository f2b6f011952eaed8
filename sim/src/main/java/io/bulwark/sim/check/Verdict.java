package io.bulwark.sim.check;

/**
 * The answer of a linearizability check, for one key or for a whole history.
 *
 * <p>For a whole history: {@link #VIOLATION} if any key is a violation (one proven violation is enough,
 * whatever the other keys say), else {@link #UNKNOWN} if any key ran out of budget, else
 * {@link #LINEARIZABLE}. Immutable and thread-safe.
 */
public enum Verdict {
    /** Some order of the operations, each placed inside its interval, explains every result. */
    LINEARIZABLE,
    /** No such order exists; this is proven, not guessed. */
    VIOLATION,
    /** The search ran out of budget before finding an order or proving there is none. */
    UNKNOWN;

    /** Combines two keys' verdicts into the verdict of the history containing both. */
    Verdict and(Verdict other) {
        if (this == VIOLATION || other == VIOLATION) {
            return VIOLATION;
        }
        if (this == UNKNOWN || other == UNKNOWN) {
            return UNKNOWN;
        }
        return LINEARIZABLE;
    }
}
