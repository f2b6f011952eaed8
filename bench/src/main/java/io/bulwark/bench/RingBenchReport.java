package io.bulwark.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Formats the ring benchmark scores as ratio tables (Bulwark against its peers, same JMH run) and as the
 * goal table of issue 2, section 3, each goal marked {@code pass}, {@code MISSED} or {@code n/a} (not run).
 * Plain ASCII so the table survives any terminal and pastes into docs/BENCHMARKS.md as is.
 */
final class RingBenchReport {

    /** Lookup at 1,000 nodes: at most this fraction of Guava's {@code consistentHash} time. */
    static final double LOOKUP_VS_GUAVA_GOAL = 0.5;
    /** Lookup at 1,000 nodes: at most this fraction of the Ketama TreeMap ring's time. */
    static final double LOOKUP_VS_TREEMAP_GOAL = 0.1;
    /** The node count the lookup goals are stated at. */
    static final int LOOKUP_GOAL_NODES = 1_000;
    /** {@code replicas(key, 3)} with zones: at most this multiple of one {@code locate}. */
    static final double REPLICAS_VS_LOCATE_GOAL = 3.0;
    /** Adding or removing a node of a 1,000-node ring: at most this many milliseconds. */
    static final double CHANGE_GOAL_MS = 5.0;
    /** Memory per node at default settings: at most this many bytes (64 KiB). */
    static final long MEMORY_PER_NODE_GOAL_BYTES = 64 * 1024;
    /**
     * "Zero allocation" as the GC profiler can see it. JMH's own bookkeeping allocates a few kilobytes
     * per iteration, which shows up as hundredths of a byte per operation in short iterations, while the
     * smallest Java object is 16 bytes: below 0.1 B/op fewer than one object is allocated per 160
     * operations, so nothing in the measured loop allocates.
     */
    static final double ZERO_ALLOC_BYTES_PER_OP = 0.1;

    private final RingBench.Plan plan;
    private final List<BenchScore> scores;
    private final long memoryPerNodeBytes;
    private final String environment;
    private final List<String[]> goals = new ArrayList<>();

    RingBenchReport(RingBench.Plan plan, List<BenchScore> scores, long memoryPerNodeBytes, String environment) {
        this.plan = plan;
        this.scores = List.copyOf(scores);
        this.memoryPerNodeBytes = memoryPerNodeBytes;
        this.environment = environment;
    }

    void print(PrintStream out) {
        out.println();
        out.println("=== Bulwark ring benchmark" + (plan.quick() ? " (SMOKE RUN: not a measurement)" : "") + " ===");
        out.println(environment);
        out.printf(Locale.ROOT, "plan: %d fork(s), warm-up %d x %d ms, measured %d x %d ms, GC profiler;"
                        + " keys: %d pre-hashed longs (SplittableRandom seed 0x%X), read in order%n",
                plan.forks(), plan.warmupIterations(), plan.warmupMs(), plan.measuredIterations(), plan.measuredMs(),
                PreHashedKeys.KEY_COUNT, PreHashedKeys.SEED);
        out.println("reproduce: ./bulwark bench ring" + (plan.quick() ? " --quick" : "")
                + "   (or: java -cp <bench classpath> io.bulwark.bench.RingBench" + (plan.quick() ? " --quick" : "") + ")");
        out.println("+/- is JMH's 99.9% confidence half-width (n/a with a single iteration)");
        if (plan.quick()) {
            out.println("smoke run: one short iteration in this JVM; numbers show the benchmarks work, not how fast they are");
        }
        printLookups(out);
        printReplicas(out);
        printChanges(out);
        printMemory(out);
        printGoals(out);
    }

    private void printLookups(PrintStream out) {
        out.println();
        out.println("Lookup of a pre-hashed key (ns/op; Bulwark and peers back to back in one JMH run per node count)");
        out.println(" nodes | Bulwark HashRing   | Guava consistentHash | Ketama TreeMap     | Bulwark/Guava | Bulwark/TreeMap | Bulwark alloc | TreeMap alloc");
        out.println("-------+--------------------+----------------------+--------------------+---------------+-----------------+---------------+--------------");
        double maxAlloc = Double.NaN;
        for (int nodes : plan.lookupNodes()) {
            Optional<BenchScore> bulwark = find(RingLookupBenchmark.class, "bulwarkRing", nodes);
            Optional<BenchScore> guava = find(RingLookupBenchmark.class, "guavaConsistentHash", nodes);
            Optional<BenchScore> ketama = find(RingLookupBenchmark.class, "ketamaTreeMap", nodes);
            double vsGuava = ratio(bulwark, guava);
            double vsTreeMap = ratio(bulwark, ketama);
            out.printf(Locale.ROOT, " %5d | %-18s | %-20s | %-18s | %13s | %15s | %13s | %13s%n", nodes,
                    time(bulwark), time(guava), time(ketama), times(vsGuava), times(vsTreeMap),
                    bytes(bulwark), bytes(ketama));
            if (bulwark.isPresent() && !Double.isNaN(bulwark.get().allocBytesPerOp())) {
                maxAlloc = Double.isNaN(maxAlloc) ? bulwark.get().allocBytesPerOp()
                        : Math.max(maxAlloc, bulwark.get().allocBytesPerOp());
            }
            if (nodes == LOOKUP_GOAL_NODES) {
                goal("lookup at 1000 nodes vs Guava consistentHash", "<= " + times(LOOKUP_VS_GUAVA_GOAL),
                        times(vsGuava), vsGuava <= LOOKUP_VS_GUAVA_GOAL, vsGuava);
                goal("lookup at 1000 nodes vs Ketama TreeMap ring", "<= " + times(LOOKUP_VS_TREEMAP_GOAL),
                        times(vsTreeMap), vsTreeMap <= LOOKUP_VS_TREEMAP_GOAL, vsTreeMap);
            }
        }
        goal("allocation per lookup (max over node counts)", "0 B/op",
                Double.isNaN(maxAlloc) ? "n/a" : String.format(Locale.ROOT, "%.4f B/op", maxAlloc),
                maxAlloc < ZERO_ALLOC_BYTES_PER_OP, maxAlloc);
    }

    private void printReplicas(PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "replicas(key, %d) over %d zones vs one locate on the same ring (ns/op)%n",
                RingReplicasBenchmark.REPLICAS, RingReplicasBenchmark.ZONES);
        out.println(" nodes | replicas(key,3)    | locate             | replicas/locate | replicas alloc");
        out.println("-------+--------------------+--------------------+-----------------+---------------");
        double maxAlloc = Double.NaN;
        for (int nodes : plan.replicaNodes()) {
            Optional<BenchScore> replicas = find(RingReplicasBenchmark.class, "replicas", nodes);
            Optional<BenchScore> locate = find(RingReplicasBenchmark.class, "locate", nodes);
            double r = ratio(replicas, locate);
            out.printf(Locale.ROOT, " %5d | %-18s | %-18s | %15s | %14s%n", nodes, time(replicas), time(locate),
                    times(r), bytes(replicas));
            goal("replicas(key,3) with zones vs locate, " + nodes + " nodes", "<= " + times(REPLICAS_VS_LOCATE_GOAL),
                    times(r), r <= REPLICAS_VS_LOCATE_GOAL, r);
            if (replicas.isPresent() && !Double.isNaN(replicas.get().allocBytesPerOp())) {
                maxAlloc = Double.isNaN(maxAlloc) ? replicas.get().allocBytesPerOp()
                        : Math.max(maxAlloc, replicas.get().allocBytesPerOp());
            }
        }
        goal("allocation per replicas(key,3)", "0 B/op",
                Double.isNaN(maxAlloc) ? "n/a" : String.format(Locale.ROOT, "%.4f B/op", maxAlloc),
                maxAlloc < ZERO_ALLOC_BYTES_PER_OP, maxAlloc);
    }

    private void printChanges(PrintStream out) {
        int nodes = plan.changeNodes();
        out.println();
        out.printf(Locale.ROOT, "Change cost: building the new ring when one node joins or leaves a %d-node ring (ms/op)%n", nodes);
        out.println(" change      | Bulwark HashRing   | Ketama TreeMap rebuild | Bulwark/Ketama | Bulwark alloc");
        out.println("-------------+--------------------+------------------------+----------------+--------------");
        String[][] rows = {{"add node", "bulwarkWith", "ketamaWith"}, {"remove node", "bulwarkWithout", "ketamaWithout"}};
        for (String[] row : rows) {
            Optional<BenchScore> bulwark = find(RingChangeBenchmark.class, row[1], nodes);
            Optional<BenchScore> ketama = find(RingChangeBenchmark.class, row[2], nodes);
            double r = ratio(bulwark, ketama);
            out.printf(Locale.ROOT, " %-11s | %-18s | %-22s | %14s | %13s%n", row[0], time(bulwark), time(ketama),
                    times(r), megabytes(bulwark));
            double ms = bulwark.map(BenchScore::score).orElse(Double.NaN);
            goal(row[0] + " in a " + nodes + "-node ring", String.format(Locale.ROOT, "<= %.0f ms", CHANGE_GOAL_MS),
                    Double.isNaN(ms) ? "n/a" : String.format(Locale.ROOT, "%.2f ms", ms), ms <= CHANGE_GOAL_MS, ms);
        }
    }

    private void printMemory(PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "Memory at default settings (%d nodes): HashRing.memoryBytes() / nodes = %.1f KiB per node%n",
                plan.changeNodes(), memoryPerNodeBytes / 1024.0);
        goal("memory per node at defaults", "<= 64 KiB",
                String.format(Locale.ROOT, "%.1f KiB", memoryPerNodeBytes / 1024.0),
                memoryPerNodeBytes <= MEMORY_PER_NODE_GOAL_BYTES, memoryPerNodeBytes);
    }

    private void printGoals(PrintStream out) {
        out.println();
        out.println("Goals (issue 2, section 3)" + (plan.quick() ? " -- smoke run: results are indicative only" : ""));
        out.println(" goal                                             | target     | measured     | result");
        out.println("--------------------------------------------------+------------+--------------+-------");
        int passed = 0;
        int missed = 0;
        int notRun = 0;
        for (String[] g : goals) {
            out.printf(Locale.ROOT, " %-48s | %-10s | %-12s | %s%n", g[0], g[1], g[2], g[3]);
            switch (g[3]) {
                case "pass" -> passed++;
                case "MISSED" -> missed++;
                default -> notRun++;
            }
        }
        out.println(" balance, movement, weights, bounded load       : measured by `./bulwark ring`, not by this benchmark");
        out.printf(Locale.ROOT, "goals: %d passed, %d missed, %d not run%n", passed, missed, notRun);
    }

    private void goal(String name, String target, String measured, boolean met, double value) {
        String result = Double.isNaN(value) ? "n/a" : met ? "pass" : "MISSED";
        goals.add(new String[] {name, target, measured, result});
    }

    private Optional<BenchScore> find(Class<?> benchmark, String method, int nodes) {
        return BenchScore.find(scores, benchmark, method, nodes);
    }

    private static double ratio(Optional<BenchScore> a, Optional<BenchScore> b) {
        if (a.isEmpty() || b.isEmpty()) {
            return Double.NaN;
        }
        return a.get().score() / b.get().score();
    }

    private static String time(Optional<BenchScore> s) {
        if (s.isEmpty()) {
            return "n/a";
        }
        double score = s.get().score();
        double error = s.get().error();
        String fmt = score < 100 ? "%.2f" : "%.1f";
        String value = String.format(Locale.ROOT, fmt, score);
        return Double.isNaN(error) ? value + " +/- n/a" : value + " +/- " + String.format(Locale.ROOT, fmt, error);
    }

    private static String times(double ratio) {
        return Double.isNaN(ratio) ? "n/a" : String.format(Locale.ROOT, "%.2fx", ratio);
    }

    private static String bytes(Optional<BenchScore> s) {
        if (s.isEmpty() || Double.isNaN(s.get().allocBytesPerOp())) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.3f B/op", s.get().allocBytesPerOp());
    }

    private static String megabytes(Optional<BenchScore> s) {
        if (s.isEmpty() || Double.isNaN(s.get().allocBytesPerOp())) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.1f MB/op", s.get().allocBytesPerOp() / 1e6);
    }
}
