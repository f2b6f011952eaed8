package io.bulwark.sim.check;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of checking the operations on one key: {@link Linearizable}, {@link Violation} (with the
 * evidence) or {@link Unknown} (the search exceeded its budget). Immutable and thread-safe.
 */
public sealed interface KeyVerdict permits KeyVerdict.Linearizable, KeyVerdict.Violation, KeyVerdict.Unknown {

    /** The key that was checked. */
    String key();

    /**
     * How many of the key's operations the search had to place: every completed one, plus the indeterminate
     * writes. Failed operations and indeterminate reads constrain nothing and are not counted.
     */
    int operationsChecked();

    /**
     * How many configurations (operations linearized so far, the key's value) the search entered; the budget
     * counts these. For a violation, the search that proved it, not the ones that narrowed it down.
     */
    long statesExplored();

    /** This outcome as a {@link Verdict}. */
    Verdict verdict();

    /** A linearization of the key's operations exists. */
    record Linearizable(String key, int operationsChecked, long statesExplored) implements KeyVerdict {
        public Linearizable {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public Verdict verdict() {
            return Verdict.LINEARIZABLE;
        }
    }

    /**
     * No linearization of the key's operations exists.
     *
     * <p>{@code unexplained} is the completed operation whose result first makes the key's history
     * impossible: every operation on the key up to its completion at {@code unexplained.completeTime()},
     * with the operations still open at that time treated as indeterminate, has no linearization, and the same
     * is not true one completion earlier (unless the budget ran out while narrowing it down, in which case
     * {@code unexplained} is still proven, but may not be the first). {@code window} lists the operations that
     * could have influenced that result: those overlapping it and those before it that no later acknowledged
     * write definitely superseded, ordered by invocation. {@code explanation} says the same for a human.
     */
    record Violation(String key, int operationsChecked, long statesExplored, HistoryEntry unexplained,
            List<HistoryEntry> window, String explanation) implements KeyVerdict {
        public Violation {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(unexplained, "unexplained");
            Objects.requireNonNull(explanation, "explanation");
            window = List.copyOf(window);
        }

        @Override
        public Verdict verdict() {
            return Verdict.VIOLATION;
        }
    }

    /** The search entered {@code statesExplored} configurations, one more than its budget, without an answer. */
    record Unknown(String key, int operationsChecked, long statesExplored) implements KeyVerdict {
        public Unknown {
            Objects.requireNonNull(key, "key");
        }

        @Override
        public Verdict verdict() {
            return Verdict.UNKNOWN;
        }
    }
}
