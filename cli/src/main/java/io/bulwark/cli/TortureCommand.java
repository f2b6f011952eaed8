package io.bulwark.cli;

import io.bulwark.core.Clock;
import io.bulwark.sim.Fault;
import io.bulwark.sim.SimConfig;
import io.bulwark.sim.SimResult;
import io.bulwark.sim.Torture;
import java.io.PrintWriter;
import java.util.EnumSet;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bulwark torture}: runs many seeds of the deterministic simulator (a Paxos group under a workload and
 * a seeded fault schedule), checks every run for agreement, linearizability and convergence, and sums them
 * up; or replays one seed with its fault timeline. Exits 0 if no run had a violation, 1 if one did, 2 on bad
 * input. Runs on the calling thread; not thread-safe.
 */
@Command(name = "torture", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the deterministic simulator over many seeds and check every run for agreement,"
                + " linearizability and convergence.",
            "Each run is a Paxos group under crashes, partitions, lost, duplicated and reordered messages, torn"
                + " writes, bit flips, wiped disks, failed fsyncs, clock skew, replicas moved to new nodes and"
                + " leadership handed over, all drawn from its seed: a failing"
                + " run prints the command that replays it exactly.",
            "Exits 0 if no run had a violation, 1 if one did, 2 on bad input."},
        footer = {"", "Examples:",
            "  bulwark torture --seeds 200                      200 seeds, every fault",
            "  bulwark torture --seeds 50 --replicas 5 --faults crash,partition --json",
            "  bulwark torture --seed 9 --trace                 replay seed 9, with timeline"})
final class TortureCommand implements Callable<Integer> {

    /** The fault names {@code --faults} accepts; {@code CliTest} checks this lists every {@link Fault}. */
    static final String FAULT_NAMES = "crash, partition, loss, duplicate, reorder, torn-write, bit-flip, wipe,"
            + " fsync-failure, clock-skew, move, transfer";

    /** Bounds that keep a typo from starting a run that never ends. */
    static final int MAX_SEEDS = 10_000_000;
    static final long MAX_PERIOD_MS = 600_000;

    private static final SimConfig DEFAULTS = SimConfig.defaults(1);
    private static final int DEFAULT_SEEDS = 100;
    /** Progress goes to stderr at a tenth of the seeds if this long has passed since the last line ... */
    private static final long PROGRESS_MIN_MS = 2_000;
    /** ... and at least this often. */
    private static final long PROGRESS_MAX_MS = 10_000;

    @Spec
    CommandSpec spec;

    @Option(names = "--seeds", paramLabel = "N",
            description = "Seeds to run, one simulated run each (default: " + DEFAULT_SEEDS + ").")
    Integer seeds;

    @Option(names = "--first-seed", paramLabel = "S", description = "Run seeds S .. S+N-1 (default: 1).")
    Long firstSeed;

    @Option(names = "--seed", paramLabel = "S",
            description = "Run only seed S and print its report; with the other options equal, it replays exactly.")
    Long seed;

    @Option(names = "--trace",
            description = "With --seed: also list a passing run's fault timeline (a failing run's report always"
                    + " lists its faults and its last events); with --json, add both as arrays.")
    boolean trace;

    @Option(names = "--faults", paramLabel = "LIST",
            description = "Faults to inject (default: ${DEFAULT-VALUE}): all, none, or a comma-separated list of "
                    + FAULT_NAMES + ".")
    String faults = "all";

    @Option(names = "--replicas", paramLabel = "R",
            description = "Voters in the Paxos group, 1 to 9 (default: ${DEFAULT-VALUE}); 3 and 5 are typical.")
    int replicas = DEFAULTS.replicas();

    @Option(names = "--lease-reads", description = "Serve reads from the leader's lease instead of a read index.")
    boolean leaseReads;

    @Option(names = "--fault-ms", paramLabel = "MS",
            description = "Virtual milliseconds of faults in each run (default: ${DEFAULT-VALUE}).")
    long faultMs = DEFAULTS.faultMs();

    @Option(names = "--quiet-ms", paramLabel = "MS",
            description = "Then virtual milliseconds without faults, before the final audit (default: ${DEFAULT-VALUE},"
                    + " at least 100).")
    long quietMs = DEFAULTS.quietMs();

    @Option(names = "--max-failures", paramLabel = "K",
            description = "Stop after K failing seeds (default: ${DEFAULT-VALUE}).")
    int maxFailures = 3;

    @Option(names = "--lying-acceptor",
            description = "Make replica 1 deliberately broken (its promises hide accepted values) to see the"
                    + " checkers catch it; such runs are expected to fail.")
    boolean lyingAcceptor;

    @Option(names = "--json", description = "Print one JSON object (seeds, operations, slotsChosen, violations,"
            + " failingSeeds, elapsedMs, coverage, ...); progress still goes to stderr.")
    boolean json;

    @Override
    public Integer call() {
        EnumSet<Fault> faultSet = validate();
        SimConfig base = config(faultSet);
        boolean single = seed != null;
        long first = single ? seed : firstSeed == null ? 1 : firstSeed;
        int count = single ? 1 : seeds == null ? DEFAULT_SEEDS : seeds;
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        TortureReport report = new TortureReport(base, first, count, this::replayCommand);
        if (!json) {
            out.println(report.header());
            out.flush();
        }
        Progress progress = new Progress(err, count, single);
        Torture.Summary summary = Torture.run(base, first, count, single ? 1 : maxFailures, r -> {
            report.add(r);
            if (!r.passed() && !json && !single) {
                // Printed as soon as it happens: on a long run the operator can start replaying at once.
                out.println();
                out.print(report.failureReport(r));
                out.flush();
            }
            progress.after(r, report);
        });
        report.finish(summary);
        if (json) {
            out.println(report.toJson(single && trace));
        } else if (single) {
            report.printSingle(out, trace);
        } else {
            report.printSummary(out, maxFailures);
        }
        out.flush();
        return summary.violations() == 0 && summary.failures().isEmpty() ? 0 : 1;
    }

    private EnumSet<Fault> validate() {
        if (seed != null && (seeds != null || firstSeed != null)) {
            throw new ParameterException(spec.commandLine(),
                    "--seed runs one seed; it cannot be combined with --seeds or --first-seed");
        }
        if (trace && seed == null) {
            throw new ParameterException(spec.commandLine(),
                    "--trace replays one seed; use it with --seed S (e.g. --seed 9 --trace)");
        }
        if (seeds != null && (seeds < 1 || seeds > MAX_SEEDS)) {
            throw new ParameterException(spec.commandLine(),
                    "--seeds must be between 1 and " + MAX_SEEDS + ", was " + seeds);
        }
        if (replicas < 1 || replicas > 9) {
            throw new ParameterException(spec.commandLine(), "--replicas must be between 1 and 9, was " + replicas);
        }
        if (faultMs < 0 || faultMs > MAX_PERIOD_MS) {
            throw new ParameterException(spec.commandLine(),
                    "--fault-ms must be between 0 and " + MAX_PERIOD_MS + ", was " + faultMs);
        }
        if (quietMs < 100 || quietMs > MAX_PERIOD_MS) {
            // The quiet period must outlast a few election timeouts, or a healthy group looks stuck.
            throw new ParameterException(spec.commandLine(),
                    "--quiet-ms must be between 100 and " + MAX_PERIOD_MS + ", was " + quietMs);
        }
        if (maxFailures < 1) {
            throw new ParameterException(spec.commandLine(), "--max-failures must be at least 1, was " + maxFailures);
        }
        try {
            return Fault.parse(faults);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--faults: " + e.getMessage());
        }
    }

    private SimConfig config(EnumSet<Fault> faultSet) {
        try {
            return DEFAULTS.withReplicas(replicas).withFaults(faultSet).withLeaseReads(leaseReads)
                    .withDurations(faultMs, quietMs).withLyingAcceptor(lyingAcceptor);
        } catch (IllegalArgumentException e) {
            // The simulator's own bounds, should they ever be tighter than the ones checked above.
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The command that replays {@code s} with this run's options; only options that differ are spelled out. */
    String replayCommand(long s) {
        StringBuilder b = new StringBuilder("./bulwark torture --seed ").append(s).append(" --trace");
        if (replicas != DEFAULTS.replicas()) {
            b.append(" --replicas ").append(replicas);
        }
        EnumSet<Fault> set = Fault.parse(faults);
        if (!set.equals(DEFAULTS.faults())) {
            b.append(" --faults ").append(TortureReport.faultList(set));
        }
        if (leaseReads) {
            b.append(" --lease-reads");
        }
        if (faultMs != DEFAULTS.faultMs()) {
            b.append(" --fault-ms ").append(faultMs);
        }
        if (quietMs != DEFAULTS.quietMs()) {
            b.append(" --quiet-ms ").append(quietMs);
        }
        if (lyingAcceptor) {
            b.append(" --lying-acceptor");
        }
        return b.toString();
    }

    /** A stderr line at each tenth of the seeds (at most every 2 s) and at least every 10 s: long runs show life. */
    private static final class Progress {
        private final PrintWriter err;
        private final int total;
        private final boolean silent;
        private final Clock wall = Clock.system();
        private final long startNs = wall.nanoTime();
        private long lastLineNs = startNs;
        private int done;

        Progress(PrintWriter err, int total, boolean silent) {
            this.err = err;
            this.total = total;
            // Under ten seeds a run takes seconds; progress lines would only be noise.
            this.silent = silent || total < 10;
        }

        void after(SimResult r, TortureReport report) {
            done++;
            if (silent || done == total) {
                return;
            }
            long now = wall.nanoTime();
            boolean tenth = done * 10L / total != (done - 1) * 10L / total;
            long sinceMs = (now - lastLineNs) / 1_000_000;
            if (!(tenth && sinceMs >= PROGRESS_MIN_MS) && sinceMs < PROGRESS_MAX_MS) {
                return;
            }
            lastLineNs = now;
            double elapsedS = (now - startNs) / 1e9;
            double leftS = elapsedS / done * (total - done);
            err.printf(Locale.ROOT, "torture: %,d/%,d seeds (%d%%), %,d operations checked, %d failing, %.1f s,"
                    + " about %.0f s to go%n", done, total, done * 100L / total, report.operations(),
                    report.failingSeeds().size(), elapsedS, leftS);
            err.flush();
        }
    }
}
