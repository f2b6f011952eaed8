package io.bulwark.bench;

import io.bulwark.lock.redis.LocalRedisServer;

import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockOptions;
import io.bulwark.lock.redis.RedisLockBackend;
import io.bulwark.lock.redis.RedisLockBackendOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.redisson.Redisson;
import org.redisson.api.RFencedLock;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * {@code bulwark bench lock}: issue 3's lock goals, end to end on one real {@code redis-server} that this
 * runner starts itself. Bulwark's {@link RedisLockBackend} through a {@link LockClient} is measured against
 * Redisson {@link RLock} ({@code tryLock}/{@code unlock}, watchdog on, as {@code lock()} does) and Redisson
 * {@link RFencedLock} ({@code tryLockAndGetToken}/{@code unlock}) on the same server, same durability
 * (no persistence, no replicas, no {@code WAIT}), in the same run, interleaved per configuration.
 *
 * <p>Each configuration (1, 8, 64 client threads; distinct names per client or one shared name) runs, for
 * every implementation in turn (the order rotates per configuration):
 * <ol>
 *   <li>a closed-loop warm-up;</li>
 *   <li>a closed-loop <b>saturation</b> phase: every client does acquire+release back to back; gives the
 *       throughput (pairs per second) and, from {@code INFO commandstats} before and after, Redis commands
 *       per pair;</li>
 * </ol>
 * then, for every implementation, an <b>open-loop latency</b> phase at one fixed arrival rate for all of
 * them (half of Redisson {@code RLock}'s saturation throughput in this configuration): each client has a
 * fixed schedule and latency is measured from the scheduled start, so a stall is charged to every request
 * it delays (coordinated omission corrected). Requests still unstarted at the end of the phase are counted
 * as {@code unserved}, not as latencies; a non-zero count means the implementation could not keep up with the
 * offered rate and its percentiles understate.
 *
 * <p>Bounded: every phase stops at its deadline, every acquire waits at most {@value #ACQUIRE_WAIT_SECONDS} s,
 * threads are joined with a deadline. Loopback only. The Redis server, Redisson and the lock client are
 * shut down at the end, also on failure. Not thread-safe (one run at a time).
 */
public final class LockBench {

    /** Exit status: every configuration was measured (goals may still be missed). */
    public static final int OK = 0;
    /** Exit status: the run could not complete (no Redis, a client failed to start, a phase hung). */
    public static final int FAILED = 1;

    /** Client thread counts of issue 3's goals. */
    static final int[] CLIENTS = {1, 8, 64};
    static final long ACQUIRE_WAIT_SECONDS = 10;
    /** Offered load of the latency phase, as a fraction of Redisson RLock's saturation throughput. */
    static final double OPEN_LOOP_LOAD = 0.5;
    private static final long HISTOGRAM_MAX_MICROS = TimeUnit.SECONDS.toMicros(60);

    /** The implementations, in the column order of the table; {@link #RLOCK} is the goals' peer. */
    enum Impl {
        BULWARK("Bulwark"), RLOCK("Redisson RLock"), FENCED("Redisson RFencedLock");

        final String label;

        Impl(String label) {
            this.label = label;
        }
    }

    /** Phase lengths; the full run is 1 s warm-up + 3 s saturation + 3 s open loop per implementation. */
    record Timing(long warmupMs, long saturationMs, long openLoopMs) {
        static Timing full() {
            return new Timing(1_000, 3_000, 3_000);
        }

        static Timing quick() {
            return new Timing(150, 300, 300);
        }
    }

    /** One row of the table: one implementation in one configuration. */
    record Row(int clients, boolean contended, Impl impl, long pairs, double pairsPerSecond, double commandsPerPair,
            double scriptsPerPair, double redisCpuMicrosPerPair, String commandMix, Histogram saturationMicros,
            double offeredPerSecond,
            Histogram latencyMicros, long unserved, long errors) {

        /**
         * True if the open loop kept up with the offered rate: at most 1% of the scheduled pairs were still
         * unstarted at the deadline (one or two are the pairs in flight at that instant). Otherwise its
         * percentiles understate the latency.
         */
        boolean keptUp() {
            return unserved <= 0.01 * (latencyMicros.getTotalCount() + unserved);
        }
    }

    private LockBench() {
    }

    /** Runs the full benchmark (or {@code --quick}) on System.out; exits with {@link #OK} or {@link #FAILED}. */
    public static void main(String[] args) {
        boolean quick = List.of(args).contains("--quick");
        System.exit(run(System.out, quick));
    }

    /**
     * Starts a redis-server, measures every configuration and prints the table and the goal rows.
     *
     * @param quick a smoke run (~0.75 s per implementation and configuration): keeps the runner working, the
     *              numbers are not a measurement
     * @return {@link #OK} if every configuration was measured, else {@link #FAILED} (the reason is printed)
     */
    public static int run(PrintStream out, boolean quick) {
        Timing timing = quick ? Timing.quick() : Timing.full();
        LocalRedisServer redis = null;
        RedisLockBackend backend = null;
        LockClient bulwark = null;
        RedissonClient redisson = null;
        try {
            redis = LocalRedisServer.start();
            backend = RedisLockBackend.create(RedisLockBackendOptions.of(redis.uri()));
            bulwark = LockClient.create(backend);
            redisson = Redisson.create(redissonConfig(redis.uri()));
            out.printf(Locale.ROOT, "=== Bulwark locks on Redis vs Redisson %s (same redis-server %s, same run)%s ===%n",
                    Redisson.class.getPackage().getImplementationVersion() == null ? "3.52.0"
                            : Redisson.class.getPackage().getImplementationVersion(),
                    redis.version(), quick ? " [QUICK: smoke run, not a measurement]" : "");
            out.printf(Locale.ROOT, "redis-server: %s on %s, no persistence, no replicas; %d cores; phases: warm-up %d ms,"
                            + " saturation %d ms, open loop %d ms at %.0f%% of RLock's saturation rate%n",
                    redis.binaryPath(), redis.uri(), Runtime.getRuntime().availableProcessors(), timing.warmupMs(),
                    timing.saturationMs(), timing.openLoopMs(), OPEN_LOOP_LOAD * 100);
            out.flush();
            Subjects subjects = new Subjects(bulwark, redisson);
            // JIT warm-up of both libraries before the first configuration, so the first rows (1 client) do not
            // measure the compiler; each configuration still has its own warm-up.
            for (Impl impl : Impl.values()) {
                run(subjects, impl, 8, false, "jit", 3 * timing.warmupMs(), 0);
            }
            List<Row> rows = new ArrayList<>();
            int config = 0;
            for (boolean contended : new boolean[] {false, true}) {
                for (int clients : CLIENTS) {
                    rows.addAll(measure(out, redis, subjects, clients, contended, timing, config++));
                }
            }
            printTable(out, rows);
            printGoals(out, rows);
            out.flush();
            return OK;
        } catch (Exception | LinkageError e) {
            out.println("lock bench FAILED: " + e);
            out.flush();
            return FAILED;
        } finally {
            // Each shutdown on its own, so one failing does not leave the others (and redis-server) running.
            if (bulwark != null) {
                quietly(out, bulwark::close);
            }
            if (backend != null) {
                quietly(out, backend::close);
            }
            if (redisson != null) {
                RedissonClient r = redisson;
                quietly(out, () -> r.shutdown(0, 5, TimeUnit.SECONDS));
            }
            if (redis != null) {
                quietly(out, redis::close);
            }
        }
    }

    private static Config redissonConfig(String uri) {
        Config config = new Config();
        // Defaults otherwise (64 connections in the pool, 30 s watchdog): what a user gets.
        config.useSingleServer().setAddress(uri);
        return config;
    }

    /** One configuration: warm-up + saturation per implementation, then the open-loop phase per implementation. */
    private static List<Row> measure(PrintStream out, LocalRedisServer redis, Subjects subjects, int clients,
            boolean contended, Timing timing, int config) throws IOException, InterruptedException {
        Impl[] order = rotated(config);
        double[] rate = new double[Impl.values().length];
        double[] commands = new double[Impl.values().length];
        long[] pairs = new long[Impl.values().length];
        long[] satErrors = new long[Impl.values().length];
        Histogram[] satLatency = new Histogram[Impl.values().length];
        String[] mixes = new String[Impl.values().length];
        double[] scripts = new double[Impl.values().length];
        double[] redisCpu = new double[Impl.values().length];
        for (Impl impl : order) {
            run(subjects, impl, clients, contended, "w" + config, timing.warmupMs(), 0);
            SortedMap<String, Long> before = redis.commandCallsByName();
            long cpuBefore = redis.cpuMicros();
            Phase saturation = run(subjects, impl, clients, contended, "s" + config, timing.saturationMs(), 0);
            long cpuAfter = redis.cpuMicros();
            SortedMap<String, Long> after = redis.commandCallsByName();
            redisCpu[impl.ordinal()] = saturation.pairs == 0 ? Double.NaN : (cpuAfter - cpuBefore) / (double) saturation.pairs;
            pairs[impl.ordinal()] = saturation.pairs;
            rate[impl.ordinal()] = saturation.pairs / (saturation.elapsedNanos / 1e9);
            long delta = 0;
            long scriptCalls = 0;
            StringBuilder mix = new StringBuilder();
            for (Map.Entry<String, Long> e : after.entrySet()) {
                long calls = e.getValue() - before.getOrDefault(e.getKey(), 0L);
                delta += calls;
                if (e.getKey().matches("eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro")) {
                    scriptCalls += calls;
                }
                if (calls > 0 && saturation.pairs > 0) {
                    mix.append(String.format(Locale.ROOT, " %s %.2f", e.getKey(), calls / (double) saturation.pairs));
                }
            }
            commands[impl.ordinal()] = saturation.pairs == 0 ? Double.NaN : delta / (double) saturation.pairs;
            mixes[impl.ordinal()] = mix.toString().trim();
            scripts[impl.ordinal()] = saturation.pairs == 0 ? Double.NaN : scriptCalls / (double) saturation.pairs;
            satErrors[impl.ordinal()] = saturation.errors;
            satLatency[impl.ordinal()] = saturation.latencyMicros;
        }
        double offered = Math.max(1, OPEN_LOOP_LOAD * rate[Impl.RLOCK.ordinal()]);
        List<Row> rows = new ArrayList<>();
        Phase[] open = new Phase[Impl.values().length];
        for (Impl impl : order) {
            open[impl.ordinal()] = run(subjects, impl, clients, contended, "o" + config, timing.openLoopMs(), offered);
        }
        for (Impl impl : Impl.values()) {
            int i = impl.ordinal();
            rows.add(new Row(clients, contended, impl, pairs[i], rate[i], commands[i], scripts[i], redisCpu[i], mixes[i],
                    satLatency[i], offered,
                    open[i].latencyMicros, open[i].unserved, satErrors[i] + open[i].errors));
        }
        out.printf(Locale.ROOT, "  measured %2d clients %-11s: Bulwark %,.0f/s, RLock %,.0f/s, RFencedLock %,.0f/s%n",
                clients, contended ? "one name" : "own names", rate[0], rate[1], rate[2]);
        out.flush();
        return rows;
    }

    private static Impl[] rotated(int config) {
        Impl[] all = Impl.values();
        Impl[] order = new Impl[all.length];
        for (int i = 0; i < all.length; i++) {
            order[i] = all[(i + config) % all.length];
        }
        return order;
    }

    /** What one phase of one implementation measured. */
    private record Phase(long pairs, long elapsedNanos, Histogram latencyMicros, long unserved, long errors) {
    }

    /**
     * Runs {@code clients} threads for {@code durationMs}. {@code offeredPerSecond == 0}: closed loop, back to
     * back. Otherwise open loop: client {@code c} starts its {@code k}-th pair at
     * {@code start + (k * clients + c) / offeredPerSecond} and latency counts from that scheduled time.
     */
    private static Phase run(Subjects subjects, Impl impl, int clients, boolean contended, String phase,
            long durationMs, double offeredPerSecond) throws InterruptedException {
        String base = "bench:" + impl.name().toLowerCase(Locale.ROOT) + ":" + phase + ":" + (contended ? "one" : "own");
        Histogram[] histograms = new Histogram[clients];
        long[] done = new long[clients];
        long[] unserved = new long[clients];
        long[] errors = new long[clients];
        AtomicReference<Throwable> firstError = new AtomicReference<>();
        Thread[] threads = new Thread[clients];
        long durationNanos = TimeUnit.MILLISECONDS.toNanos(durationMs);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20); // all threads exist before the first pair
        long end = start + durationNanos;
        double intervalNanos = offeredPerSecond > 0 ? clients * 1e9 / offeredPerSecond : 0;
        for (int c = 0; c < clients; c++) {
            int client = c;
            PairOp op = subjects.op(impl, contended ? base : base + ":" + client);
            Histogram histogram = new Histogram(HISTOGRAM_MAX_MICROS, 3);
            histograms[c] = histogram;
            threads[c] = new Thread(() -> {
                long offset = intervalNanos == 0 ? 0 : (long) (client * 1e9 / offeredPerSecond);
                long k = 0;
                while (true) {
                    long scheduled = intervalNanos == 0 ? System.nanoTime() : start + offset + (long) (k * intervalNanos);
                    long now = System.nanoTime();
                    if (scheduled - end >= 0) {
                        break;
                    }
                    if (now - end >= 0) {
                        if (intervalNanos == 0) {
                            break;
                        }
                        // Behind schedule at the deadline: the rest of this phase's requests were never started.
                        unserved[client] += 1 + (long) ((end - 1 - scheduled) / intervalNanos);
                        break;
                    }
                    if (scheduled - now > 0) {
                        LockSupport.parkNanos(scheduled - now);
                        continue;
                    }
                    if (intervalNanos == 0 && now - start < 0) {
                        LockSupport.parkNanos(start - now);
                        continue;
                    }
                    try {
                        op.acquireRelease();
                        long micros = Math.max(1, (System.nanoTime() - scheduled) / 1_000);
                        histogram.recordValue(Math.min(micros, HISTOGRAM_MAX_MICROS));
                        done[client]++;
                    } catch (Exception e) {
                        errors[client]++;
                        firstError.compareAndSet(null, e);
                        if (e instanceof InterruptedException) {
                            return;
                        }
                    }
                    k++;
                }
            }, "lock-bench-" + impl.name().toLowerCase(Locale.ROOT) + "-" + c);
            threads[c].setDaemon(true);
        }
        for (Thread t : threads) {
            t.start();
        }
        // A pair in flight at the deadline may wait up to the acquire timeout; beyond that the phase hung.
        long joinDeadline = end + TimeUnit.SECONDS.toNanos(ACQUIRE_WAIT_SECONDS + 5);
        for (Thread t : threads) {
            long left = joinDeadline - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(t, left);
            }
            if (t.isAlive()) {
                for (Thread u : threads) {
                    u.interrupt();
                }
                throw new IllegalStateException(impl.label + " phase " + phase + " with " + clients
                        + " clients did not finish within " + ACQUIRE_WAIT_SECONDS + " s after its deadline");
            }
        }
        long elapsed = Math.max(System.nanoTime() - start, durationNanos);
        Histogram total = new Histogram(HISTOGRAM_MAX_MICROS, 3);
        long pairs = 0;
        long unservedTotal = 0;
        long errorTotal = 0;
        for (int c = 0; c < clients; c++) {
            total.add(histograms[c]);
            pairs += done[c];
            unservedTotal += unserved[c];
            errorTotal += errors[c];
        }
        if (errorTotal > 0 && firstError.get() != null && pairs == 0) {
            throw new IllegalStateException(impl.label + " failed every pair in phase " + phase, firstError.get());
        }
        return new Phase(pairs, elapsed, total, unservedTotal, errorTotal);
    }

    /** One acquire followed by one release of a fixed lock name. */
    @FunctionalInterface
    private interface PairOp {
        void acquireRelease() throws Exception;
    }

    /** Builds the per-client operation of each implementation; shares one client of each library. */
    private static final class Subjects {
        private final LockClient bulwark;
        private final RedissonClient redisson;
        private final LockOptions options = LockOptions.exclusive()
                .withWaitTimeout(Duration.ofSeconds(ACQUIRE_WAIT_SECONDS));

        Subjects(LockClient bulwark, RedissonClient redisson) {
            this.bulwark = bulwark;
            this.redisson = redisson;
        }

        PairOp op(Impl impl, String name) {
            return switch (impl) {
                case BULWARK -> () -> {
                    try (LockLease lease = bulwark.acquire(name, options)) {
                        if (lease.fencingToken() <= 0) {
                            throw new IllegalStateException("non-positive fencing token from Bulwark");
                        }
                    }
                };
                case RLOCK -> {
                    RLock lock = redisson.getLock(name);
                    yield () -> {
                        // tryLock(wait, unit): lock()'s semantics (watchdog renewal) with a bounded wait.
                        if (!lock.tryLock(ACQUIRE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                            throw new TimeoutException("RLock not acquired in " + ACQUIRE_WAIT_SECONDS + " s");
                        }
                        lock.unlock();
                    };
                }
                case FENCED -> {
                    RFencedLock lock = redisson.getFencedLock(name);
                    yield () -> {
                        Long token = lock.tryLockAndGetToken(ACQUIRE_WAIT_SECONDS, TimeUnit.SECONDS);
                        if (token == null) {
                            throw new TimeoutException("RFencedLock not acquired in " + ACQUIRE_WAIT_SECONDS + " s");
                        }
                        lock.unlock();
                    };
                }
            };
        }
    }

    static final String TABLE_TITLE = "Acquire+release pairs";

    private static void printTable(PrintStream out, List<Row> rows) {
        out.println();
        out.println(TABLE_TITLE + ": saturation throughput (closed loop) and commands per pair; latency in the open"
                + " loop at the offered rate (ms, from the scheduled start);"
                + " sat p99 = p99 of the closed-loop saturation phase (every client back to back)");
        out.println("(cmds/pair counts every command Redis executed, including those run inside Lua scripts, as INFO"
                + " commandstats does; scripts/pair counts EVAL/EVALSHA calls, each one client round trip; redis us/pair is"
                + " the redis-server's CPU time (INFO cpu) per pair)");
        out.printf(Locale.ROOT,
                "%7s | %-9s | %-20s | %10s | %8s | %10s | %9s | %12s | %13s | %9s | %8s | %8s | %8s | %8s | %6s%n",
                "clients", "names", "implementation", "pairs/s", "x RLock", "sat p99 ms", "cmds/pair", "scripts/pair",
                "redis us/pair",
                "offered/s", "p50 ms", "p99 ms", "p99.9 ms", "unserved", "errors");
        out.println("-".repeat(187));
        for (Row r : rows) {
            Row peer = peer(rows, r);
            out.printf(Locale.ROOT,
                    "%7d | %-9s | %-20s | %10.0f | %7.2fx | %10.3f | %9.1f | %12.2f | %13.1f | %9.0f | %8.3f | %8.3f | %8.3f"
                            + " | %8d | %6d%n",
                    r.clients, r.contended ? "one" : "own", r.impl.label, r.pairsPerSecond,
                    r.pairsPerSecond / peer.pairsPerSecond, ms(r.saturationMicros, 99), r.commandsPerPair, r.scriptsPerPair,
                    r.redisCpuMicrosPerPair,
                    r.offeredPerSecond,
                    ms(r.latencyMicros, 50), ms(r.latencyMicros, 99), ms(r.latencyMicros, 99.9), r.unserved, r.errors);
        }
        out.println();
        out.println("Redis commands per pair by command (saturation phase, INFO commandstats)");
        for (Row r : rows) {
            out.printf(Locale.ROOT, "%7d | %-9s | %-20s | %s%n", r.clients, r.contended ? "one" : "own", r.impl.label,
                    r.commandMix);
        }
        out.println();
    }

    private static void printGoals(PrintStream out, List<Row> rows) {
        out.println("Goals (issue 3), Bulwark vs Redisson RLock in the same run");
        int passed = 0;
        int missed = 0;
        for (Row r : rows) {
            if (r.impl != Impl.BULWARK || (r.contended && r.clients == 1)) {
                continue;
            }
            Row peer = peer(rows, r);
            double throughput = r.pairsPerSecond / peer.pairsPerSecond;
            double p99 = ms(r.latencyMicros, 99) / ms(peer.latencyMicros, 99);
            double wantThroughput = r.contended ? 1.5 : (r.clients == 1 ? 1.2 : 2.0);
            double wantP99 = r.contended ? 0.25 : 0.5;
            String where = String.format(Locale.ROOT, "%s, %d client%s", r.contended ? "contended" : "uncontended",
                    r.clients, r.clients == 1 ? "" : "s");
            boolean okT = throughput >= wantThroughput;
            // Percentiles of a phase that could not keep up with the offered rate understate: never a pass.
            boolean okP = p99 <= wantP99 && r.keptUp();
            goal(out, where + ": throughput", String.format(Locale.ROOT, ">= %.1fx", wantThroughput),
                    String.format(Locale.ROOT, "%.2fx", throughput), okT);
            goal(out, where + ": p99", String.format(Locale.ROOT, "<= %.2fx", wantP99),
                    String.format(Locale.ROOT, "%.2fx%s", p99, r.keptUp() ? "" : " (fell behind)"), okP);
            passed += (okT ? 1 : 0) + (okP ? 1 : 0);
            missed += (okT ? 0 : 1) + (okP ? 0 : 1);
        }
        out.printf(Locale.ROOT, "goals: %d passed, %d missed%n", passed, missed);
    }

    private static void goal(PrintStream out, String goal, String target, String measured, boolean pass) {
        out.printf(Locale.ROOT, " %-36s | %-8s | %-18s | %s%n", goal, target, measured, pass ? "pass" : "MISSED");
    }

    private static Row peer(List<Row> rows, Row r) {
        for (Row p : rows) {
            if (p.impl == Impl.RLOCK && p.clients == r.clients && p.contended == r.contended) {
                return p;
            }
        }
        throw new IllegalStateException("no RLock row for " + r);
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? Double.NaN : h.getValueAtPercentile(percentile) / 1_000.0;
    }

    @FunctionalInterface
    private interface Shutdown {
        void run() throws Exception;
    }

    private static void quietly(PrintStream out, Shutdown shutdown) {
        try {
            shutdown.run();
        } catch (Exception | LinkageError e) {
            out.println("lock bench: shutdown step failed: " + e);
        }
    }
}
