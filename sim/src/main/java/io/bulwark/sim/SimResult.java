package io.bulwark.sim;

import java.util.List;

/**
 * The outcome of one simulated run. Immutable.
 *
 * @param seed            replays this run exactly
 * @param operations      client operations recorded in the history (and checked)
 * @param events          simulation events executed
 * @param violations      safety violations found; empty if the run passed
 * @param faultTimeline   the faults injected, in order, with their virtual times
 * @param trace           the last events before the first violation (empty if none)
 * @param slotsChosen     distinct log slots whose decision the agreement checker saw
 * @param audited         whether the final audit (a read of every key after the faults) completed
 * @param coverage        how many times each rare path ran (elections, snapshot installs, torn tails, ...)
 */
public record SimResult(long seed, int operations, long events, List<String> violations, List<String> faultTimeline,
                        List<String> trace, long slotsChosen, boolean audited, java.util.SortedMap<String, Long> coverage) {

    /** True if no violation was found. */
    public boolean passed() {
        return violations.isEmpty();
    }

    /** A report for a failing run: the seed, how to replay it, the violations, the faults, the trace. */
    public String report() {
        StringBuilder b = new StringBuilder();
        b.append("seed ").append(seed).append(passed() ? " passed" : " FAILED").append(": ").append(operations)
                .append(" operations, ").append(slotsChosen).append(" slots chosen, ").append(events).append(" events\n");
        if (!passed()) {
            b.append("replay: ./bulwark torture --seed ").append(seed).append(" --trace\n");
            for (String v : violations) {
                b.append("violation: ").append(v).append('\n');
            }
            b.append("faults:\n");
            for (String f : faultTimeline) {
                b.append("  ").append(f).append('\n');
            }
            b.append("last events:\n");
            for (String t : trace) {
                b.append("  ").append(t).append('\n');
            }
        }
        return b.toString();
    }
}
