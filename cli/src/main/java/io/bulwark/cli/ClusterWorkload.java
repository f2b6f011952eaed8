package io.bulwark.cli;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.BulwarkException;
import io.bulwark.client.InvalidRequestException;
import io.bulwark.sim.check.History;
import io.bulwark.sim.check.KvOperation;
import io.bulwark.sim.check.KvResult;
import io.bulwark.sim.check.LinearizabilityChecker;
import io.bulwark.sim.check.LinearizabilityResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A checked load against a real cluster: worker threads issue gets, puts and compare-and-sets on a few
 * shared keys (recorded for the linearizability checker from {@code sim}) and puts of unique keys (each
 * must be readable at the end if it was acknowledged). Used by the demo and the multi-process tests.
 *
 * <p>Thread-safety: {@link #start}, {@link #stop} and the counters may be called from any thread.
 */
final class ClusterWorkload {

    private final BulwarkClient client;
    private final int workers;
    private final int sharedKeys;
    private final long seed;
    private final History history = new History();
    private final Map<String, String> ackedUnique = new ConcurrentHashMap<>();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong writesAcked = new AtomicLong();
    private final AtomicLong unknownOutcome = new AtomicLong();
    private final AtomicLong lastWriteAckNanos = new AtomicLong(System.nanoTime());
    private final AtomicLong longestWriteGapNanos = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile boolean stopping;
    private long startNanos;
    private long stopNanos;

    ClusterWorkload(BulwarkClient client, int workers, int sharedKeys, long seed) {
        this.client = client;
        this.workers = workers;
        this.sharedKeys = sharedKeys;
        this.seed = seed;
    }

    void start() {
        startNanos = System.nanoTime();
        lastWriteAckNanos.set(startNanos);
        for (int w = 0; w < workers; w++) {
            int id = w;
            Thread t = new Thread(() -> run(id), "workload-" + w);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    private int invoke(int worker, KvOperation op) {
        synchronized (history) {
            return history.invoke(worker, op, System.nanoTime());
        }
    }

    private void complete(int id, KvResult r) {
        synchronized (history) {
            history.complete(id, r, System.nanoTime());
        }
        completed.incrementAndGet();
    }

    private void run(int worker) {
        SplittableRandom random = new SplittableRandom(seed * 1_000_003 + worker);
        Map<String, String> lastSeen = new java.util.HashMap<>();
        long n = 0;
        while (!stopping) {
            n++;
            int dice = random.nextInt(100);
            if (dice < 20) {
                String key = "unique-" + worker + "-" + n;
                String value = "v" + n;
                try {
                    client.put(bytes(key), bytes(value));
                    ackedUnique.put(key, value);
                    writeAcked();
                    completed.incrementAndGet();
                } catch (InvalidRequestException e) {
                    unexpected.add(e);
                } catch (BulwarkException e) {
                    unknownOutcome.incrementAndGet();
                }
                continue;
            }
            String key = "shared-" + random.nextInt(sharedKeys);
            KvOperation op;
            if (dice < 55) {
                op = KvOperation.get(key);
            } else if (dice < 85) {
                op = KvOperation.put(key, worker + ":" + n);
            } else {
                op = KvOperation.cas(key, lastSeen.get(key), worker + ":" + n);
            }
            int id = invoke(worker, op);
            try {
                if (op instanceof KvOperation.Get) {
                    String v = string(client.get(bytes(key)));
                    lastSeen.put(key, v);
                    complete(id, KvResult.value(v));
                } else if (op instanceof KvOperation.Put p) {
                    client.put(bytes(key), bytes(p.value()));
                    complete(id, KvResult.ok());
                    writeAcked();
                } else {
                    KvOperation.Cas c = (KvOperation.Cas) op;
                    boolean ok = client.compareAndSet(bytes(key), c.expected() == null ? null : bytes(c.expected()),
                            bytes(c.value()));
                    complete(id, KvResult.cas(ok));
                    if (ok) {
                        writeAcked();
                        lastSeen.put(key, c.value());
                    }
                }
            } catch (InvalidRequestException e) {
                unexpected.add(e);
                synchronized (history) {
                    history.fail(id);
                }
            } catch (BulwarkException e) {
                // Unavailable or timed out: a read had no effect; a write may or may not have taken effect.
                unknownOutcome.incrementAndGet();
                synchronized (history) {
                    if (op instanceof KvOperation.Get) {
                        history.fail(id);
                    } else {
                        history.indeterminate(id);
                    }
                }
            }
        }
    }

    private void writeAcked() {
        long now = System.nanoTime();
        long prev = lastWriteAckNanos.getAndSet(now);
        longestWriteGapNanos.accumulateAndGet(now - prev, Math::max);
        writesAcked.incrementAndGet();
    }

    /** Stops the workers and waits for them (each finishes its current operation). */
    void stop() throws InterruptedException {
        stopping = true;
        for (Thread t : threads) {
            t.join(30_000);
        }
        stopNanos = System.nanoTime();
    }

    long completed() {
        return completed.get();
    }

    long writesAcked() {
        return writesAcked.get();
    }

    long unknownOutcome() {
        return unknownOutcome.get();
    }

    List<Throwable> unexpected() {
        return List.copyOf(unexpected);
    }

    /** The longest time between two acknowledged writes while the workload ran, in ms. */
    double longestWriteGapMs() {
        return longestWriteGapNanos.get() / 1e6;
    }

    double opsPerSecond() {
        long end = stopNanos == 0 ? System.nanoTime() : stopNanos;
        return completed.get() * 1e9 / Math.max(1, end - startNanos);
    }

    /** Waits until {@code more} further writes are acknowledged, or the deadline passes. */
    boolean awaitWrites(long more, long timeoutMs) {
        long target = writesAcked.get() + more;
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (writesAcked.get() < target) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
        return true;
    }

    /** The verdict after {@link #stop}: a final read of every shared key joins the history, then the checks. */
    Verdict verify() {
        for (int k = 0; k < sharedKeys; k++) {
            String key = "shared-" + k;
            int id = invoke(-1, KvOperation.get(key));
            complete(id, KvResult.value(string(client.get(bytes(key)))));
        }
        List<String> lost = new ArrayList<>();
        for (Map.Entry<String, String> e : ackedUnique.entrySet()) {
            String v = string(client.get(bytes(e.getKey())));
            if (!e.getValue().equals(v)) {
                lost.add(e.getKey() + " (acknowledged '" + e.getValue() + "', read " + v + ")");
            }
        }
        LinearizabilityResult result;
        synchronized (history) {
            result = LinearizabilityChecker.create().check(history);
        }
        return new Verdict(result, ackedUnique.size(), lost);
    }

    /** The checks' outcome. */
    record Verdict(LinearizabilityResult linearizability, int uniqueWritesChecked, List<String> lost) {
        boolean ok() {
            return linearizability.linearizable() && lost.isEmpty();
        }

        int operationsChecked() {
            return linearizability.operationsChecked() + uniqueWritesChecked;
        }

        String describe() {
            return linearizability.operationsChecked() + " shared-key operations checked for linearizability ("
                    + linearizability.verdict() + "), " + uniqueWritesChecked + " acknowledged unique writes read back, "
                    + lost.size() + " lost" + (linearizability.linearizable() ? "" : "\n" + linearizability.explanation())
                    + (lost.isEmpty() ? "" : "\nlost: " + lost.subList(0, Math.min(10, lost.size())));
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
