package io.bulwark.sim.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Histories of the size a simulation run produces must be checked in well under a second. The bound asserted
 * is 5 s, lenient for a loaded two-core CI machine; the time taken is printed so regressions show before the
 * bound trips.
 */
class LinearizabilityScaleTest {

    private static final Duration LIMIT = Duration.ofSeconds(5);
    private static final LinearizabilityChecker CHECKER = LinearizabilityChecker.create();

    @Test
    void fiveThousandOperationsOnTwentyKeysFromTenClients() {
        History history = RandomKvExecution.generate(1, RandomKvExecution.Shape.of(5_000, 20, 10));

        LinearizabilityResult result = timed("5,000 ops / 20 keys / 10 clients", () -> CHECKER.check(history));

        assertThat(result.verdict()).as(result.explanation()).isEqualTo(Verdict.LINEARIZABLE);
        assertThat(result.operationsChecked()).isEqualTo(5_000);
        assertThat(result.keyVerdicts()).hasSize(20);
    }

    @Test
    void fiveThousandOperationsWithTimeoutsAndFailures() {
        History history = RandomKvExecution.generate(2,
                RandomKvExecution.Shape.of(5_000, 20, 10).withFaults(0.05, 0.02));

        LinearizabilityResult result = timed("5,000 ops with 5% indeterminate, 2% failed",
                () -> CHECKER.check(history));

        assertThat(result.verdict()).as(result.explanation()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void fiveThousandOperationsOnOneHotKey() {
        History history = RandomKvExecution.generate(3,
                RandomKvExecution.Shape.of(5_000, 1, 10).withFaults(0.02, 0.0));

        LinearizabilityResult result = timed("5,000 ops on 1 key / 10 clients", () -> CHECKER.check(history));

        assertThat(result.verdict()).as(result.explanation()).isEqualTo(Verdict.LINEARIZABLE);
    }

    @Test
    void oneImpossibleReadAmongFiveThousandOperationsIsFoundAndExplained() {
        List<HistoryEntry> entries = RandomKvExecution.generate(4,
                RandomKvExecution.Shape.of(5_000, 20, 10).withFaults(0.05, 0.0)).entries();
        RandomKvExecution.Mutation mutation = RandomKvExecution.mutateOneRead(entries, new Random(4));

        LinearizabilityResult result = timed("5,000 ops with one impossible read",
                () -> CHECKER.check(mutation.entries()));

        assertThat(result.verdict()).isEqualTo(Verdict.VIOLATION);
        assertThat(result.firstViolation().orElseThrow().unexplained()).isEqualTo(mutation.mutated());
        System.out.println(result.explanation());
    }

    private static LinearizabilityResult timed(String what, java.util.function.Supplier<LinearizabilityResult> check) {
        long start = System.nanoTime();
        LinearizabilityResult result = check.get();
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        long states = result.keyVerdicts().values().stream().mapToLong(KeyVerdict::statesExplored).sum();
        System.out.printf("%s: %s in %d ms, %d states explored%n", what, result.verdict(), took.toMillis(), states);
        assertThat(took).as(what).isLessThan(LIMIT);
        return result;
    }
}
