package io.bulwark.sim.check;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns "this key is not linearizable" into evidence a person can check by hand: the first result that makes
 * the key's history impossible, and the few operations around it.
 *
 * <p>The cut: order the key's completed calls by completion time; prefix {@code j} keeps the first {@code j}
 * results and treats every other call invoked by then as indeterminate (calls invoked later are left out).
 * If prefix {@code j} has no linearization, neither has any longer one, because a longer prefix only adds
 * constraints; so a binary search over {@code j} finds the first result that cannot be explained with
 * {@code log2(n)} searches. The whole history is prefix {@code n} and is known to be a violation, so the
 * answer is always proven; only its minimality depends on the budget, and the text says when it was not
 * established.
 *
 * <p>Stateless.
 */
final class ViolationExplainer {

    /** Explanations stay short; the {@link KeyVerdict.Violation#window()} list keeps every operation. */
    private static final int MAX_LINES = 24;

    private ViolationExplainer() {
    }

    /**
     * Explains a violation on {@code key} whose calls are {@code calls} (as recorded), spending at most
     * {@code maxStates} configurations in total on the narrowing searches.
     */
    static KeyVerdict.Violation explain(String key, List<KeySearch.Call> calls, int operationsChecked,
            long statesExplored, long maxStates) {
        List<Integer> completed = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).resultKnown()) {
                completed.add(i);
            }
        }
        completed.sort(Comparator.comparingLong((Integer i) -> calls.get(i).completeTime()).thenComparingInt(i -> i));
        int[] rank = new int[calls.size()];
        for (int r = 0; r < completed.size(); r++) {
            rank[completed.get(r)] = r;
        }

        // lo: a prefix not known to be a violation; hi: a prefix proven to be one.
        int lo = 0;
        int hi = completed.size();
        boolean loProvenLinearizable = true;
        long budgetLeft = maxStates;
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            KeySearch.Outcome probe = budgetLeft > 0
                    ? KeySearch.run(prefix(calls, completed, rank, mid), budgetLeft)
                    : new KeySearch.Outcome(Verdict.UNKNOWN, 0);
            budgetLeft -= probe.statesExplored();
            if (probe.verdict() == Verdict.VIOLATION) {
                hi = mid;
            } else {
                lo = mid;
                loProvenLinearizable = probe.verdict() == Verdict.LINEARIZABLE;
            }
        }
        KeySearch.Call unexplained = calls.get(completed.get(hi - 1));
        List<KeySearch.Call> window = window(prefix(calls, completed, rank, hi), unexplained);
        String text = describe(key, unexplained, hi - 1, window, loProvenLinearizable);
        List<HistoryEntry> windowEntries = new ArrayList<>(window.size());
        for (KeySearch.Call call : window) {
            windowEntries.add(call.entry());
        }
        return new KeyVerdict.Violation(key, operationsChecked, statesExplored, unexplained.entry(), windowEntries,
                text);
    }

    /** Prefix {@code j}: the first {@code j} results known, other calls invoked by then indeterminate. */
    private static List<KeySearch.Call> prefix(List<KeySearch.Call> calls, List<Integer> completed, int[] rank,
            int j) {
        long cutTime = calls.get(completed.get(j - 1)).completeTime();
        List<KeySearch.Call> prefix = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            KeySearch.Call call = calls.get(i);
            if (call.entry().invokeTime() > cutTime) {
                continue;
            }
            boolean resultKnown = call.resultKnown() && rank[i] < j;
            prefix.add(resultKnown == call.resultKnown() ? call : new KeySearch.Call(call.entry(), false));
        }
        return prefix;
    }

    /**
     * The calls of {@code prefix} that could have influenced {@code unexplained}'s result: those that may
     * take effect while it is open, and those that must have taken effect before it was invoked unless an
     * acknowledged write certainly came between (invoked after they completed, completed before
     * {@code unexplained} was invoked). An unknown-result write counts as open until its observation deadline
     * ({@link KeySearch#returnTimes}), as the search treats it; writes nothing could observe are left out.
     */
    private static List<KeySearch.Call> window(List<KeySearch.Call> prefix, KeySearch.Call unexplained) {
        long[] returnTimes = KeySearch.returnTimes(prefix);
        long start = unexplained.entry().invokeTime();
        long end = unexplained.completeTime();
        long lastSupersedingInvokeTime = Long.MIN_VALUE;
        for (KeySearch.Call call : prefix) {
            if (call.isDefiniteWrite() && call.completeTime() < start) {
                lastSupersedingInvokeTime = Math.max(lastSupersedingInvokeTime, call.entry().invokeTime());
            }
        }
        List<KeySearch.Call> window = new ArrayList<>();
        for (int i = 0; i < prefix.size(); i++) {
            KeySearch.Call call = prefix.get(i);
            long invokeTime = call.entry().invokeTime();
            long returnTime = returnTimes[i];
            boolean searched = returnTime >= invokeTime;
            boolean overlaps = invokeTime <= end && returnTime >= start;
            boolean notSuperseded = returnTime < start && returnTime >= lastSupersedingInvokeTime;
            if (searched && (overlaps || notSuperseded)) {
                window.add(call);
            }
        }
        window.sort(Comparator.comparingLong((KeySearch.Call c) -> c.entry().invokeTime())
                .thenComparingInt(c -> c.entry().id()));
        return window;
    }

    private static String describe(String key, KeySearch.Call unexplained, int resultsBefore,
            List<KeySearch.Call> window, boolean minimal) {
        StringBuilder text = new StringBuilder();
        text.append("key ").append(Quoting.value(key)).append(" is not linearizable: no order of its operations")
                .append(" explains\n  ").append(line(unexplained))
                .append("\ntogether with the ").append(resultsBefore)
                .append(resultsBefore == 1 ? " result" : " results")
                .append(" on this key that arrived before it (operations still open then may or may not have")
                .append(" taken effect).");
        if (!minimal) {
            text.append(" The search budget ran out while looking for an earlier impossible result, so there may")
                    .append(" be one.");
        }
        text.append("\nOperations that could have influenced it, by invocation [invoke, complete]:");
        int skipped = Math.max(0, window.size() - MAX_LINES);
        if (skipped > 0) {
            text.append("\n  ... ").append(skipped).append(" earlier operations not shown");
        }
        for (int i = skipped; i < window.size(); i++) {
            KeySearch.Call call = window.get(i);
            text.append("\n  ").append(line(call));
            if (call.entry() == unexplained.entry()) {
                text.append("   <-- cannot be explained");
            }
        }
        return text.toString();
    }

    /** The entry as recorded, or marked as still open at the cut if its result arrived later. */
    private static String line(KeySearch.Call call) {
        HistoryEntry entry = call.entry();
        if (call.resultKnown() || !entry.isCompleted()) {
            return entry.toString();
        }
        return "#" + entry.id() + " client " + entry.clientId() + ": " + entry.operation()
                + " -> (still open at the cut) [" + entry.invokeTime() + ", " + entry.completeTime() + "]";
    }
}
