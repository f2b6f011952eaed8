package io.bulwark.bench.kv;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * How long writes stop when the leader dies: writes one key at a fixed interval through a {@link KvEngine},
 * kills the leader of that key with {@code kill -9} ({@link KvEngine#killLeaderOfKey}), and measures
 *
 * <ul>
 *   <li>the <b>resume gap</b>: from the kill to the first acknowledgement of a write <i>sent after</i> the
 *       kill. Writes sent before it are not counted, since an acknowledgement of one of those can only say the
 *       old leader committed it in time;</li>
 *   <li>the <b>longest gap</b> between two consecutive acknowledgements (of any write) during the probe,
 *       which includes the stall around the kill and any later hiccup, e.g. while the client finds the new
 *       leader.</li>
 * </ul>
 *
 * <p>Writes are sent open-loop (one every {@code writeInterval}, whether or not earlier ones are answered, so
 * the client's own retry or timeout policy cannot hide the moment the cluster is writable again), at most
 * {@code maxInFlight} at a time (beyond that a tick is skipped and counted); each is given up after
 * {@value #WRITE_TIMEOUT_SECONDS} s. After the measurement the killed node is restarted, whatever happened.
 *
 * <p>Uses one scheduler thread of its own. Not thread-safe: one probe per engine at a time.
 */
public final class FailoverProbe {

    /** A write not answered in this time is given up (counted as failed). */
    public static final long WRITE_TIMEOUT_SECONDS = 10;

    /**
     * What the probe does. Immutable; validated on construction.
     *
     * @param writeInterval  between two writes, in {@code [1 ms, 1 s]}
     * @param steadyBefore   writing before the kill, in {@code [100 ms, 1 min]}, counted from the first
     *                       acknowledged write, which must come within {@code steadyBefore + resumeDeadline}
     * @param observeAfter   writing after writes resumed, in {@code [0, 1 min]}
     * @param resumeDeadline give up waiting for writes to resume after this, in {@code [1 s, 10 min]}
     * @param maxInFlight    writes in flight at most, in {@code [1, 100000]}
     */
    public record Options(Duration writeInterval, Duration steadyBefore, Duration observeAfter,
                          Duration resumeDeadline, int maxInFlight) {

        /** Validates every field; see the components for the allowed values. */
        public Options {
            within("writeInterval", writeInterval, Duration.ofMillis(1), Duration.ofSeconds(1));
            within("steadyBefore", steadyBefore, Duration.ofMillis(100), Duration.ofMinutes(1));
            within("observeAfter", observeAfter, Duration.ZERO, Duration.ofMinutes(1));
            within("resumeDeadline", resumeDeadline, Duration.ofSeconds(1), Duration.ofMinutes(10));
            if (maxInFlight < 1 || maxInFlight > 100_000) {
                throw new IllegalArgumentException("maxInFlight must be in [1, 100000], was " + maxInFlight);
            }
        }

        /** One write every 5 ms, 1 s before the kill, 1 s after writes resume, 30 s to resume, 4,000 in flight. */
        public static Options defaults() {
            return new Options(Duration.ofMillis(5), Duration.ofSeconds(1), Duration.ofSeconds(1),
                    Duration.ofSeconds(30), 4_000);
        }

        private static void within(String name, Duration value, Duration min, Duration max) {
            Objects.requireNonNull(value, name);
            if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], was " + value);
            }
        }
    }

    /**
     * What one probe measured.
     *
     * @param engine        the engine's name
     * @param killed        the node that was killed, and when
     * @param resumed       whether a write sent after the kill was acknowledged before the deadline
     * @param resumeGapMs   kill to the first acknowledgement of a write sent after it; the deadline if not
     *                      {@code resumed}
     * @param longestGapMs  longest time between consecutive acknowledgements during the probe
     * @param sent          writes sent
     * @param acknowledged  of which acknowledged
     * @param failed        of which failed or timed out
     * @param skipped       ticks skipped because {@code maxInFlight} writes were in flight
     * @param restartMs     how long {@link KvEngine#restartKilled} took, until the node served again
     */
    public record Result(String engine, KvEngine.KilledNode killed, boolean resumed, double resumeGapMs,
                         double longestGapMs, long sent, long acknowledged, long failed, long skipped,
                         double restartMs) {

        /** One line for a report. */
        public String summary() {
            return String.format(Locale.ROOT, "%s: killed %s; writes %s %.0f ms after the kill; longest gap between"
                            + " acknowledged writes %.0f ms; %d writes sent, %d acknowledged, %d failed, %d skipped;"
                            + " restart took %.0f ms", engine, killed.label(),
                    resumed ? "resumed" : "had NOT resumed", resumeGapMs, longestGapMs, sent, acknowledged, failed,
                    skipped, restartMs);
        }
    }

    private static final long NOT_YET = Long.MAX_VALUE;

    private final KvEngine engine;
    private final byte[] key;
    private final Options options;
    private final int capacity;
    private final long[] sentAtNanos;
    private final AtomicLongArray ackedAtNanos;
    private final AtomicLong sent = new AtomicLong();
    private final LongAdder failed = new LongAdder();
    private final LongAdder skipped = new LongAdder();
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Every write's completion handler, done once the write's outcome is counted; for the final drain. */
    private final Set<CompletableFuture<Void>> outcomes = ConcurrentHashMap.newKeySet();
    private final CompletableFuture<Void> firstAcknowledged = new CompletableFuture<>();
    private final CompletableFuture<Void> resumed = new CompletableFuture<>();
    private volatile long killedAtNanos = NOT_YET;

    private FailoverProbe(KvEngine engine, byte[] key, Options options) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.key = Objects.requireNonNull(key, "key").clone();
        this.options = Objects.requireNonNull(options, "options");
        Duration longest = options.steadyBefore().plus(options.resumeDeadline()).plus(options.observeAfter())
                .plusSeconds(60);
        long slots = longest.toNanos() / options.writeInterval().toNanos() + 1;
        this.capacity = (int) Math.min(slots, 10_000_000);
        this.sentAtNanos = new long[capacity];
        this.ackedAtNanos = new AtomicLongArray(capacity);
    }

    /**
     * Runs the probe on {@code key}: writes, kills the leader of {@code key}, waits for writes to resume (or the
     * deadline), keeps writing for {@code observeAfter}, stops, restarts the killed node.
     *
     * <p>Writes that do not resume before the deadline are a result ({@code resumed == false}), not an
     * exception.
     *
     * @throws IllegalStateException if no write succeeded before the kill (the engine is not writable)
     * @throws IOException           from {@link KvEngine#killLeaderOfKey} or {@link KvEngine#restartKilled}
     * @throws TimeoutException      from {@link KvEngine#killLeaderOfKey} or {@link KvEngine#restartKilled}
     */
    public static Result run(KvEngine engine, byte[] key, Options options)
            throws IOException, TimeoutException, InterruptedException {
        return new FailoverProbe(engine, key, options).go();
    }

    private Result go() throws IOException, TimeoutException, InterruptedException {
        ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "kv-failover-writer");
            t.setDaemon(true);
            return t;
        });
        KvEngine.KilledNode killed = null;
        double restartMs;
        long stoppedAtNanos;
        try {
            ScheduledFuture<?> writer = scheduler.scheduleAtFixedRate(this::writeOne, 0,
                    options.writeInterval().toNanos(), TimeUnit.NANOSECONDS);
            try {
                Duration writable = options.steadyBefore().plus(options.resumeDeadline());
                awaitQuietly(firstAcknowledged, writable);
                if (!firstAcknowledged.isDone()) {
                    throw new IllegalStateException(engine.name() + ": no write was acknowledged in the "
                            + writable.toMillis() + " ms before the kill (" + failed.sum() + " failed); the engine"
                            + " is not writable");
                }
                waitFor(options.steadyBefore());
                killed = engine.killLeaderOfKey(key);
                killedAtNanos = killed.killedAtNanos();
                // An acknowledgement may have arrived before killedAtNanos was visible to the callbacks.
                checkResumed();
                long deadlineNanos = killed.killedAtNanos() + options.resumeDeadline().toNanos();
                awaitQuietly(resumed, Duration.ofNanos(Math.max(0, deadlineNanos - System.nanoTime())));
                if (resumed.isDone()) {
                    waitFor(options.observeAfter());
                }
            } finally {
                writer.cancel(false);
                stoppedAtNanos = System.nanoTime();
            }
            // After this no tick runs, so the set of outcomes is complete.
            scheduler.shutdown();
            scheduler.awaitTermination(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            awaitQuietly(CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)),
                    Duration.ofSeconds(WRITE_TIMEOUT_SECONDS + 1));
        } catch (IOException | TimeoutException | InterruptedException | RuntimeException e) {
            scheduler.shutdownNow();
            if (killed != null) {
                try {
                    engine.restartKilled();
                } catch (IOException | TimeoutException | InterruptedException | RuntimeException restartFailure) {
                    e.addSuppressed(restartFailure);
                }
            }
            throw e;
        }
        scheduler.shutdownNow();
        long restartStart = System.nanoTime();
        engine.restartKilled();
        restartMs = (System.nanoTime() - restartStart) / 1e6;
        return result(killed, stoppedAtNanos, restartMs);
    }

    /** One tick of the writer, on the scheduler thread. */
    private void writeOne() {
        long seq = sent.get();
        if (seq >= capacity) {
            return;
        }
        if (inFlight.get() >= options.maxInFlight()) {
            skipped.increment();
            return;
        }
        byte[] value = ("failover-probe-" + seq).getBytes(StandardCharsets.US_ASCII);
        long now = System.nanoTime();
        sentAtNanos[(int) seq] = now;
        sent.set(seq + 1);
        CompletableFuture<Void> write;
        try {
            write = engine.put(key, value);
        } catch (RuntimeException e) {
            write = CompletableFuture.failedFuture(e);
        }
        inFlight.incrementAndGet();
        // handle(), not whenComplete(): the drain waits for these stages, which complete after the counting.
        outcomes.add(write.copy().orTimeout(WRITE_TIMEOUT_SECONDS, TimeUnit.SECONDS).handle((ok, error) -> {
            if (error != null) {
                failed.increment();
            } else {
                ackedAtNanos.set((int) seq, System.nanoTime());
                firstAcknowledged.complete(null);
                long kill = killedAtNanos;
                if (kill != NOT_YET && now - kill >= 0) {
                    resumed.complete(null);
                }
            }
            inFlight.decrementAndGet();
            return null;
        }));
    }

    private void checkResumed() {
        long kill = killedAtNanos;
        long n = sent.get();
        for (int i = 0; i < n; i++) {
            if (sentAtNanos[i] - kill >= 0 && ackedAtNanos.get(i) != 0) {
                resumed.complete(null);
                return;
            }
        }
    }

    private Result result(KvEngine.KilledNode killed, long stoppedAtNanos, double restartMs) {
        int n = (int) sent.get();
        long[] acks = new long[n];
        int acked = 0;
        long firstAfterKill = NOT_YET;
        for (int i = 0; i < n; i++) {
            long ack = ackedAtNanos.get(i);
            if (ack == 0) {
                continue;
            }
            acks[acked++] = ack;
            if (killed != null && sentAtNanos[i] - killed.killedAtNanos() >= 0 && ack < firstAfterKill) {
                firstAfterKill = ack;
            }
        }
        long[] sorted = Arrays.copyOf(acks, acked);
        Arrays.sort(sorted);
        long longest = 0;
        for (int i = 1; i < sorted.length; i++) {
            longest = Math.max(longest, sorted[i] - sorted[i - 1]);
        }
        boolean didResume = firstAfterKill != NOT_YET;
        if (!didResume && sorted.length > 0) {
            // Writes never came back: the gap runs from the last acknowledgement to the end of the probe.
            longest = Math.max(longest, stoppedAtNanos - sorted[sorted.length - 1]);
        }
        double resumeGapMs = didResume ? (firstAfterKill - killed.killedAtNanos()) / 1e6
                : options.resumeDeadline().toNanos() / 1e6;
        return new Result(engine.name(), killed, didResume, resumeGapMs, longest / 1e6, n, acked, failed.sum(),
                skipped.sum(), restartMs);
    }

    private static void awaitQuietly(CompletableFuture<?> future, Duration deadline) throws InterruptedException {
        try {
            future.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // The caller looks at isDone(); a failed write is counted where it fails.
        }
    }

    /** Lets the writer run for {@code duration}. */
    private static void waitFor(Duration duration) throws InterruptedException {
        // Nothing to wait on but time itself: the probe writes for this long.
        TimeUnit.NANOSECONDS.sleep(duration.toNanos());
    }
}
