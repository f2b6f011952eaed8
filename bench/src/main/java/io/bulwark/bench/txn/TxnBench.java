package io.bulwark.bench.txn;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code bulwark bench txn}: Bulwark's 3-node cluster (16 partitions, fsync on) and, in the same run, a 3-member
 * etcd cluster (its peer for multi-key transactions) — each cell measured on Bulwark, then on etcd:
 * <ul>
 *   <li>latency, one client, open loop at a fixed arrival rate ({@link Options#latencyRate()}, light load by
 *       default): a single put, and a blind transactional write of 1, 2 and 4 keys (on Bulwark each key on a
 *       different partition, so the commit spans that many Paxos groups; parallel commit should cost about one
 *       consensus round, like the put; etcd's is one Raft round). Operation {@code i} is due at
 *       {@code start + i / rate}; its latency is measured from then, so an operation that starts late because
 *       the previous one ran long is charged the wait (coordinated omission corrected). Beside them, four plain
 *       puts to four partitions sent at once: the floor of a 4-partition commit, since any protocol must make a
 *       write durable in each of the four groups. Before the measured rounds, every kind of operation runs back to
 *       back for the warm-up time, then one unrecorded round: at 100 operations per second the nodes' JIT is
 *       otherwise still compiling in the first measured rounds;</li>
 *   <li>transfer throughput (read two accounts, write both if neither changed, retried on conflict) at each
 *       concurrency over {@link Options#accounts()} accounts, with the conflict rate.</li>
 * </ul>
 * Latencies in HdrHistogram, microseconds.
 */
public final class TxnBench {

    /** What to run. */
    public record Options(Duration warmup, Duration latency, Duration throughput, List<Integer> clients, int accounts,
                          Path parent, boolean etcd, double latencyRate) {
        public Options {
            if (!(latencyRate > 0 && latencyRate <= 10_000)) {
                throw new IllegalArgumentException("the latency cells' arrival rate must be in (0, 10000] per second, was "
                        + latencyRate);
            }
            clients = List.copyOf(clients);
            if (clients.isEmpty() || clients.stream().anyMatch(c -> c < 1 || c > 1_024)) {
                throw new IllegalArgumentException("client counts must be in [1, 1024], were " + clients);
            }
            if (accounts < 2) {
                throw new IllegalArgumentException("need at least 2 accounts, was " + accounts);
            }
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(5), Duration.ofSeconds(8), Duration.ofSeconds(8), List.of(1, 16, 64),
                    1_000, null, true, DEFAULT_LATENCY_RATE);
        }

        public static Options quickRun() {
            return new Options(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(1), List.of(1, 4), 100,
                    null, true, DEFAULT_LATENCY_RATE);
        }

        public Options withClients(List<Integer> c) {
            return new Options(warmup, latency, throughput, c, accounts, parent, etcd, latencyRate);
        }

        public Options withSeconds(Duration latencyCell, Duration throughputCell) {
            return new Options(warmup, latencyCell, throughputCell, clients, accounts, parent, etcd, latencyRate);
        }

        public Options withAccounts(int n) {
            return new Options(warmup, latency, throughput, clients, n, parent, etcd, latencyRate);
        }

        public Options withParentDirectory(Path p) {
            return new Options(warmup, latency, throughput, clients, accounts, p, etcd, latencyRate);
        }

        /** The latency cells' fixed arrival rate, operations per second. */
        public Options withLatencyRate(double perSecond) {
            return new Options(warmup, latency, throughput, clients, accounts, parent, etcd, perSecond);
        }

        /** Whether etcd runs beside Bulwark (off: Bulwark alone, e.g. where etcd cannot be installed). */
        public Options withEtcd(boolean on) {
            return new Options(warmup, latency, throughput, clients, accounts, parent, on, latencyRate);
        }
    }

    /** One latency cell. */
    public record Latency(String engine, String operation, long count, double p50Ms, double p99Ms, double meanMs) {
    }

    /** One throughput cell. */
    public record Throughput(String engine, int clients, long transfers, double perSecond, double conflictsPerTransfer,
                             double p50Ms, double p99Ms, long failures) {
    }

    static final String PUT = "put (no transaction)";
    /** Four puts to four partitions sent at once, no transaction: the floor of a 4-partition commit. */
    static final String PUT_4_AT_ONCE = "4 puts at once";
    /** Light load: an operation every 10 ms, far below either engine's capacity. */
    public static final double DEFAULT_LATENCY_RATE = 100;
    /** Latency cells are measured in this many interleaved rounds. */
    static final int ROUNDS = 4;

    static String commit(int keys) {
        return "commit, " + keys + " key" + (keys == 1 ? "" : "s");
    }

    /** Everything measured. */
    public record Report(List<String> engines, List<Latency> latencies, List<Throughput> throughput) {

        private Latency latency(String engine, String operation) {
            return latencies.stream().filter(l -> l.engine().equals(engine) && l.operation().equals(operation))
                    .findFirst().orElseThrow();
        }

        /** On {@code engine}: commit p50 of an N-key (on Bulwark N-partition) transaction over its put p50. */
        public double commitToPutRatio(String engine, int keys) {
            return latency(engine, commit(keys)).p50Ms() / latency(engine, PUT).p50Ms();
        }

        /**
         * On {@code engine}: the 4-key commit's p50 over that of four plain puts to the same kind of keys sent at
         * once — what the commit protocol adds to writing four groups.
         */
        public double commitToPutsAtOnceRatio(String engine) {
            return latency(engine, commit(4)).p50Ms() / latency(engine, PUT_4_AT_ONCE).p50Ms();
        }

        private Throughput throughput(String engine, int clients) {
            return throughput.stream().filter(t -> t.engine().equals(engine) && t.clients() == clients).findFirst()
                    .orElseThrow();
        }

        public String table() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "%-44s %-22s %8s %8s %8s %8s%n", "engine", "operation (open loop)",
                    "count", "p50 ms", "p99 ms", "mean ms"));
            for (Latency l : latencies) {
                b.append(String.format(Locale.ROOT, "%-44s %-22s %,8d %8.2f %8.2f %8.2f%n", l.engine(), l.operation(),
                        l.count(), l.p50Ms(), l.p99Ms(), l.meanMs()));
            }
            for (String e : engines) {
                b.append(String.format(Locale.ROOT, "%s: commit p50 / put p50 = %.2fx at 2 keys, %.2fx at 4 keys;"
                        + " 4-key commit / 4 puts at once = %.2fx%n", e, commitToPutRatio(e, 2), commitToPutRatio(e, 4),
                        commitToPutsAtOnceRatio(e)));
            }
            b.append(String.format(Locale.ROOT, "%n%-44s %7s %10s %11s %10s %8s %8s %8s%n", "engine", "clients",
                    "transfers", "transfers/s", "conflicts", "p50 ms", "p99 ms", "failures"));
            for (Throughput t : throughput) {
                b.append(String.format(Locale.ROOT, "%-44s %7d %,10d %11.0f %10.2f %8.2f %8.2f %8d%n", t.engine(),
                        t.clients(), t.transfers(), t.perSecond(), t.conflictsPerTransfer(), t.p50Ms(), t.p99Ms(),
                        t.failures()));
            }
            if (engines.size() == 2) {
                b.append(String.format(Locale.ROOT, "%ntransfer throughput, %s / %s:", engines.get(0), engines.get(1)));
                for (Throughput t : throughput) {
                    if (t.engine().equals(engines.get(0))) {
                        b.append(String.format(Locale.ROOT, " %.2fx at %d", t.perSecond()
                                / throughput(engines.get(1), t.clients()).perSecond(), t.clients()));
                    }
                }
                b.append(String.format(Locale.ROOT, "%n"));
            }
            return b.toString();
        }
    }

    private TxnBench() {
    }

    /** Starts the clusters, measures every cell on each in turn, stops them and deletes their directories. */
    public static Report run(Options o, PrintStream progress) throws IOException, InterruptedException,
            java.util.concurrent.TimeoutException {
        PrintStream out = progress == null ? new PrintStream(java.io.OutputStream.nullOutputStream()) : progress;
        List<TxnEngine> engines = new ArrayList<>();
        try {
            engines.add(BulwarkTxnEngine.start(o.parent(), progress));
            if (o.etcd()) {
                io.bulwark.bench.kv.EtcdCluster.Options eo = io.bulwark.bench.kv.EtcdCluster.Options.defaults()
                        .withProgress(out);
                if (o.parent() != null) {
                    eo = eo.withParentDirectory(o.parent());
                }
                engines.add(EtcdTxnEngine.start(eo));
            }
            return measure(o, engines, out);
        } finally {
            for (TxnEngine e : engines) {
                e.close();
            }
        }
    }

    private static Report measure(Options o, List<TxnEngine> engines, PrintStream out) throws InterruptedException {
        byte[] value = new byte[100];
        new SplittableRandom(1).nextBytes(value);
        List<Latency> latencies = new ArrayList<>();
        record Cell(String name, int keys, boolean transaction) {
            Runnable op(TxnEngine e, SplittableRandom random, byte[] value) {
                if (!transaction) {
                    return keys == 1 ? () -> e.put(e.keysForCommit(1, random).get(0), value)
                            : () -> e.putAllAtOnce(e.keysForCommit(keys, random), value);
                }
                return () -> e.commitBlind(e.keysForCommit(keys, random), value);
            }
        }
        List<Cell> cells = List.of(new Cell(PUT, 1, false), new Cell(PUT_4_AT_ONCE, 4, false),
                new Cell(commit(1), 1, true), new Cell(commit(2), 2, true), new Cell(commit(4), 4, true));
        // Warm-up, not recorded: every kind of operation back to back (the nodes' JIT compiles what the cells run),
        // then one open-loop round like the measured ones.
        for (TxnEngine e : engines) {
            SplittableRandom random = new SplittableRandom(3);
            List<Runnable> ops = cells.stream().map(c -> c.op(e, random, value)).toList();
            int[] next = {0};
            timed(o.warmup(), () -> ops.get(next[0]++ % ops.size()).run());
        }
        // Rounds: every cell on every engine in turn, each round a slice of the cell's time, so that drift over the
        // run (JIT, page cache, log growth) falls on every cell alike. Round 0 is the warm-up round.
        java.util.Map<String, Histogram> histograms = new java.util.LinkedHashMap<>();
        Duration slice = o.latency().dividedBy(ROUNDS);
        for (int round = 0; round <= ROUNDS; round++) {
            for (Cell cell : cells) {
                for (TxnEngine e : engines) {
                    SplittableRandom random = new SplittableRandom(7L * round + cell.keys() + (cell.transaction() ? 16 : 0));
                    Histogram h = round == 0 ? new Histogram(TimeUnit.SECONDS.toMicros(60), 3)
                            : histograms.computeIfAbsent(e.name() + "\u0000" + cell.name(),
                                    k -> new Histogram(TimeUnit.SECONDS.toMicros(60), 3));
                    record(h, slice, o.latencyRate(), cell.op(e, random, value));
                }
            }
        }
        for (Cell cell : cells) {
            for (TxnEngine e : engines) {
                Histogram h = histograms.get(e.name() + "\u0000" + cell.name());
                Latency l = new Latency(e.name(), cell.name(), h.getTotalCount(), h.getValueAtPercentile(50) / 1e3,
                        h.getValueAtPercentile(99) / 1e3, h.getMean() / 1e3);
                out.printf(Locale.ROOT, "  %-44s %-22s p50 %.2f ms, p99 %.2f ms (%,d)%n", e.name(), cell.name(),
                        l.p50Ms(), l.p99Ms(), l.count());
                latencies.add(l);
            }
        }
        List<byte[]> accounts = new ArrayList<>();
        for (int i = 0; i < o.accounts(); i++) {
            accounts.add(String.format("bench/acct-%05d", i).getBytes(StandardCharsets.UTF_8));
        }
        for (TxnEngine e : engines) {
            e.open(accounts, 1_000);
        }
        List<Throughput> throughput = new ArrayList<>();
        for (int c : o.clients()) {
            for (TxnEngine e : engines) {
                throughput.add(transfers(e, accounts, c, o.warmup(), o.throughput(), out));
            }
        }
        return new Report(engines.stream().map(TxnEngine::name).toList(), latencies, throughput);
    }

    private static void timed(Duration d, Runnable op) {
        long until = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < until) {
            op.run();
        }
    }

    /** Open loop: operation {@code i} is due at {@code start + i / rate} and timed from then. */
    private static void record(Histogram h, Duration d, double rate, Runnable op) {
        long start = System.nanoTime();
        long until = start + d.toNanos();
        double period = 1e9 / rate;
        for (long i = 0; ; i++) {
            long due = start + (long) (i * period);
            if (due >= until) {
                return;
            }
            for (long now = System.nanoTime(); now < due; now = System.nanoTime()) {
                java.util.concurrent.locks.LockSupport.parkNanos(due - now);
            }
            op.run();
            h.recordValue(Math.max(1, (System.nanoTime() - due) / 1_000));
        }
    }

    private static Throughput transfers(TxnEngine engine, List<byte[]> accounts, int clients, Duration warmup,
                                        Duration measured, PrintStream out) throws InterruptedException {
        Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(60), 3);
        AtomicLong done = new AtomicLong();
        AtomicLong conflicts = new AtomicLong();
        AtomicLong failures = new AtomicLong();
        long start = System.nanoTime();
        long measureFrom = start + warmup.toNanos();
        long until = measureFrom + measured.toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < clients; t++) {
            int seed = t;
            Thread thread = new Thread(() -> {
                SplittableRandom random = new SplittableRandom(seed * 31L + clients);
                while (System.nanoTime() < until) {
                    byte[] from = accounts.get(random.nextInt(accounts.size()));
                    byte[] to;
                    do {
                        to = accounts.get(random.nextInt(accounts.size()));
                    } while (to == from);
                    long t0 = System.nanoTime();
                    boolean measuring = t0 >= measureFrom;
                    try {
                        while (!engine.transfer(from, to, 10, random)) {
                            if (measuring) {
                                conflicts.incrementAndGet();
                            }
                            java.util.concurrent.locks.LockSupport.parkNanos(random.nextLong(1_000_000) + 100_000);
                        }
                    } catch (RuntimeException e) {
                        if (measuring) {
                            failures.incrementAndGet();
                        }
                        continue;
                    }
                    long end = System.nanoTime();
                    if (measuring && end <= until) {
                        recorder.recordValue(Math.max(1, (end - t0) / 1_000));
                        done.incrementAndGet();
                    }
                }
            }, "bench-txn-" + t);
            thread.setDaemon(true);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        Histogram h = recorder.getIntervalHistogram();
        double seconds = measured.toNanos() / 1e9;
        Throughput r = new Throughput(engine.name(), clients, done.get(), done.get() / seconds,
                done.get() == 0 ? 0 : (double) conflicts.get() / done.get(), h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3, failures.get());
        out.printf(Locale.ROOT, "  %-44s transfers, %3d clients: %,.0f/s, %.2f conflicts per transfer, p50 %.2f ms,"
                + " p99 %.2f ms%n", engine.name(), clients, r.perSecond(), r.conflictsPerTransfer(), r.p50Ms(), r.p99Ms());
        return r;
    }
}
