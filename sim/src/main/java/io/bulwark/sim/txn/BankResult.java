package io.bulwark.sim.txn;

import java.util.List;
import java.util.SortedMap;

/**
 * The outcome of one bank simulation. Immutable.
 *
 * @param seed        replays the run
 * @param committed   transfers committed (told or found committed)
 * @param aborted     transfers aborted (refused, fenced, or found aborted)
 * @param audits      balance audits that validated (each saw the conserved total)
 * @param violations  what broke; empty if the run passed
 * @param coverage    how often each rare path ran (crash points, recoveries, pushes)
 * @param trace       the last events before the first violation
 */
public record BankResult(long seed, int committed, int aborted, int audits, List<String> violations,
                         SortedMap<String, Long> coverage, List<String> trace) {

    public boolean passed() {
        return violations.isEmpty();
    }

    /** One paragraph for a failing run: seed, violations, coverage and trace. */
    public String report() {
        StringBuilder b = new StringBuilder();
        b.append("bank seed ").append(seed).append(passed() ? " passed" : " FAILED").append(": ").append(committed)
                .append(" committed, ").append(aborted).append(" aborted, ").append(audits).append(" audits\n");
        for (String v : violations) {
            b.append("violation: ").append(v).append('\n');
        }
        if (!passed()) {
            b.append("coverage: ").append(coverage).append('\n');
            for (String t : trace) {
                b.append("  ").append(t).append('\n');
            }
        }
        return b.toString();
    }
}
