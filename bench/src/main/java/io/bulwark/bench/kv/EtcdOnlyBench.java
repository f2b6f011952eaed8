package io.bulwark.bench.kv;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * The etcd half of {@code bench kv}, runnable alone: starts a three-member {@link EtcdCluster}, runs the load
 * matrix through {@link EtcdEngine} and then the {@link FailoverProbe}, prints a table, and stops the cluster.
 * This is a note, not a comparison (BENCHMARKING.md rule 1): {@code bench kv} puts Bulwark beside it.
 *
 * <p>Per cell (mix x clients), see {@link OpenLoopLoad}: a closed-loop run finds the capacity, then an
 * open-loop run at {@code openLoopFraction} of it measures latency. {@link #measure} does the same for any
 * {@link KvEngine}.
 *
 * <p>Command line: {@code [--quick] [--clients 1,16,256] [--warmup S] [--saturation S] [--seconds S]
 * [--dir PATH] [--no-failover]}. Not thread-safe; one run at a time.
 */
public final class EtcdOnlyBench {

    /** Exit status: everything was measured. */
    public static final int OK = 0;
    /** Exit status: the run could not complete (the reason is printed). */
    public static final int FAILED = 1;
    /** Exit status: bad command line. */
    public static final int USAGE = 2;

    /** The key the failover probe writes (outside the load's key space). */
    static final byte[] FAILOVER_KEY = "bench-kv-failover".getBytes(StandardCharsets.US_ASCII);

    /**
     * What to run. Immutable; validated on construction.
     *
     * @param clients          concurrency levels, 1 to 8 of them, each in {@code [1, 4096]}
     * @param mixes            operation mixes, at least one
     * @param warmup           before each closed and each open loop run, in {@code [0, 10 min]}
     * @param saturation       measured closed loop (capacity), in {@code [100 ms, 1 h]}
     * @param latency          measured open loop (latency), in {@code [100 ms, 1 h]}
     * @param openLoopFraction offered rate as a fraction of the closed-loop capacity, in {@code (0, 1]}
     * @param valueBytes       value size, in {@code [1, 1048576]}
     * @param keyCount         keys, in {@code [1, 1000000]}
     * @param failover         whether to run the failover probe after the matrix
     * @param parentDirectory  where the cluster's run directory goes; {@code null}: the temporary directory
     * @param quick            a smoke run: the numbers are not a measurement
     */
    public record Options(List<Integer> clients, List<OpenLoopLoad.Mix> mixes, Duration warmup, Duration saturation,
                          Duration latency, double openLoopFraction, int valueBytes, int keyCount, boolean failover,
                          Path parentDirectory, boolean quick) {

        /** Validates every field; see the components for the allowed values. */
        public Options {
            clients = List.copyOf(clients);
            mixes = List.copyOf(mixes);
            if (clients.isEmpty() || clients.size() > 8) {
                throw new IllegalArgumentException("give 1 to 8 client counts, was " + clients.size());
            }
            if (mixes.isEmpty()) {
                throw new IllegalArgumentException("give at least one mix");
            }
            if (!(openLoopFraction > 0 && openLoopFraction <= 1)) {
                throw new IllegalArgumentException("openLoopFraction must be in (0, 1], was " + openLoopFraction);
            }
            // The workload validates the rest, with its messages.
            for (int c : clients) {
                workload(c, mixes.get(0), warmup, saturation, valueBytes, keyCount);
                workload(c, mixes.get(0), warmup, latency, valueBytes, keyCount);
            }
        }

        /**
         * 1, 16 and 256 clients; put-only, 90/10 get/put and get-only; 2 s warm-up, 5 s closed loop, 10 s open loop at 80%;
         * 100-byte values, 1,000 keys; failover probe on. About 3 minutes of load per engine.
         */
        public static Options defaults() {
            return new Options(List.of(1, 16, 256), List.of(OpenLoopLoad.Mix.values()), Duration.ofSeconds(2),
                    Duration.ofSeconds(5), Duration.ofSeconds(10), 0.8, 100, 1_000, true, null, false);
        }

        /** A smoke run: 1 and 16 clients, 0.2 s warm-up, 0.5 s per loop, failover on. Not a measurement. */
        public static Options quickRun() {
            return new Options(List.of(1, 16), List.of(OpenLoopLoad.Mix.values()), Duration.ofMillis(200),
                    Duration.ofMillis(500), Duration.ofMillis(500), 0.8, 100, 200, true, null, true);
        }

        public Options withClients(List<Integer> levels) {
            return new Options(levels, mixes, warmup, saturation, latency, openLoopFraction, valueBytes, keyCount,
                    failover, parentDirectory, quick);
        }

        public Options withDurations(Duration newWarmup, Duration newSaturation, Duration newLatency) {
            return new Options(clients, mixes, newWarmup, newSaturation, newLatency, openLoopFraction, valueBytes,
                    keyCount, failover, parentDirectory, quick);
        }

        public Options withFailover(boolean on) {
            return new Options(clients, mixes, warmup, saturation, latency, openLoopFraction, valueBytes, keyCount, on,
                    parentDirectory, quick);
        }

        public Options withParentDirectory(Path directory) {
            return new Options(clients, mixes, warmup, saturation, latency, openLoopFraction, valueBytes, keyCount,
                    failover, directory, quick);
        }

        OpenLoopLoad.Workload workload(int c, OpenLoopLoad.Mix mix, Duration measure) {
            return workload(c, mix, warmup, measure, valueBytes, keyCount);
        }

        private static OpenLoopLoad.Workload workload(int c, OpenLoopLoad.Mix mix, Duration warmup, Duration measure,
                                                      int valueBytes, int keyCount) {
            return OpenLoopLoad.Workload.of(c, mix).withWarmup(warmup).withMeasure(measure).withValueBytes(valueBytes)
                    .withKeyCount(keyCount);
        }
    }

    /** One cell: the closed-loop capacity run and the open-loop latency run. */
    public record Cell(OpenLoopLoad.Mix mix, int clients, OpenLoopLoad.Result capacity, OpenLoopLoad.Result latency) {
    }

    /**
     * One run's results.
     *
     * @param failover the probe's result, or {@code null} if it was not run
     */
    public record Report(String engine, Options options, Instant startedAt, int cores, long maxHeapBytes,
                         List<Cell> cells, FailoverProbe.Result failover) {

        public Report {
            cells = List.copyOf(cells);
        }

        /** The table, the method and the failover line. */
        public String toText() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "=== bench kv, etcd half: %s%s ===%n", engine,
                    options.quick() ? " [QUICK: smoke run, not a measurement]" : ""));
            b.append(String.format(Locale.ROOT, "setup: 3 etcd members on loopback, etcd defaults (WAL fsynced per batch),"
                    + " one jetcd client; %d cores, max heap %d MiB; started %s%n", cores, maxHeapBytes >> 20, startedAt));
            b.append(String.format(Locale.ROOT, "load: %d-byte values, %d keys of %d bytes, warm-up %.1f s; closed loop"
                            + " %.1f s for capacity, then open loop %.1f s at %.0f%% of it (latency from the intended"
                            + " start)%n%n", options.valueBytes(), options.keyCount(), OpenLoopLoad.KEY_BYTES,
                    seconds(options.warmup()), seconds(options.saturation()), seconds(options.latency()),
                    100 * options.openLoopFraction()));
            b.append(String.format(Locale.ROOT, "%-14s %7s %10s | %9s %9s %8s %8s %9s %8s %7s %8s%n", "mix", "clients",
                    "max ops/s", "offered/s", "ops/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "errors", "unserved"));
            for (Cell c : cells) {
                OpenLoopLoad.Result l = c.latency();
                b.append(String.format(Locale.ROOT, "%-14s %7d %10.0f | %9.0f %9.0f %8.2f %8.2f %9.2f %8.2f %7d %8d%s%n",
                        c.mix().label(), c.clients(), c.capacity().opsPerSecond(), l.offeredPerSecond(),
                        l.opsPerSecond(), l.p50Ms(), l.p99Ms(), l.p999Ms(), l.maxMs(), l.errors() + c.capacity().errors(),
                        l.unserved(), l.keptUp() ? "" : "  (did not keep up: percentiles understate)"));
            }
            if (failover != null) {
                b.append(String.format(Locale.ROOT, "%nfailover (kill -9 of the leader, one write every %d ms):%n  %s%n",
                        FailoverProbe.Options.defaults().writeInterval().toMillis(), failover.summary()));
            }
            return b.toString();
        }

        private static double seconds(Duration d) {
            return d.toNanos() / 1e9;
        }
    }

    private EtcdOnlyBench() {
    }

    /** Runs the bench from the command line (see the class comment) and exits with its status. */
    public static void main(String[] args) {
        System.exit(run(args, System.out));
    }

    /** Parses {@code args}, runs, prints the report to {@code out}; returns {@link #OK}, {@link #FAILED} or {@link #USAGE}. */
    public static int run(String[] args, PrintStream out) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            out.println("bench kv (etcd): " + e.getMessage());
            out.println("usage: EtcdOnlyBench [--quick] [--clients 1,16,256] [--warmup S] [--saturation S]"
                    + " [--seconds S] [--dir PATH] [--no-failover]");
            return USAGE;
        }
        try {
            Report report = run(options, out);
            out.println();
            out.print(report.toText());
            return OK;
        } catch (IOException | TimeoutException | ExecutionException | RuntimeException e) {
            out.println("bench kv (etcd) FAILED: " + e);
            return FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.println("bench kv (etcd) interrupted");
            return FAILED;
        }
    }

    /** Starts an etcd cluster, {@link #measure measures} it, stops it. */
    public static Report run(Options options, PrintStream progress)
            throws IOException, TimeoutException, ExecutionException, InterruptedException {
        EtcdCluster.Options cluster = EtcdCluster.Options.defaults().withProgress(progress)
                .withParentDirectory(options.parentDirectory());
        try (EtcdEngine engine = EtcdEngine.start(cluster)) {
            return measure(engine, options, progress);
        }
    }

    /** Preloads the keys, runs every cell (mixes outer, clients inner), then the failover probe if asked. */
    public static Report measure(KvEngine engine, Options options, PrintStream progress)
            throws IOException, TimeoutException, ExecutionException, InterruptedException {
        Objects.requireNonNull(engine, "engine");
        Instant startedAt = Instant.now();
        progress.printf(Locale.ROOT, "%s: preloading %d keys%n", engine.name(), options.keyCount());
        OpenLoopLoad.preload(engine, options.workload(1, options.mixes().get(0), options.saturation()));
        List<Cell> cells = new ArrayList<>();
        for (OpenLoopLoad.Mix mix : options.mixes()) {
            for (int clients : options.clients()) {
                OpenLoopLoad.Result capacity = OpenLoopLoad.closedLoop(engine,
                        options.workload(clients, mix, options.saturation()));
                double rate = Math.max(1, options.openLoopFraction() * capacity.opsPerSecond());
                progress.printf(Locale.ROOT, "  %-14s %4d clients: capacity %.0f ops/s (closed loop, p99 %.2f ms);"
                        + " open loop at %.0f ops/s...%n", mix.label(), clients, capacity.opsPerSecond(),
                        capacity.p99Ms(), rate);
                OpenLoopLoad.Result latency = OpenLoopLoad.openLoop(engine,
                        options.workload(clients, mix, options.latency()), rate);
                progress.printf(Locale.ROOT, "  %-14s %4d clients: %.0f ops/s, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms,"
                                + " %d errors, %d unserved%n", mix.label(), clients, latency.opsPerSecond(),
                        latency.p50Ms(), latency.p99Ms(), latency.p999Ms(), latency.errors(), latency.unserved());
                cells.add(new Cell(mix, clients, capacity, latency));
            }
        }
        FailoverProbe.Result failover = null;
        if (options.failover()) {
            progress.printf(Locale.ROOT, "%s: failover probe (kill -9 of the leader)%n", engine.name());
            failover = FailoverProbe.run(engine, FAILOVER_KEY, FailoverProbe.Options.defaults());
            progress.println("  " + failover.summary());
        }
        return new Report(engine.name(), options, startedAt, Runtime.getRuntime().availableProcessors(),
                Runtime.getRuntime().maxMemory(), cells, failover);
    }

    static Options parse(String[] args) {
        Options o = Options.defaults();
        if (Arrays.asList(args).contains("--quick")) {
            o = Options.quickRun();
        }
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--quick" -> {
                    // Applied first, so that other flags refine the preset.
                }
                case "--no-failover" -> o = o.withFailover(false);
                case "--clients" -> o = o.withClients(Arrays.stream(value(args, ++i, arg).split(","))
                        .map(String::trim).map(s -> parseInt(s, arg)).toList());
                case "--warmup" -> o = o.withDurations(seconds(value(args, ++i, arg), arg), o.saturation(), o.latency());
                case "--saturation" -> o = o.withDurations(o.warmup(), seconds(value(args, ++i, arg), arg), o.latency());
                case "--seconds" -> o = o.withDurations(o.warmup(), o.saturation(), seconds(value(args, ++i, arg), arg));
                case "--dir" -> o = o.withParentDirectory(Path.of(value(args, ++i, arg)));
                default -> throw new IllegalArgumentException("unknown argument " + arg);
            }
        }
        return o;
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return args[i];
    }

    private static int parseInt(String s, String flag) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes whole numbers, was " + s);
        }
    }

    private static Duration seconds(String s, String flag) {
        try {
            return Duration.ofNanos(Math.round(Double.parseDouble(s) * 1e9));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " takes seconds (e.g. 2 or 0.5), was " + s);
        }
    }
}
