package io.bulwark.sim.check;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * Histories of a real in-memory map, linearizable by construction, for property and scale tests.
 *
 * <p>Operations take effect one at a time on a {@code HashMap}, at strictly increasing instants (their
 * linearization points). Each is recorded with an interval widened randomly around its point, so clients
 * overlap; each client has one call in flight at a time. Some calls become indeterminate, and then either
 * took effect at their point, took effect later (after the client gave up), or never did; some fail and never
 * take effect. Everything comes from one seeded {@link Random}, so a seed replays a history exactly.
 */
final class RandomKvExecution {

    /** Shape of a generated history; times are virtual ticks. */
    record Shape(int operations, int keys, int clients, int values, int maxWindowTicks, double indeterminateRate,
            double failedRate) {

        static Shape of(int operations, int keys, int clients) {
            return new Shape(operations, keys, clients, 6, 8, 0.0, 0.0);
        }

        Shape withFaults(double indeterminateRate, double failedRate) {
            return new Shape(operations, keys, clients, values, maxWindowTicks, indeterminateRate, failedRate);
        }
    }

    /** A write that an indeterminate call performs after its client gave up. */
    private record LateEffect(long atTime, KvOperation operation) {
    }

    private RandomKvExecution() {
    }

    static History generate(long seed, Shape shape) {
        Random random = new Random(seed);
        Map<String, String> map = new HashMap<>();
        History history = new History();
        long[] clientFreeAt = new long[shape.clients()];
        PriorityQueue<LateEffect> late = new PriorityQueue<>((a, b) -> Long.compare(a.atTime(), b.atTime()));
        long lastPoint = 0;
        for (int i = 0; i < shape.operations(); i++) {
            int client = earliestFree(clientFreeAt, random);
            long invokeTime = clientFreeAt[client] + random.nextInt(3);
            long point = Math.max(invokeTime + random.nextInt(shape.maxWindowTicks() + 1), lastPoint + 1);
            while (!late.isEmpty() && late.peek().atTime() <= point) {
                apply(map, late.poll().operation());
            }
            lastPoint = point;
            KvOperation op = randomOperation(random, map, shape);
            int id = history.invoke(client, op, invokeTime);
            double fate = random.nextDouble();
            if (fate < shape.failedRate()) {
                history.fail(id);
                clientFreeAt[client] = point + 1;
            } else if (fate < shape.failedRate() + shape.indeterminateRate()) {
                switch (random.nextInt(3)) {
                    case 0 -> apply(map, op);
                    case 1 -> late.add(new LateEffect(point + 1 + random.nextInt(10 * shape.maxWindowTicks() + 1), op));
                    default -> {
                        // never took effect
                    }
                }
                history.indeterminate(id);
                clientFreeAt[client] = point + shape.maxWindowTicks();
            } else {
                KvResult result = apply(map, op);
                long completeTime = point + random.nextInt(shape.maxWindowTicks() + 1);
                history.complete(id, result, completeTime);
                clientFreeAt[client] = completeTime + 1;
            }
        }
        return history;
    }

    private static int earliestFree(long[] clientFreeAt, Random random) {
        int best = random.nextInt(clientFreeAt.length);
        for (int c = 0; c < clientFreeAt.length; c++) {
            if (clientFreeAt[c] < clientFreeAt[best]) {
                best = c;
            }
        }
        return best;
    }

    private static KvOperation randomOperation(Random random, Map<String, String> map, Shape shape) {
        String key = "k" + random.nextInt(shape.keys());
        int roll = random.nextInt(100);
        if (roll < 40) {
            return KvOperation.get(key);
        }
        if (roll < 70) {
            return KvOperation.put(key, randomValue(random, shape));
        }
        if (roll < 80) {
            return KvOperation.delete(key);
        }
        // Half the time expect the current value, so that some compare-and-sets win.
        String expected = random.nextBoolean() ? map.get(key)
                : random.nextInt(4) == 0 ? null : randomValue(random, shape);
        return KvOperation.cas(key, expected, randomValue(random, shape));
    }

    private static String randomValue(Random random, Shape shape) {
        return "v" + random.nextInt(shape.values());
    }

    /** Applies {@code op} to {@code map} with the sequential semantics of {@link KvOperation}. */
    static KvResult apply(Map<String, String> map, KvOperation op) {
        if (op instanceof KvOperation.Get get) {
            return KvResult.value(map.get(get.key()));
        }
        if (op instanceof KvOperation.Put put) {
            map.put(put.key(), put.value());
            return KvResult.ok();
        }
        if (op instanceof KvOperation.Delete delete) {
            map.remove(delete.key());
            return KvResult.ok();
        }
        KvOperation.Cas cas = (KvOperation.Cas) op;
        boolean matches = Objects.equals(map.get(cas.key()), cas.expected());
        if (matches) {
            map.put(cas.key(), cas.value());
        }
        return KvResult.cas(matches);
    }

    /** A history in which one completed read's result was replaced by one no linearization can explain. */
    record Mutation(List<HistoryEntry> entries, HistoryEntry original, HistoryEntry mutated, boolean stale) {
    }

    /**
     * Replaces the result of one completed get, chosen at random, with a value it cannot have read. Prefers a
     * stale value: one whose every possible writer definitely completed before the read started and was then
     * definitely overwritten by an acknowledged write of another value that also completed before the read
     * started. Otherwise uses a value nobody wrote. Returns null if the history has no completed get.
     */
    static Mutation mutateOneRead(List<HistoryEntry> entries, Random random) {
        List<HistoryEntry> reads = new ArrayList<>();
        for (HistoryEntry e : entries) {
            if (e.isCompleted() && e.operation() instanceof KvOperation.Get) {
                reads.add(e);
            }
        }
        if (reads.isEmpty()) {
            return null;
        }
        HistoryEntry read = reads.get(random.nextInt(reads.size()));
        String actual = ((KvResult.Value) ((HistoryEntry.Outcome.Completed) read.outcome()).result()).value();
        List<String> stale = new ArrayList<>();
        List<String> candidates = new ArrayList<>();
        candidates.add(null);
        for (HistoryEntry e : entries) {
            if (e.key().equals(read.key()) && e.operation() instanceof KvOperation.Put put
                    && !candidates.contains(put.value())) {
                candidates.add(put.value());
            } else if (e.key().equals(read.key()) && e.operation() instanceof KvOperation.Cas cas
                    && !candidates.contains(cas.value())) {
                candidates.add(cas.value());
            }
        }
        for (String value : candidates) {
            if (!Objects.equals(value, actual) && provablyNotCurrent(entries, read, value)) {
                stale.add(value);
            }
        }
        String replacement = stale.isEmpty() ? "never-written-" + read.id() : stale.get(random.nextInt(stale.size()));
        HistoryEntry mutated = HistoryEntry.completed(read.id(), read.clientId(), read.operation(), read.invokeTime(),
                read.completeTime(), KvResult.value(replacement));
        List<HistoryEntry> copy = new ArrayList<>(entries);
        copy.set(copy.indexOf(read), mutated);
        return new Mutation(copy, read, mutated, !stale.isEmpty());
    }

    /**
     * Whether no linearization lets {@code read} see {@code value}: every call that could leave {@code value}
     * in the register completed before the read started and was definitely followed, still before the read
     * started, by an acknowledged write of something else.
     */
    private static boolean provablyNotCurrent(List<HistoryEntry> entries, HistoryEntry read, String value) {
        List<Long> writerCompleteTimes = new ArrayList<>();
        if (value == null) {
            writerCompleteTimes.add(Long.MIN_VALUE); // the initial absent state
        }
        for (HistoryEntry e : entries) {
            if (!e.key().equals(read.key()) || e.outcome() instanceof HistoryEntry.Outcome.Failed) {
                continue;
            }
            KvOperation op = e.operation();
            boolean writes = (op instanceof KvOperation.Put put && put.value().equals(value))
                    || (op instanceof KvOperation.Delete && value == null)
                    || (op instanceof KvOperation.Cas cas && cas.value().equals(value)
                            && (!e.isCompleted() || succeeded(e)));
            if (writes) {
                if (!e.isCompleted()) {
                    return false;
                }
                writerCompleteTimes.add(e.completeTime());
            }
        }
        for (long writerCompleteTime : writerCompleteTimes) {
            boolean overwritten = false;
            for (HistoryEntry y : entries) {
                if (y.key().equals(read.key()) && y.isCompleted() && writesOtherThan(y, value)
                        && writerCompleteTime < y.invokeTime() && y.completeTime() < read.invokeTime()) {
                    overwritten = true;
                    break;
                }
            }
            if (!overwritten) {
                return false;
            }
        }
        return true;
    }

    private static boolean succeeded(HistoryEntry e) {
        return ((KvResult.CasResult) ((HistoryEntry.Outcome.Completed) e.outcome()).result()).succeeded();
    }

    /** Whether completed entry {@code y} certainly left something other than {@code value} in the register. */
    private static boolean writesOtherThan(HistoryEntry y, String value) {
        KvOperation op = y.operation();
        if (op instanceof KvOperation.Put put) {
            return !put.value().equals(value);
        }
        if (op instanceof KvOperation.Delete) {
            return value != null;
        }
        if (op instanceof KvOperation.Cas cas) {
            return succeeded(y) && !cas.value().equals(value);
        }
        return false;
    }
}
