package io.bulwark.sim.check;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Decides whether a key-value {@link History} is linearizable: whether some total order of its operations,
 * each placed at one instant between its invocation and its completion, explains every result under the
 * sequential semantics of {@link KvOperation}, starting from an empty map.
 *
 * <p>How each outcome counts (see {@link HistoryEntry}): a completed operation must be placed inside its
 * interval and match its result; an indeterminate one may be placed anywhere after its invocation, or left
 * out, and its result is not checked; a failed one is ignored. Intervals are closed, so two operations whose
 * intervals merely touch (one completes at the instant the other is invoked) count as concurrent.
 *
 * <p>Keys are checked one at a time, which is exact because linearizability is local (Herlihy and Wing,
 * 1990) and every operation touches one key; the package documentation describes the search. A key's
 * search enters at most {@link #maxStatesPerKey()} configurations before giving up with
 * {@link Verdict#UNKNOWN}, so a check never hangs: about a microsecond and 100 bytes of memory per
 * configuration. Proving a violation is followed by narrowing it down to the first result that cannot be
 * explained, which may spend the same budget again.
 *
 * <p>Typical cost: a history whose operations each overlap a handful of others (clients waiting for their
 * answers) is checked in time roughly linear in its length, a few tens of milliseconds for 5,000 operations
 * from 10 clients. What makes it expensive is many operations pending at once on one key: operations that
 * overlap many others, and indeterminate writes whose values are read later or that precede a failed
 * compare-and-set, which stay pending until then. Proving a violation costs more than finding a
 * linearization, because every alternative must be ruled out.
 *
 * <p>Immutable and thread-safe; each {@link #check} runs on the calling thread.
 */
public final class LinearizabilityChecker {

    /** The default for {@link #maxStatesPerKey()}: at worst some seconds and a few hundred megabytes per key. */
    public static final long DEFAULT_MAX_STATES_PER_KEY = 5_000_000L;

    private final long maxStatesPerKey;

    private LinearizabilityChecker(long maxStatesPerKey) {
        this.maxStatesPerKey = maxStatesPerKey;
    }

    /** A checker with the default budget of {@link #DEFAULT_MAX_STATES_PER_KEY} configurations per key. */
    public static LinearizabilityChecker create() {
        return new LinearizabilityChecker(DEFAULT_MAX_STATES_PER_KEY);
    }

    /**
     * A checker that gives up on a key, reporting {@link Verdict#UNKNOWN}, once its search has entered more
     * than {@code maxStatesPerKey} configurations.
     *
     * @throws IllegalArgumentException if {@code maxStatesPerKey} is not positive
     */
    public static LinearizabilityChecker withMaxStatesPerKey(long maxStatesPerKey) {
        if (maxStatesPerKey <= 0) {
            throw new IllegalArgumentException("maxStatesPerKey must be positive, was " + maxStatesPerKey
                    + "; the default is " + DEFAULT_MAX_STATES_PER_KEY);
        }
        return new LinearizabilityChecker(maxStatesPerKey);
    }

    /** The most configurations one key's search may enter before its verdict is {@link Verdict#UNKNOWN}. */
    public long maxStatesPerKey() {
        return maxStatesPerKey;
    }

    /** Checks the operations recorded in {@code history} so far; calls still open count as indeterminate. */
    public LinearizabilityResult check(History history) {
        Objects.requireNonNull(history, "history must not be null");
        return check(history.entries());
    }

    /**
     * Checks {@code entries}, for histories recorded elsewhere. Entry ids are only used to name operations in
     * explanations; they need not be unique or in order.
     *
     * @throws NullPointerException if {@code entries} or any entry is null
     */
    public LinearizabilityResult check(Collection<HistoryEntry> entries) {
        Objects.requireNonNull(entries, "entries must not be null");
        Map<String, List<KeySearch.Call>> byKey = new TreeMap<>();
        for (HistoryEntry entry : entries) {
            Objects.requireNonNull(entry, "entries must not contain null");
            if (entry.outcome() instanceof HistoryEntry.Outcome.Failed) {
                continue;
            }
            if (!entry.isCompleted() && entry.operation() instanceof KvOperation.Get) {
                // A read nobody saw the answer to constrains nothing.
                continue;
            }
            byKey.computeIfAbsent(entry.key(), k -> new ArrayList<>()).add(KeySearch.Call.of(entry));
        }
        Map<String, KeyVerdict> verdicts = new LinkedHashMap<>();
        Verdict overall = Verdict.LINEARIZABLE;
        int operationsChecked = 0;
        for (Map.Entry<String, List<KeySearch.Call>> key : byKey.entrySet()) {
            KeyVerdict verdict = checkKey(key.getKey(), key.getValue());
            verdicts.put(key.getKey(), verdict);
            overall = overall.and(verdict.verdict());
            operationsChecked += verdict.operationsChecked();
        }
        return new LinearizabilityResult(overall, operationsChecked, verdicts);
    }

    private KeyVerdict checkKey(String key, List<KeySearch.Call> calls) {
        KeySearch.Outcome outcome = KeySearch.run(calls, maxStatesPerKey);
        return switch (outcome.verdict()) {
            case LINEARIZABLE -> new KeyVerdict.Linearizable(key, calls.size(), outcome.statesExplored());
            case UNKNOWN -> new KeyVerdict.Unknown(key, calls.size(), outcome.statesExplored());
            case VIOLATION -> ViolationExplainer.explain(key, calls, calls.size(), outcome.statesExplored(),
                    maxStatesPerKey);
        };
    }
}
