package io.bulwark.bench.txn;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.BulwarkException;
import io.bulwark.client.Transaction;
import io.bulwark.client.TransactionConflictException;
import io.bulwark.server.node.ProcessCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code bulwark bench txn}: on one local 3-node cluster (16 partitions, fsync on), in one run —
 * <ul>
 *   <li>the latency of a single-partition put and of transaction commits writing 1, 2 and 4 partitions, one
 *       client, one operation at a time (parallel commit should make a 2- or 4-partition commit cost about one
 *       consensus round, like the put);</li>
 *   <li>transfer throughput (read two accounts, write both, commit; retried on conflict) at each concurrency,
 *       with the conflict rate, over {@link Options#accounts()} accounts.</li>
 * </ul>
 * Latencies in HdrHistogram, microseconds.
 */
public final class TxnBench {

    /** Partitions of the bench cluster. */
    public static final int PARTITIONS = 16;

    /** What to run. */
    public record Options(Duration warmup, Duration latency, Duration throughput, List<Integer> clients, int accounts,
                          Path parent) {
        public Options {
            clients = List.copyOf(clients);
            if (clients.isEmpty() || clients.stream().anyMatch(c -> c < 1 || c > 1_024)) {
                throw new IllegalArgumentException("client counts must be in [1, 1024], were " + clients);
            }
            if (accounts < 2) {
                throw new IllegalArgumentException("need at least 2 accounts, was " + accounts);
            }
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(10), List.of(1, 16, 64),
                    1_000, null);
        }

        public static Options quickRun() {
            return new Options(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(1), List.of(1, 4), 100, null);
        }

        public Options withClients(List<Integer> c) {
            return new Options(warmup, latency, throughput, c, accounts, parent);
        }

        public Options withSeconds(Duration latencyCell, Duration throughputCell) {
            return new Options(warmup, latencyCell, throughputCell, clients, accounts, parent);
        }

        public Options withAccounts(int n) {
            return new Options(warmup, latency, throughput, clients, n, parent);
        }

        public Options withParentDirectory(Path p) {
            return new Options(warmup, latency, throughput, clients, accounts, p);
        }
    }

    /** One latency cell. */
    public record Latency(String operation, long count, double p50Ms, double p99Ms, double meanMs) {
    }

    /** One throughput cell. */
    public record Throughput(int clients, long transfers, double perSecond, double conflictsPerTransfer, double p50Ms,
                             double p99Ms, long failures) {
    }

    /** Everything measured. */
    public record Report(List<Latency> latencies, List<Throughput> throughput) {

        /** Commit p50 of an N-partition transaction over the single-partition put's p50. */
        public double commitToPutRatio(int partitions) {
            double put = latencies.get(0).p50Ms();
            return latencies.stream().filter(l -> l.operation().startsWith("commit, " + partitions + " partition"))
                    .findFirst().orElseThrow().p50Ms() / put;
        }

        public String table() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "%-34s %10s %10s %10s %10s%n", "operation (1 client)", "count", "p50 ms",
                    "p99 ms", "mean ms"));
            for (Latency l : latencies) {
                b.append(String.format(Locale.ROOT, "%-34s %,10d %10.2f %10.2f %10.2f%n", l.operation(), l.count(),
                        l.p50Ms(), l.p99Ms(), l.meanMs()));
            }
            b.append(String.format(Locale.ROOT, "commit p50 / put p50: 2 partitions %.2fx, 4 partitions %.2fx "
                    + "(goal <= 1.5x)%n%n", commitToPutRatio(2), commitToPutRatio(4)));
            b.append(String.format(Locale.ROOT, "%-8s %10s %12s %18s %10s %10s %9s%n", "clients", "transfers",
                    "transfers/s", "conflicts/transfer", "p50 ms", "p99 ms", "failures"));
            for (Throughput t : throughput) {
                b.append(String.format(Locale.ROOT, "%-8d %,10d %12.0f %18.2f %10.2f %10.2f %9d%n", t.clients(),
                        t.transfers(), t.perSecond(), t.conflictsPerTransfer(), t.p50Ms(), t.p99Ms(), t.failures()));
            }
            return b.toString();
        }
    }

    private TxnBench() {
    }

    /** Starts a cluster, measures, stops it and deletes its directory. */
    public static Report run(Options o, PrintStream progress) throws IOException, InterruptedException {
        Path dir = o.parent() == null ? Files.createTempDirectory("bulwark-bench-txn")
                : Files.createTempDirectory(Files.createDirectories(o.parent()), "bulwark-bench-txn");
        ProcessCluster cluster = null;
        try {
            cluster = ProcessCluster.create(dir.resolve("cluster"), 3, PARTITIONS, 3, ProcessCluster.DEFAULT_JVM_ARGS,
                    progress);
            try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
                return measure(o, client, progress);
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            ProcessCluster.deleteDirectory(dir);
        }
    }

    private static Report measure(Options o, BulwarkClient client, PrintStream progress) throws InterruptedException {
        // Keys by partition, so each commit touches exactly the partitions it names.
        TreeMap<Integer, List<byte[]>> keysByPartition = new TreeMap<>();
        for (int i = 0; keysByPartition.size() < PARTITIONS || keysByPartition.values().stream().anyMatch(l -> l.size() < 64); i++) {
            byte[] k = ("bench/txn/" + i).getBytes(StandardCharsets.UTF_8);
            keysByPartition.computeIfAbsent(client.partitionOf(k), p -> new ArrayList<>()).add(k);
        }
        byte[] value = new byte[100];
        new SplittableRandom(1).nextBytes(value);
        SplittableRandom random = new SplittableRandom(7);
        List<Latency> latencies = new ArrayList<>();
        // Warm up every path once: connections, leaders, JIT.
        timed(o.warmup(), () -> {
            putOnce(client, keysByPartition, random, value);
            commitOnce(client, keysByPartition, random, value, 2);
        });
        latencies.add(latency("put, 1 partition (no transaction)", o.latency(), progress,
                () -> putOnce(client, keysByPartition, random, value)));
        for (int n : new int[] {1, 2, 4}) {
            latencies.add(latency("commit, " + n + " partition" + (n == 1 ? "" : "s") + " (blind writes)", o.latency(),
                    progress, () -> commitOnce(client, keysByPartition, random, value, n)));
        }
        List<byte[]> accounts = new ArrayList<>();
        for (int i = 0; i < o.accounts(); i++) {
            byte[] k = String.format("bench/acct-%05d", i).getBytes(StandardCharsets.UTF_8);
            accounts.add(k);
            client.put(k, "1000".getBytes(StandardCharsets.UTF_8));
        }
        List<Throughput> throughput = new ArrayList<>();
        for (int c : o.clients()) {
            throughput.add(transfers(client, accounts, c, o.warmup(), o.throughput(), progress));
        }
        return new Report(latencies, throughput);
    }

    private static void putOnce(BulwarkClient client, TreeMap<Integer, List<byte[]>> keys, SplittableRandom random,
                                byte[] value) {
        List<byte[]> pool = keys.get(random.nextInt(PARTITIONS));
        client.put(pool.get(random.nextInt(pool.size())), value);
    }

    private static void commitOnce(BulwarkClient client, TreeMap<Integer, List<byte[]>> keys, SplittableRandom random,
                                   byte[] value, int partitions) {
        List<Integer> chosen = new ArrayList<>();
        while (chosen.size() < partitions) {
            int p = random.nextInt(PARTITIONS);
            if (!chosen.contains(p)) {
                chosen.add(p);
            }
        }
        Transaction tx = client.begin();
        for (int p : chosen) {
            List<byte[]> pool = keys.get(p);
            tx.put(pool.get(random.nextInt(pool.size())), value);
        }
        tx.commit();
    }

    private static void timed(Duration d, Runnable op) {
        long until = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < until) {
            op.run();
        }
    }

    private static Latency latency(String name, Duration d, PrintStream progress, Runnable op) {
        Histogram h = new Histogram(TimeUnit.SECONDS.toMicros(60), 3);
        long until = System.nanoTime() + d.toNanos();
        while (System.nanoTime() < until) {
            long t0 = System.nanoTime();
            op.run();
            h.recordValue(Math.max(1, (System.nanoTime() - t0) / 1_000));
        }
        Latency l = new Latency(name, h.getTotalCount(), h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3, h.getMean() / 1e3);
        if (progress != null) {
            progress.printf(Locale.ROOT, "  %-34s p50 %.2f ms, p99 %.2f ms (%,d)%n", name, l.p50Ms(), l.p99Ms(), l.count());
        }
        return l;
    }

    private static Throughput transfers(BulwarkClient client, List<byte[]> accounts, int clients, Duration warmup,
                                        Duration measured, PrintStream progress) throws InterruptedException {
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
                    while (true) {
                        try {
                            Transaction tx = client.begin();
                            long a = Long.parseLong(new String(tx.get(from), StandardCharsets.UTF_8));
                            long b = Long.parseLong(new String(tx.get(to), StandardCharsets.UTF_8));
                            long amount = Math.min(a, 1 + random.nextInt(10));
                            tx.put(from, Long.toString(a - amount).getBytes(StandardCharsets.UTF_8));
                            tx.put(to, Long.toString(b + amount).getBytes(StandardCharsets.UTF_8));
                            tx.commit();
                            break;
                        } catch (TransactionConflictException e) {
                            if (measuring) {
                                conflicts.incrementAndGet();
                            }
                            java.util.concurrent.locks.LockSupport.parkNanos(random.nextLong(1_000_000) + 100_000);
                        } catch (BulwarkException e) {
                            if (measuring) {
                                failures.incrementAndGet();
                            }
                            break;
                        }
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
        Throughput r = new Throughput(clients, done.get(), done.get() / seconds,
                done.get() == 0 ? 0 : (double) conflicts.get() / done.get(), h.getValueAtPercentile(50) / 1e3,
                h.getValueAtPercentile(99) / 1e3, failures.get());
        if (progress != null) {
            progress.printf(Locale.ROOT, "  transfers, %3d clients: %,.0f/s, %.2f conflicts per transfer, p50 %.2f ms,"
                    + " p99 %.2f ms%n", clients, r.perSecond(), r.conflictsPerTransfer(), r.p50Ms(), r.p99Ms());
        }
        return r;
    }
}
