package io.bulwark.bench;

import io.bulwark.ring.HashRing;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.format.OutputFormatFactory;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the ring benchmarks ({@link RingLookupBenchmark}, {@link RingReplicasBenchmark},
 * {@link RingChangeBenchmark}) through JMH's API with the GC profiler, and prints the ratio table against
 * the peers and the goals of issue 2: what {@code ./bulwark bench ring} shows.
 *
 * <p>The full run follows BENCHMARKING.md: one fork per benchmark, 3 warm-up iterations of 1 s, 5 measured
 * iterations of 1 s; it takes about five minutes on 2 cores. Each node count is a separate JMH run in
 * which Bulwark and its peers run back to back, so a ratio compares measurements taken seconds apart.
 * The quick run is a smoke test that keeps the benchmarks compiling and working (no fork, one 100 ms
 * warm-up and one 100 ms measured iteration, fewer node counts); its numbers are not measurements.
 *
 * <p>Forked benchmark JVMs get the parent's {@code java.class.path}, which holds the benchmark classes
 * both in the shaded CLI jar and in a plain {@code java -cp} run. Not thread-safe: one run at a time.
 */
public final class RingBench {

    /** Exit status: the benchmarks ran and the table was printed (missed goals are reported, not failed). */
    public static final int OK = 0;
    /** Exit status: bad command-line arguments. */
    public static final int USAGE = 64;
    /** Exit status: JMH could not run a benchmark (the reason is printed). */
    public static final int FAILED = 70;

    private RingBench() {
    }

    /**
     * What one run executes.
     *
     * @param quick              smoke run rather than measurement
     * @param forks              JMH forks per benchmark (0 = in this JVM)
     * @param warmupIterations   warm-up iterations per fork
     * @param warmupMs           length of one warm-up iteration
     * @param measuredIterations measured iterations per fork
     * @param measuredMs         length of one measured iteration
     * @param lookupNodes        node counts for the lookup benchmark
     * @param replicaNodes       node counts for the replicas benchmark
     * @param changeNodes        node count of the ring that changes
     */
    record Plan(boolean quick, int forks, int warmupIterations, long warmupMs, int measuredIterations,
                long measuredMs, int[] lookupNodes, int[] replicaNodes, int changeNodes) {

        static Plan full() {
            return new Plan(false, 1, 3, 1_000, 5, 1_000,
                    new int[] {10, 100, 1_000, 10_000}, new int[] {100, 1_000}, 1_000);
        }

        /**
         * In-process (fork 0): forking also works under Maven Surefire (the fork gets the test JVM's
         * classpath), but a JVM start per benchmark triples the smoke run (about 35 s instead of 10 s).
         * The 10,000-node ring is left out because building its 41 million points would dominate the run.
         */
        static Plan smoke() {
            return new Plan(true, 0, 1, 100, 1, 100,
                    new int[] {10, 1_000}, new int[] {1_000}, 1_000);
        }
    }

    /**
     * Runs the benchmarks and prints JMH's progress (full run only) and then the ratio table to {@code out}.
     *
     * @param out   where everything is printed
     * @param quick {@code true} for the smoke run (well under a minute), {@code false} for the measurement
     * @return {@link #OK}, or {@link #FAILED} if JMH could not run a benchmark
     */
    public static int run(PrintStream out, boolean quick) {
        Plan plan = quick ? Plan.smoke() : Plan.full();
        out.println("bench ring: " + (quick ? "smoke run (not a measurement)" : "measuring")
                + "; lookup nodes " + Arrays.toString(plan.lookupNodes())
                + ", replicas nodes " + Arrays.toString(plan.replicaNodes())
                + ", change at " + plan.changeNodes() + " nodes");
        out.flush();
        // Not timed, so it runs first: a broken ring fails before minutes of benchmarking.
        HashRing sample = HashRing.of(BenchNodes.plain(plan.changeNodes()));
        long memoryPerNodeBytes = sample.memoryBytes() / plan.changeNodes();
        double loadBefore = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        List<BenchScore> scores = new ArrayList<>();
        String jmhVersion = "?";
        try {
            Collection<RunResult> results = new ArrayList<>();
            if (plan.quick()) {
                // A smoke run measures nothing, so it must not wait for, or be refused by, JMH's machine-wide
                // lock that keeps real measurements from overlapping (e.g. a build running beside a bench).
                System.setProperty("jmh.ignoreLock", "true");
            }
            // One JMH run per node count, each running Bulwark and its peers back to back: a burst of load
            // from elsewhere on a shared machine then hits a peer and Bulwark alike, not one side only.
            for (int nodes : plan.lookupNodes()) {
                results.addAll(runJmh(out, plan, RingLookupBenchmark.class, nodes));
            }
            for (int nodes : plan.replicaNodes()) {
                results.addAll(runJmh(out, plan, RingReplicasBenchmark.class, nodes));
            }
            results.addAll(runJmh(out, plan, RingChangeBenchmark.class, plan.changeNodes()));
            for (RunResult r : results) {
                scores.add(BenchScore.of(r));
                jmhVersion = r.getParams().getJmhVersion();
            }
        } catch (RunnerException e) {
            out.println("bench ring: JMH failed: " + e.getMessage());
            Throwable cause = e.getCause();
            while (cause != null) {
                out.println("  caused by: " + cause);
                cause = cause.getCause();
            }
            return FAILED;
        }
        double loadAfter = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        RingBenchReport report = new RingBenchReport(plan, scores, memoryPerNodeBytes,
                environment(jmhVersion, loadBefore, loadAfter) + System.lineSeparator()
                        + "ring under test (default settings, " + plan.changeNodes() + " nodes): " + sample);
        report.print(out);
        out.flush();
        return OK;
    }

    private static Collection<RunResult> runJmh(PrintStream out, Plan plan, Class<?> benchmark, int nodes)
            throws RunnerException {
        ChainedOptionsBuilder options = new OptionsBuilder()
                .include("^" + Pattern.quote(benchmark.getName()) + "\\.")
                .param("nodes", Integer.toString(nodes))
                .forks(plan.forks())
                .warmupIterations(plan.warmupIterations())
                .warmupTime(TimeValue.milliseconds(plan.warmupMs()))
                .measurementIterations(plan.measuredIterations())
                .measurementTime(TimeValue.milliseconds(plan.measuredMs()))
                .threads(1)
                .addProfiler(GCProfiler.class)
                .shouldFailOnError(true);
        VerboseMode verbosity = plan.quick() ? VerboseMode.SILENT : VerboseMode.NORMAL;
        options.verbosity(verbosity);
        Runner runner = new Runner(options.build(), OutputFormatFactory.createFormatInstance(out, verbosity));
        return runner.run();
    }

    /**
     * Date, machine, JVM and the load average around the run: on a shared 2-core machine a load well
     * above the core count means other work competed with the benchmark and the errors will show it.
     */
    private static String environment(String jmhVersion, double loadBefore, double loadAfter) {
        long memoryBytes = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            memoryBytes = os.getTotalMemorySize();
        }
        return String.format(Locale.ROOT, "%s; machine: %d cores, %s memory; %s %s; JMH %s;"
                        + " 1-min load average %.2f before, %.2f after", LocalDate.now(),
                Runtime.getRuntime().availableProcessors(),
                memoryBytes < 0 ? "unknown" : String.format(Locale.ROOT, "%.1f GiB", memoryBytes / (double) (1L << 30)),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), jmhVersion,
                loadBefore, loadAfter);
    }

    /**
     * {@code RingBench [--quick]}: runs the benchmarks and prints the table; exits with {@link #run}'s status.
     */
    public static void main(String[] args) {
        boolean quick = false;
        for (String arg : args) {
            switch (arg) {
                case "--quick" -> quick = true;
                case "-h", "--help" -> {
                    System.out.println("usage: RingBench [--quick]");
                    System.out.println("  runs the ring JMH benchmarks (about 5 minutes on 2 cores) and prints the ratio table;");
                    System.out.println("  --quick: smoke run in well under a minute, not a measurement");
                    return;
                }
                default -> {
                    System.err.println("RingBench: unknown argument '" + arg + "'; allowed: --quick, --help");
                    System.exit(USAGE);
                }
            }
        }
        System.exit(run(System.out, quick));
    }
}
