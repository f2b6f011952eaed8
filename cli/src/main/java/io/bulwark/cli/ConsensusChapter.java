package io.bulwark.cli;

import io.bulwark.core.Clock;
import io.bulwark.sim.SimConfig;
import io.bulwark.sim.SimResult;
import io.bulwark.sim.Simulation;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * The demo's consensus chapter: one short simulated run of a 3-replica Paxos group with every fault on must
 * pass every checker, and a deliberately broken replica must be caught within {@link #MAX_BROKEN_SEEDS}
 * seeds, or the checkers prove nothing. Stateless; each call runs its own simulations on the calling thread.
 */
final class ConsensusChapter {

    /** The honest run's seed: one whose schedule shows every kind of fault and a detected corruption. */
    static final long SEED = 24;
    static final long FAULT_MS = 2_000;
    static final long QUIET_MS = 1_000;
    /** The broken replica is usually caught within ten seeds; past this the checkers are presumed blind. */
    static final int MAX_BROKEN_SEEDS = 30;
    private static final int TIMELINE_LINES = 15;
    private static final int LINE_CHARS = 110;

    /** Timeline lines by what they report, in display order; matched on the simulator's wording. */
    private static final Map<String, String> KINDS = kinds();

    private ConsensusChapter() {
    }

    private static Map<String, String> kinds() {
        Map<String, String> kinds = new LinkedHashMap<>();
        kinds.put("crash ", "crash");
        kinds.put("partition:", "partition");
        kinds.put("ms  heal", "heal");
        kinds.put("restart ", "restart");
        kinds.put("bit flip", "bit flip");
        kinds.put("wipe ", "wiped disk");
        kinds.put("fsync on", "fsync failure");
        kinds.put("to start", "refused start");
        return kinds;
    }

    static SimConfig config() {
        return SimConfig.defaults(SEED).withDurations(FAULT_MS, QUIET_MS);
    }

    /** Runs the chapter, printing to {@code out}; true if the honest run passed and the broken one was caught. */
    static boolean run(PrintStream out) {
        Clock wall = Clock.system();
        SimConfig config = config();
        long startNs = wall.nanoTime();
        SimResult honest = Simulation.run(config);
        out.printf(Locale.ROOT, "  seed %d: %d replicas, %d clients, every fault for %,d ms then %,d ms quiet"
                + " (virtual time; %.1f s real); the fault timeline:%n", SEED, config.replicas(), config.clients(),
                FAULT_MS, QUIET_MS, (wall.nanoTime() - startNs) / 1e9);
        printTimeline(out, honest.faultTimeline());
        out.println("    " + kindCounts(honest.faultTimeline()));
        out.printf(Locale.ROOT, "  %,d operations and %,d chosen slots checked: agreement, linearizability,"
                + " convergence: %s%n", honest.operations(), honest.slotsChosen(),
                honest.passed() ? "no violations" : "VIOLATED");
        honest.violations().forEach(v -> out.println("    " + firstLine(v)));
        if (!honest.passed()) {
            out.printf(Locale.ROOT, "    replay: ./bulwark torture --seed %d --trace --fault-ms %d --quiet-ms %d%n", SEED,
                    FAULT_MS, QUIET_MS);
        }
        out.printf(Locale.ROOT, "  coverage (times each path ran): leader elected %d, snapshot installed %d, corruption"
                + " detected at start %d%n", probe(honest, "leader elected"), probe(honest, "snapshot installed"),
                probe(honest, "corruption detected at start"));

        SimConfig broken = config.withLyingAcceptor(true);
        SimResult caught = null;
        for (long seed = 1; seed <= MAX_BROKEN_SEEDS && caught == null; seed++) {
            SimResult r = Simulation.run(broken.withSeed(seed));
            if (!r.passed()) {
                caught = r;
            }
        }
        if (caught == null) {
            out.printf("  broken replica 1 (its promises hide accepted values): NOT caught in %d seeds%n",
                    MAX_BROKEN_SEEDS);
        } else {
            out.printf("  broken replica 1 (its promises hide accepted values), trying seeds 1 to %d: caught at seed"
                    + " %d by%n", MAX_BROKEN_SEEDS, caught.seed());
            out.println("    " + firstLine(caught.violations().get(0)));
            out.printf(Locale.ROOT, "    replay: ./bulwark torture --seed %d --trace --fault-ms %d --quiet-ms %d"
                    + " --lying-acceptor%n", caught.seed(), FAULT_MS, QUIET_MS);
        }
        return honest.passed() && honest.audited() && caught != null;
    }

    /**
     * At most {@link #TIMELINE_LINES} lines: the first of each kind, so every fault shows, then the earliest
     * others, in time order.
     */
    private static void printTimeline(PrintStream out, List<String> timeline) {
        TreeSet<Integer> shown = new TreeSet<>();
        for (String marker : KINDS.keySet()) {
            for (int i = 0; i < timeline.size(); i++) {
                if (timeline.get(i).contains(marker)) {
                    shown.add(i);
                    break;
                }
            }
        }
        for (int i = 0; i < timeline.size() && shown.size() < TIMELINE_LINES; i++) {
            shown.add(i);
        }
        while (shown.size() > TIMELINE_LINES) {
            shown.pollLast();
        }
        int previous = -1;
        for (int i : shown) {
            if (i > previous + 1) {
                out.printf("    ...%n");
            }
            out.println("  " + clip(timeline.get(i)));
            previous = i;
        }
        if (timeline.size() > shown.size()) {
            out.printf("    ... %d more (./bulwark torture --seed %d --trace --fault-ms %d --quiet-ms %d lists all)%n",
                    timeline.size() - shown.size(), SEED, FAULT_MS, QUIET_MS);
        }
    }

    private static String kindCounts(List<String> timeline) {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, String> kind : KINDS.entrySet()) {
            long n = timeline.stream().filter(line -> line.contains(kind.getKey())).count();
            if (n > 0) {
                b.append(b.length() == 0 ? "" : ", ").append(n).append(' ').append(kind.getValue())
                        .append(n == 1 ? "" : kind.getValue().endsWith("sh") ? "es" : "s");
            }
        }
        return b.length() == 0 ? "no faults" : b.toString();
    }

    private static long probe(SimResult r, String name) {
        return r.coverage().getOrDefault(name, 0L);
    }

    private static String firstLine(String s) {
        return clip(s.lines().findFirst().orElse(""));
    }

    private static String clip(String s) {
        return s.length() <= LINE_CHARS ? s : s.substring(0, LINE_CHARS - 3) + "...";
    }
}
