package io.bulwark.sim.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Linearizability straight from the definition, for cross-checking the checker on tiny histories: try every
 * order of the calls, over the whole map (no per-key split), that respects real time, and every choice of
 * which indeterminate calls happened. Exponential; only for a handful of operations.
 */
final class BruteForceOracle {

    private BruteForceOracle() {
    }

    static boolean linearizable(List<HistoryEntry> entries) {
        List<HistoryEntry> calls = new ArrayList<>();
        for (HistoryEntry e : entries) {
            if (!(e.outcome() instanceof HistoryEntry.Outcome.Failed)) {
                calls.add(e);
            }
        }
        if (calls.size() > 20) {
            throw new IllegalArgumentException("the oracle is exponential; give it at most 20 calls, not "
                    + calls.size());
        }
        return extend(calls, 0, new HashMap<>());
    }

    private static boolean extend(List<HistoryEntry> calls, int placedMask, Map<String, String> map) {
        boolean allCompletedPlaced = true;
        for (int i = 0; i < calls.size(); i++) {
            if ((placedMask & (1 << i)) == 0 && calls.get(i).isCompleted()) {
                allCompletedPlaced = false;
            }
        }
        if (allCompletedPlaced) {
            // Indeterminate calls not placed yet are the ones that never happened.
            return true;
        }
        for (int i = 0; i < calls.size(); i++) {
            if ((placedMask & (1 << i)) != 0 || !mayGoNext(calls, placedMask, i)) {
                continue;
            }
            HistoryEntry call = calls.get(i);
            Map<String, String> after = new HashMap<>(map);
            KvResult result = RandomKvExecution.apply(after, call.operation());
            if (call.outcome() instanceof HistoryEntry.Outcome.Completed completed
                    && !completed.result().equals(result)) {
                continue;
            }
            if (extend(calls, placedMask | (1 << i), after)) {
                return true;
            }
        }
        return false;
    }

    /** Real-time order: no unplaced call may have completed before call {@code i} was invoked. */
    private static boolean mayGoNext(List<HistoryEntry> calls, int placedMask, int i) {
        for (int j = 0; j < calls.size(); j++) {
            if (j != i && (placedMask & (1 << j)) == 0 && calls.get(j).isCompleted()
                    && calls.get(j).completeTime() < calls.get(i).invokeTime()) {
                return false;
            }
        }
        return true;
    }
}
