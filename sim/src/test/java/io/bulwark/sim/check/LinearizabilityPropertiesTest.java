package io.bulwark.sim.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Invariants of the checker over generated histories. Every property runs from a fixed jqwik seed and builds
 * its history from a seeded {@link Random}, so CI sees the same histories on every run; a failure prints the
 * seed, which replays it.
 */
class LinearizabilityPropertiesTest {

    private static final LinearizabilityChecker CHECKER = LinearizabilityChecker.create();

    /** Soundness on real executions: whatever the overlap and the timeouts, a real map is linearizable. */
    @Property(tries = 200, seed = "20240611")
    void aRealMapIsLinearizable(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed,
            @ForAll @IntRange(min = 1, max = 400) int operations, @ForAll @IntRange(min = 1, max = 6) int keys,
            @ForAll @IntRange(min = 1, max = 10) int clients, @ForAll boolean faults) {
        RandomKvExecution.Shape shape = RandomKvExecution.Shape.of(operations, keys, clients)
                .withFaults(faults ? 0.1 : 0.0, faults ? 0.05 : 0.0);
        History history = RandomKvExecution.generate(seed, shape);

        LinearizabilityResult result = CHECKER.check(history);

        assertThat(result.verdict()).as("seed %d: %s", seed, result.explanation()).isEqualTo(Verdict.LINEARIZABLE);
    }

    /**
     * Completeness on real executions: change one read to a value it cannot have seen and the checker must
     * find the violation on that key. Everything that completed before the read is the original, linearizable
     * history, so the first unexplained result is never earlier than the read. For a value nobody wrote it is
     * the read itself; for a stale value it may be a later result, because until that result arrived the
     * call behind it (a cas that failed, say) might have written the value.
     */
    @Property(tries = 200, seed = "20240612")
    void oneImpossibleReadIsFound(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed,
            @ForAll @IntRange(min = 2, max = 300) int operations, @ForAll @IntRange(min = 1, max = 4) int keys,
            @ForAll @IntRange(min = 1, max = 10) int clients, @ForAll boolean faults) {
        RandomKvExecution.Shape shape = RandomKvExecution.Shape.of(operations, keys, clients)
                .withFaults(faults ? 0.1 : 0.0, faults ? 0.05 : 0.0);
        List<HistoryEntry> entries = RandomKvExecution.generate(seed, shape).entries();
        RandomKvExecution.Mutation mutation = RandomKvExecution.mutateOneRead(entries, new Random(seed));
        if (mutation == null) {
            return;
        }
        Statistics.label("mutation").collect(mutation.stale() ? "stale value" : "value never written");

        LinearizabilityResult result = CHECKER.check(mutation.entries());

        assertThat(result.verdict()).as("seed %d, %s", seed, mutation.mutated()).isEqualTo(Verdict.VIOLATION);
        KeyVerdict.Violation violation = result.firstViolation().orElseThrow();
        assertThat(violation.key()).isEqualTo(mutation.mutated().key());
        if (mutation.stale()) {
            assertThat(violation.unexplained().completeTime())
                    .isGreaterThanOrEqualTo(mutation.mutated().completeTime());
        } else {
            assertThat(violation.unexplained()).isEqualTo(mutation.mutated());
            assertThat(violation.window()).contains(mutation.mutated());
        }
    }

    /**
     * Exactness on tiny histories with arbitrary results: the checker agrees with a brute-force search over
     * every real-time-respecting order and every subset of indeterminate calls, over the whole map.
     */
    @Property(tries = 3000, seed = "20240613")
    void agreesWithBruteForceOnTinyHistories(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed,
            @ForAll @IntRange(min = 1, max = 8) int operations, @ForAll @IntRange(min = 1, max = 2) int keys) {
        agreesWithBruteForce(seed, arbitraryHistory(new Random(seed), operations, keys, 0.2));
    }

    /**
     * The same on one key with many indeterminate calls, which is where the search prunes most (deadlines,
     * skipping, identical calls, writes that must be observed); a wrong pruning shows up here as a false
     * violation.
     */
    @Property(tries = 2000, seed = "20240615")
    void agreesWithBruteForceWhenManyCallsAreIndeterminate(
            @ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed,
            @ForAll @IntRange(min = 2, max = 9) int operations) {
        agreesWithBruteForce(seed, arbitraryHistory(new Random(seed), operations, 1, 0.45));
    }

    private static void agreesWithBruteForce(long seed, List<HistoryEntry> entries) {
        boolean expected = BruteForceOracle.linearizable(entries);
        LinearizabilityResult result = CHECKER.check(entries);

        Statistics.label("verdict").collect(result.verdict());
        assertThat(result.verdict()).as("seed %d: %s%n%s", seed, entries, result.explanation())
                .isEqualTo(expected ? Verdict.LINEARIZABLE : Verdict.VIOLATION);
        if (!expected) {
            // The reported cut must itself be impossible, and the one before it possible: ask the oracle.
            HistoryEntry unexplained = result.firstViolation().orElseThrow().unexplained();
            assertThat(BruteForceOracle.linearizable(cutAt(entries, unexplained, true))).isFalse();
            assertThat(BruteForceOracle.linearizable(cutAt(entries, unexplained, false))).isTrue();
        }
    }

    /** The order in which entries are handed over does not matter, only their times. */
    @Property(tries = 100, seed = "20240614")
    void theVerdictDoesNotDependOnEntryOrder(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE / 2) long seed) {
        Random random = new Random(seed);
        List<HistoryEntry> entries = new ArrayList<>(RandomKvExecution.generate(seed,
                RandomKvExecution.Shape.of(150, 2, 5).withFaults(0.1, 0.05)).entries());
        if (random.nextBoolean()) {
            RandomKvExecution.Mutation mutation = RandomKvExecution.mutateOneRead(entries, random);
            if (mutation != null) {
                entries = new ArrayList<>(mutation.entries());
            }
        }
        Verdict inOrder = CHECKER.check(entries).verdict();
        Collections.shuffle(entries, random);

        assertThat(CHECKER.check(entries).verdict()).isEqualTo(inOrder);
    }

    /**
     * Random calls with random results, times and outcomes ({@code indeterminateRate} of them indeterminate,
     * a tenth failed): about half are linearizable.
     */
    private static List<HistoryEntry> arbitraryHistory(Random random, int operations, int keys,
            double indeterminateRate) {
        String[] values = {null, "a", "b"};
        List<HistoryEntry> entries = new ArrayList<>();
        for (int id = 0; id < operations; id++) {
            String key = "k" + random.nextInt(keys);
            String value = values[1 + random.nextInt(2)];
            KvOperation op = switch (random.nextInt(4)) {
                case 0 -> KvOperation.get(key);
                case 1 -> KvOperation.put(key, value);
                case 2 -> KvOperation.delete(key);
                default -> KvOperation.cas(key, values[random.nextInt(3)], value);
            };
            long invokeTime = random.nextInt(12);
            double outcome = random.nextDouble();
            if (outcome >= indeterminateRate + 0.1) {
                KvResult result = op instanceof KvOperation.Get ? KvResult.value(values[random.nextInt(3)])
                        : op instanceof KvOperation.Cas ? KvResult.cas(random.nextBoolean()) : KvResult.ok();
                entries.add(HistoryEntry.completed(id, random.nextInt(3), op, invokeTime,
                        invokeTime + random.nextInt(6), result));
            } else if (outcome >= 0.1) {
                entries.add(HistoryEntry.indeterminate(id, random.nextInt(3), op, invokeTime));
            } else {
                entries.add(HistoryEntry.failed(id, random.nextInt(3), op, invokeTime));
            }
        }
        return entries;
    }

    /**
     * The prefix the checker claims is the first impossible one: the unexplained call's key, results up to
     * and including it (in completion order, ties by id; excluding it if {@code including} is false), other
     * calls invoked by then as indeterminate.
     */
    private static List<HistoryEntry> cutAt(List<HistoryEntry> entries, HistoryEntry unexplained,
            boolean including) {
        long cutTime = unexplained.completeTime();
        List<HistoryEntry> prefix = new ArrayList<>();
        for (HistoryEntry e : entries) {
            if (!e.key().equals(unexplained.key()) || e.invokeTime() > cutTime) {
                continue;
            }
            boolean tiedAndFirst = e.completeTime() == cutTime
                    && (including ? e.id() <= unexplained.id() : e.id() < unexplained.id());
            boolean keepsResult = e.isCompleted() && (e.completeTime() < cutTime || tiedAndFirst);
            prefix.add(keepsResult || !e.isCompleted() ? e
                    : HistoryEntry.indeterminate(e.id(), e.clientId(), e.operation(), e.invokeTime()));
        }
        return prefix;
    }
}
