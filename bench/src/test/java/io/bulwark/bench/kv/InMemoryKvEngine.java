package io.bulwark.bench.kv;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link KvEngine} for tests of the harness: a {@link ConcurrentHashMap} answered after a fixed delay on a
 * timer thread (or at once, on the caller's thread, with a zero delay), optionally failing every n-th
 * operation. Its "leader" can be killed: puts sent during the following {@code outage} fail after the delay,
 * as writes do while a cluster elects a new leader. Thread-safe.
 */
final class InMemoryKvEngine implements KvEngine {

    private final ConcurrentHashMap<ByteBuffer, byte[]> map = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "in-memory-kv-engine");
        t.setDaemon(true);
        return t;
    });
    private final long delayMicros;
    private final int failEvery;
    private final Duration outage;
    private final AtomicLong operations = new AtomicLong();
    /** Puts sent before this fail; null until the first kill. */
    private volatile Long outageEndNanos;
    /** Every call in order, as {@code "get <key>"} or {@code "put <key>"}. */
    final java.util.Queue<String> calls = new java.util.concurrent.ConcurrentLinkedQueue<>();
    final AtomicInteger kills = new AtomicInteger();
    final AtomicInteger restarts = new AtomicInteger();
    private volatile boolean down;

    /**
     * @param delay     answer time of every operation
     * @param failEvery fail every n-th operation (0: never)
     * @param outage    how long puts fail after {@link #killLeaderOfKey}
     */
    InMemoryKvEngine(Duration delay, int failEvery, Duration outage) {
        this.delayMicros = delay.toNanos() / 1_000;
        this.failEvery = failEvery;
        this.outage = outage;
    }

    static InMemoryKvEngine withDelay(Duration delay) {
        return new InMemoryKvEngine(delay, 0, Duration.ZERO);
    }

    int size() {
        return map.size();
    }

    @Override
    public String name() {
        return "in-memory map";
    }

    @Override
    public CompletableFuture<Void> put(byte[] key, byte[] value) {
        calls.add("put " + new String(key, java.nio.charset.StandardCharsets.ISO_8859_1));
        long sentAt = System.nanoTime();
        return answer(() -> {
            Long outageEnd = outageEndNanos;
            if (outageEnd != null && sentAt - outageEnd < 0) {
                throw new IllegalStateException("no leader");
            }
            map.put(ByteBuffer.wrap(key.clone()), value.clone());
            return null;
        });
    }

    @Override
    public CompletableFuture<byte[]> get(byte[] key) {
        calls.add("get " + new String(key, java.nio.charset.StandardCharsets.ISO_8859_1));
        return answer(() -> map.get(ByteBuffer.wrap(key)));
    }

    private <T> CompletableFuture<T> answer(java.util.function.Supplier<T> work) {
        long n = operations.incrementAndGet();
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable complete = () -> {
            if (failEvery > 0 && n % failEvery == 0) {
                result.completeExceptionally(new IllegalStateException("injected failure of operation " + n));
                return;
            }
            try {
                result.complete(work.get());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        };
        if (delayMicros == 0) {
            complete.run();
        } else {
            timer.schedule(complete, delayMicros, TimeUnit.MICROSECONDS);
        }
        return result;
    }

    @Override
    public KilledNode killLeaderOfKey(byte[] key) {
        if (down) {
            throw new IllegalStateException("already down");
        }
        down = true;
        kills.incrementAndGet();
        long now = System.nanoTime();
        outageEndNanos = now + outage.toNanos();
        return new KilledNode(0, "in-memory leader", now);
    }

    @Override
    public void restartKilled() {
        if (!down) {
            throw new IllegalStateException("nothing is down");
        }
        down = false;
        restarts.incrementAndGet();
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
