package io.bulwark.bench.paxos;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One concurrency level of {@link PaxosBench}: {@code clients} closed-loop clients, each with one put in
 * flight (submit, wait for the result, submit the next), as continuations rather than threads, so 256
 * clients cost no threads. Latency is recorded per put from submission to result, in microseconds, only for
 * puts completing inside the measured window; counters are read at the window's edges.
 *
 * <p>Closed loop on purpose: the goals are about how many commands one fsync covers at a given number of
 * outstanding requests, which a closed loop fixes exactly. (A closed loop does not correct for coordinated
 * omission: its percentiles are those of the requests it did send.) Not thread-safe; one run at a time.
 */
final class ClosedLoopClients {

    /** Wait after a failed put before the client retries it, so a failing engine is not hammered. */
    private static final long RETRY_AFTER_ERROR_MS = 20;
    private static final Duration DRAIN_DEADLINE = Duration.ofSeconds(30);
    private static final long PROGRESS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** What one level measured. */
    record Measurement(long commands, double seconds, Histogram latencyMicros, Engine.Counters before,
                       Engine.Counters after, long errors) {
    }

    private final Engine engine;
    private final Recorder recorder = new Recorder(3);
    private final LongAdder completed = new LongAdder();
    private final LongAdder errors = new LongAdder();
    private final Executor retryLater = CompletableFuture.delayedExecutor(RETRY_AFTER_ERROR_MS, TimeUnit.MILLISECONDS);
    private volatile boolean measuring;
    private volatile boolean running = true;
    private CountDownLatch stopped;

    private ClosedLoopClients(Engine engine) {
        this.engine = engine;
    }

    /**
     * Runs {@code clients} clients (ids {@code firstClientId, firstClientId + 1, ...}) for {@code warmup}, then
     * measures for {@code measure}, then stops them and waits for their last puts.
     */
    static Measurement run(Engine engine, int clients, long firstClientId, int keyBytes, int valueBytes,
                           Duration warmup, Duration measure, PrintStream progress) throws InterruptedException {
        return new ClosedLoopClients(engine).go(clients, firstClientId, keyBytes, valueBytes, warmup, measure, progress);
    }

    private Measurement go(int clients, long firstClientId, int keyBytes, int valueBytes, Duration warmup,
                           Duration measure, PrintStream progress) throws InterruptedException {
        stopped = new CountDownLatch(clients);
        List<Client> all = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            all.add(new Client(firstClientId + i, keyBytes, valueBytes));
        }
        all.forEach(Client::next);
        waitFor(warmup, null);

        recorder.reset();
        long errorsBefore = errors.sum();
        Engine.Counters before = engine.counters();
        long start = System.nanoTime();
        measuring = true;
        waitFor(measure, progress);
        measuring = false;
        long end = System.nanoTime();
        Engine.Counters after = engine.counters();
        Histogram latency = recorder.getIntervalHistogram();
        long errorsDuring = errors.sum() - errorsBefore;

        running = false;
        if (!stopped.await(DRAIN_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
            progress.printf(Locale.ROOT, "  warning: %d clients still waiting for a put %d s after the level ended%n",
                    stopped.getCount(), DRAIN_DEADLINE.toSeconds());
        }
        return new Measurement(latency.getTotalCount(), (end - start) / 1e9, latency, before, after, errorsDuring);
    }

    /** Parks until {@code duration} passed, printing the running throughput every second if {@code progress}. */
    private void waitFor(Duration duration, PrintStream progress) {
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        long nextReport = start + PROGRESS_EVERY_NANOS;
        long lastCount = completed.sum();
        while (true) {
            long now = System.nanoTime();
            if (now - end >= 0) {
                return;
            }
            if (progress != null && now - nextReport >= 0) {
                long count = completed.sum();
                progress.printf(Locale.ROOT, "    %,8d commands/s%n", count - lastCount);
                lastCount = count;
                nextReport += PROGRESS_EVERY_NANOS;
            }
            LockSupport.parkNanos(Math.min(end - now, Math.max(1, nextReport - now)));
        }
    }

    /** One closed-loop client: its id, next sequence number and the key/value it writes. */
    private final class Client {
        private final long id;
        private final byte[] key;
        private final byte[] value;
        private long sequence;

        Client(long id, int keyBytes, int valueBytes) {
            this.id = id;
            // One key per client: a bounded key space, so the state machine does not grow during the run.
            byte[] name = String.format(Locale.ROOT, "client-%0" + Math.max(1, keyBytes - 7) + "d", id)
                    .getBytes(StandardCharsets.US_ASCII);
            this.key = Arrays.copyOf(name, keyBytes);
            this.value = new byte[valueBytes];
            Arrays.fill(value, (byte) ('a' + id % 26));
        }

        void next() {
            sequence++;
            send();
        }

        private void send() {
            if (!running) {
                stopped.countDown();
                return;
            }
            long sentAt = System.nanoTime();
            engine.put(id, sequence, key, value).whenComplete((answer, error) -> {
                if (error != null) {
                    errors.increment();
                    // Same sequence again: the engine's exactly-once state machine answers it if it was applied.
                    retryLater.execute(this::send);
                    return;
                }
                if (measuring) {
                    recorder.recordValue(Math.max(1, (System.nanoTime() - sentAt) / 1_000));
                    completed.increment();
                }
                next();
            });
        }
    }
}
