package io.bulwark.bench.kv;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The load generator of {@code bench kv}: the same code drives every {@link KvEngine}, with the same keys,
 * values and operation sequence (seeded).
 *
 * <p><b>Method.</b> A cell (clients x mix) is measured in two steps:
 * <ol>
 *   <li>{@link #closedLoop}: every client has one operation in flight and sends the next as soon as the last
 *       completes. Its throughput is the engine's capacity at that concurrency (latency is measured from the
 *       send, so it is not corrected for coordinated omission and is only a side note).</li>
 *   <li>{@link #openLoop} at a fixed rate below that capacity (the caller picks it, e.g. 80% of the slower
 *       engine's capacity, so both engines get the same offered load): operation {@code i} has the intended
 *       start time {@code t0 + i / rate}, client {@code i mod clients} sends it, and its latency is measured
 *       from the intended start, not from the send. The client count bounds the operations in flight: a
 *       client still waiting for its previous operation sends the next one late, and that delay is charged to
 *       the operation's latency (coordinated omission corrected, as in wrk2). Operations whose intended start
 *       falls in the window but that were still unsent when it closed are counted as {@code unserved}: more
 *       than 1% means the engine did not keep up and the percentiles understate.</li>
 * </ol>
 *
 * <p>Each run has a warm-up, whose operations are executed but not recorded, then a measured window; an
 * operation is recorded if its (intended, in open loop) start falls in the window. Latencies go to an
 * HdrHistogram in microseconds (3 significant digits). A failed operation counts as an error, not as a
 * latency, and the client goes on with its schedule (no retry). Every operation is given up after
 * {@value #OPERATION_TIMEOUT_SECONDS} s (an error), so a run always ends.
 *
 * <p>Threads: one scheduler thread sends every operation; completions run on the engine's threads and only
 * record and schedule. So 256 clients cost no threads, and an engine that completes synchronously does not
 * recurse. Each call runs its own generator: calls may overlap, though they then share the engine.
 */
public final class OpenLoopLoad {

    /** Operations still running this long are given up as errors. */
    public static final long OPERATION_TIMEOUT_SECONDS = 10;
    /** Keys are {@code "bench-kv-"} and a zero-padded index: {@value} bytes. */
    public static final int KEY_BYTES = 16;
    /** Of the measured operations, at most this fraction may be unserved for the run to count as kept up. */
    public static final double KEPT_UP_UNSERVED_FRACTION = 0.01;
    private static final long DRAIN_DEADLINE_SECONDS = OPERATION_TIMEOUT_SECONDS + 5;
    /** The schedule starts this long after the call, so that the first operations are not already late. */
    private static final long START_LEAD_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final int PRELOAD_IN_FLIGHT = 64;

    /** What the clients do. */
    public enum Mix {
        /** Every operation is a put. */
        PUT_ONLY("put-only", 0.0),
        /** 90% linearizable gets, 10% puts, chosen at random per operation (seeded). */
        GET_90_PUT_10("90/10 get/put", 0.9),
        /** Every operation is a linearizable get (of preloaded keys). */
        GET_ONLY("get-only", 1.0);

        private final String label;
        private final double getFraction;

        Mix(String label, double getFraction) {
            this.label = label;
            this.getFraction = getFraction;
        }

        /** For a report, e.g. {@code "90/10 get/put"}. */
        public String label() {
            return label;
        }

        /** Probability that an operation is a get. */
        public double getFraction() {
            return getFraction;
        }
    }

    /** How the clients pace themselves. */
    public enum Mode {
        /** One operation in flight per client, the next sent when the last completes. */
        CLOSED_LOOP,
        /** A fixed arrival rate; latency from the intended start. */
        OPEN_LOOP
    }

    /**
     * One cell of the matrix. Immutable; validated on construction.
     *
     * @param clients    concurrent clients, in {@code [1, 4096]}: at most this many operations are in flight
     * @param mix        what they do
     * @param valueBytes size of every put's value, in {@code [1, 1048576]}
     * @param keyCount   keys drawn from (uniformly), in {@code [1, 1000000]}; {@link #preload} writes them all
     * @param warmup     executed, not recorded, in {@code [0, 10 min]}
     * @param measure    the measured window, in {@code [100 ms, 1 h]}
     * @param seed       seeds the key and operation choices; client {@code c} uses {@code seed + c}
     */
    public record Workload(int clients, Mix mix, int valueBytes, int keyCount, Duration warmup, Duration measure,
                           long seed) {

        /** Validates every field; see the components for the allowed values. */
        public Workload {
            Objects.requireNonNull(mix, "mix");
            Objects.requireNonNull(warmup, "warmup");
            Objects.requireNonNull(measure, "measure");
            if (clients < 1 || clients > 4_096) {
                throw new IllegalArgumentException("clients must be in [1, 4096], was " + clients);
            }
            if (valueBytes < 1 || valueBytes > 1 << 20) {
                throw new IllegalArgumentException("valueBytes must be in [1, 1048576], was " + valueBytes);
            }
            if (keyCount < 1 || keyCount > 1_000_000) {
                throw new IllegalArgumentException("keyCount must be in [1, 1000000], was " + keyCount);
            }
            if (warmup.isNegative() || warmup.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("warmup must be in [0, 10 min], was " + warmup);
            }
            if (measure.compareTo(Duration.ofMillis(100)) < 0 || measure.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("measure must be in [100 ms, 1 h], was " + measure);
            }
        }

        /** {@code clients} clients doing {@code mix}: 100-byte values, 1,000 keys, 2 s warm-up, 10 s measured. */
        public static Workload of(int clients, Mix mix) {
            return new Workload(clients, mix, 100, 1_000, Duration.ofSeconds(2), Duration.ofSeconds(10), 42);
        }

        public Workload withValueBytes(int bytes) {
            return new Workload(clients, mix, bytes, keyCount, warmup, measure, seed);
        }

        public Workload withKeyCount(int count) {
            return new Workload(clients, mix, valueBytes, count, warmup, measure, seed);
        }

        public Workload withWarmup(Duration duration) {
            return new Workload(clients, mix, valueBytes, keyCount, duration, measure, seed);
        }

        public Workload withMeasure(Duration duration) {
            return new Workload(clients, mix, valueBytes, keyCount, warmup, duration, seed);
        }

        public Workload withSeed(long newSeed) {
            return new Workload(clients, mix, valueBytes, keyCount, warmup, measure, newSeed);
        }

        /** The {@code i}-th key ({@code 0 <= i < keyCount}): {@value #KEY_BYTES} ASCII bytes. */
        public byte[] key(int i) {
            Objects.checkIndex(i, keyCount);
            return String.format(Locale.ROOT, "bench-kv-%07d", i).getBytes(StandardCharsets.US_ASCII);
        }

        /** The value every put writes: {@code valueBytes} bytes. */
        public byte[] value() {
            byte[] value = new byte[valueBytes];
            Arrays.fill(value, (byte) 'v');
            return value;
        }
    }

    /**
     * One run's measured window. The histogram is this result's own copy; do not modify it.
     *
     * @param engine            the engine's {@link KvEngine#name()}
     * @param mode              how the clients paced themselves
     * @param workload          what was run
     * @param offeredPerSecond  the open loop's arrival rate; {@code NaN} for a closed loop
     * @param operations        operations completed successfully (recorded in the histogram)
     * @param gets              of which gets
     * @param puts              of which puts
     * @param errors            operations that failed or timed out
     * @param unserved          open loop: operations scheduled in the window but not sent by its end (0 for
     *                          a closed loop)
     * @param seconds           window length
     * @param latencyMicros     latency of the successful operations, in microseconds (open loop: from the
     *                          intended start; closed loop: from the send)
     */
    public record Result(String engine, Mode mode, Workload workload, double offeredPerSecond, long operations,
                         long gets, long puts, long errors, long unserved, double seconds, Histogram latencyMicros) {

        /** Successful operations per second of the window. */
        public double opsPerSecond() {
            return seconds <= 0 ? 0 : operations / seconds;
        }

        public double p50Ms() {
            return percentileMs(50);
        }

        public double p99Ms() {
            return percentileMs(99);
        }

        public double p999Ms() {
            return percentileMs(99.9);
        }

        public double maxMs() {
            return latencyMicros.getTotalCount() == 0 ? Double.NaN : latencyMicros.getMaxValue() / 1_000.0;
        }

        /** The latency at {@code percentile} in milliseconds; {@code NaN} if nothing succeeded. */
        public double percentileMs(double percentile) {
            return latencyMicros.getTotalCount() == 0 ? Double.NaN
                    : latencyMicros.getValueAtPercentile(percentile) / 1_000.0;
        }

        /**
         * True if the engine kept up with the schedule: at most {@value #KEPT_UP_UNSERVED_FRACTION} of the
         * window's operations were unserved. Always true for a closed loop.
         */
        public boolean keptUp() {
            return unserved <= KEPT_UP_UNSERVED_FRACTION * (operations + errors + unserved);
        }
    }

    private final KvEngine engine;
    private final Workload workload;
    private final Mode mode;
    private final double offeredPerSecond;
    private final double periodNanos;
    private final byte[][] keys;
    private final byte[] value;
    private final Recorder recorder = new Recorder(3);
    private final LongAdder gets = new LongAdder();
    private final LongAdder puts = new LongAdder();
    private final LongAdder errors = new LongAdder();
    /** Operations sent whose start (intended, in open loop) falls in the measured window. */
    private final LongAdder sentInWindow = new LongAdder();
    private final ScheduledThreadPoolExecutor scheduler;
    private final CountDownLatch clientsDone;
    private long startNanos;
    private long windowStartNanos;
    private long windowEndNanos;

    private OpenLoopLoad(KvEngine engine, Workload workload, Mode mode, double offeredPerSecond) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.workload = Objects.requireNonNull(workload, "workload");
        this.mode = mode;
        this.offeredPerSecond = offeredPerSecond;
        this.periodNanos = mode == Mode.OPEN_LOOP ? 1e9 / offeredPerSecond : Double.NaN;
        this.keys = new byte[workload.keyCount()][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = workload.key(i);
        }
        this.value = workload.value();
        this.clientsDone = new CountDownLatch(workload.clients());
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "kv-load-scheduler");
            t.setDaemon(true);
            return t;
        });
        scheduler.setRemoveOnCancelPolicy(true);
    }

    /**
     * Runs {@code workload} closed-loop: its throughput is the engine's capacity at that many clients.
     *
     * @throws TimeoutException if clients were still waiting for operations
     *                          {@value #DRAIN_DEADLINE_SECONDS} s after the window closed (an engine that
     *                          ignores its own futures)
     */
    public static Result closedLoop(KvEngine engine, Workload workload) throws InterruptedException, TimeoutException {
        return new OpenLoopLoad(engine, workload, Mode.CLOSED_LOOP, Double.NaN).run();
    }

    /**
     * Runs {@code workload} open-loop at {@code opsPerSecond} operations per second in total (all clients
     * together), latency from each operation's intended start.
     *
     * @param opsPerSecond in {@code (0, 10000000]}
     * @throws TimeoutException as for {@link #closedLoop}
     */
    public static Result openLoop(KvEngine engine, Workload workload, double opsPerSecond)
            throws InterruptedException, TimeoutException {
        if (!(opsPerSecond > 0 && opsPerSecond <= 10_000_000)) {
            throw new IllegalArgumentException("opsPerSecond must be in (0, 10000000], was " + opsPerSecond);
        }
        return new OpenLoopLoad(engine, workload, Mode.OPEN_LOOP, opsPerSecond).run();
    }

    /**
     * Puts {@code workload.value()} under every key of the workload ({@value #PRELOAD_IN_FLIGHT} in flight), so
     * gets find values of the benchmark's size.
     *
     * @throws ExecutionException if a put failed (its cause is the engine's error)
     * @throws TimeoutException   if a put took longer than {@value #OPERATION_TIMEOUT_SECONDS} s
     */
    public static void preload(KvEngine engine, Workload workload)
            throws InterruptedException, ExecutionException, TimeoutException {
        byte[] value = workload.value();
        List<CompletableFuture<Void>> window = new ArrayList<>(PRELOAD_IN_FLIGHT);
        for (int i = 0; i < workload.keyCount(); i++) {
            window.add(engine.put(workload.key(i), value));
            if (window.size() == PRELOAD_IN_FLIGHT || i == workload.keyCount() - 1) {
                for (CompletableFuture<Void> put : window) {
                    put.get(OPERATION_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                }
                window.clear();
            }
        }
    }

    private Result run() throws InterruptedException, TimeoutException {
        startNanos = System.nanoTime() + START_LEAD_NANOS;
        windowStartNanos = startNanos + workload.warmup().toNanos();
        windowEndNanos = windowStartNanos + workload.measure().toNanos();
        try {
            for (int c = 0; c < workload.clients(); c++) {
                new Client(c).scheduleNext();
            }
            long waitNanos = windowEndNanos - System.nanoTime() + TimeUnit.SECONDS.toNanos(DRAIN_DEADLINE_SECONDS);
            if (!clientsDone.await(waitNanos, TimeUnit.NANOSECONDS)) {
                throw new TimeoutException(clientsDone.getCount() + " of " + workload.clients() + " clients of "
                        + engine.name() + " still had an operation in flight " + DRAIN_DEADLINE_SECONDS
                        + " s after the window closed, although every operation times out after "
                        + OPERATION_TIMEOUT_SECONDS + " s");
            }
        } finally {
            scheduler.shutdownNow();
        }
        Histogram latency = recorder.getIntervalHistogram();
        long unserved = mode == Mode.OPEN_LOOP
                ? Math.max(0, firstIndexAtOrAfter(windowEndNanos) - firstIndexAtOrAfter(windowStartNanos) - sentInWindow.sum())
                : 0;
        return new Result(engine.name(), mode, workload, offeredPerSecond, latency.getTotalCount(), gets.sum(),
                puts.sum(), errors.sum(), unserved, workload.measure().toNanos() / 1e9, latency);
    }

    /** Open loop: when operation {@code i} (of all clients) is meant to start. */
    private long intendedStart(long i) {
        return startNanos + (long) (i * periodNanos);
    }

    /** Open loop: the first operation index whose intended start is at or after {@code nanos}. */
    private long firstIndexAtOrAfter(long nanos) {
        long i = Math.max(0, (long) ((nanos - startNanos) / periodNanos) - 1);
        while (intendedStart(i) - nanos < 0) {
            i++;
        }
        return i;
    }

    /**
     * One client: sends its operations one at a time. In open loop client {@code c} owns operations
     * {@code c, c + clients, c + 2 clients, ...} of the global schedule.
     */
    private final class Client {
        private final int index;
        private final SplittableRandom random;
        /** Open loop: the global index of this client's next operation. */
        private long nextOperation;

        Client(int index) {
            this.index = index;
            this.random = new SplittableRandom(workload.seed() + index);
            this.nextOperation = index;
        }

        /** Sends the next operation when it is due, or finishes the client if the window is over. */
        void scheduleNext() {
            long now = System.nanoTime();
            long due = mode == Mode.OPEN_LOOP ? intendedStart(nextOperation) : Math.max(now, startNanos);
            if (due - windowEndNanos >= 0) {
                clientsDone.countDown();
                return;
            }
            long delay = due - now;
            if (delay > 0) {
                scheduler.schedule(() -> send(due), delay, TimeUnit.NANOSECONDS);
            } else {
                scheduler.execute(() -> send(due));
            }
        }

        private void send(long due) {
            long now = System.nanoTime();
            if (now - windowEndNanos >= 0) {
                // Too late to start inside the window: with the rest of this client's schedule, it is unserved.
                clientsDone.countDown();
                return;
            }
            nextOperation += workload.clients();
            // Open loop: latency counts from the intended start, so a client that is behind is charged for it.
            long startedAt = mode == Mode.OPEN_LOOP ? due : now;
            boolean recorded = startedAt - windowStartNanos >= 0;
            if (recorded) {
                sentInWindow.increment();
            }
            boolean isGet = random.nextDouble() < workload.mix().getFraction();
            byte[] key = keys[random.nextInt(keys.length)];
            CompletableFuture<?> operation;
            try {
                operation = isGet ? engine.get(key) : engine.put(key, value);
            } catch (RuntimeException e) {
                operation = CompletableFuture.failedFuture(e);
            }
            // copy(): the timeout completes our view of the operation, never the engine's own future.
            operation.copy().orTimeout(OPERATION_TIMEOUT_SECONDS, TimeUnit.SECONDS).whenComplete((answer, error) -> {
                if (recorded) {
                    if (error != null) {
                        errors.increment();
                    } else {
                        recorder.recordValue(Math.max(1, (System.nanoTime() - startedAt) / 1_000));
                        (isGet ? gets : puts).increment();
                    }
                }
                scheduleNext();
            });
        }
    }
}
