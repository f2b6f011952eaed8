package io.bulwark.bench.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.bulwark.bench.kv.OpenLoopLoad.Mix;
import io.bulwark.bench.kv.OpenLoopLoad.Mode;
import io.bulwark.bench.kv.OpenLoopLoad.Result;
import io.bulwark.bench.kv.OpenLoopLoad.Workload;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The load generator against an in-process map with a fixed answer time, so the expected counts and latencies
 * are known. Bounds are loose: the machine is small and shared, and only the generator's logic is checked.
 */
class OpenLoopLoadTest {

    private static Workload workload(int clients, Mix mix, Duration warmup, Duration measure) {
        return Workload.of(clients, mix).withKeyCount(100).withWarmup(warmup).withMeasure(measure);
    }

    @Test
    void openLoopAtAnEasyRateSendsEveryScheduledOperationAndRecordsIt() throws Exception {
        try (InMemoryKvEngine engine = InMemoryKvEngine.withDelay(Duration.ofMillis(1))) {
            Result r = OpenLoopLoad.openLoop(engine, workload(4, Mix.PUT_ONLY, Duration.ofMillis(200),
                    Duration.ofSeconds(1)), 400);

            assertThat(r.mode()).isEqualTo(Mode.OPEN_LOOP);
            assertThat(r.offeredPerSecond()).isEqualTo(400);
            // 400 operations are scheduled in the 1 s window; each client may miss its last one at the edge.
            assertThat(r.operations() + r.errors() + r.unserved()).isBetween(399L, 401L);
            assertThat(r.unserved()).isLessThanOrEqualTo(4);
            assertThat(r.errors()).isZero();
            assertThat(r.keptUp()).isTrue();
            assertThat(r.puts()).isEqualTo(r.operations());
            assertThat(r.gets()).isZero();
            assertThat(r.latencyMicros().getTotalCount()).isEqualTo(r.operations());
            assertThat(r.opsPerSecond()).isCloseTo(400, within(10.0));
            // Never faster than the engine's answer time; percentiles are ordered.
            assertThat(r.p50Ms()).isGreaterThanOrEqualTo(1.0);
            assertThat(r.p99Ms()).isGreaterThanOrEqualTo(r.p50Ms()).isLessThan(500);
            assertThat(r.p999Ms()).isGreaterThanOrEqualTo(r.p99Ms());
            assertThat(r.maxMs()).isGreaterThanOrEqualTo(r.p999Ms());
            assertThat(engine.size()).isPositive().isLessThanOrEqualTo(100);
        }
    }

    @Test
    void openLoopChargesTheBacklogToLatencyWhenTheEngineCannotKeepUp() throws Exception {
        // One client, 20 ms per operation: capacity 50/s, offered 200/s. A closed loop would report 20 ms;
        // measured from the intended start, the k-th operation waits for the k-1 before it.
        try (InMemoryKvEngine engine = InMemoryKvEngine.withDelay(Duration.ofMillis(20))) {
            Result r = OpenLoopLoad.openLoop(engine, workload(1, Mix.PUT_ONLY, Duration.ZERO, Duration.ofSeconds(1)),
                    200);

            assertThat(r.operations()).isBetween(20L, 51L);
            assertThat(r.unserved()).isGreaterThan(100);
            assertThat(r.operations() + r.errors() + r.unserved()).isBetween(199L, 201L);
            assertThat(r.keptUp()).isFalse();
            assertThat(r.p50Ms()).isGreaterThan(100);
            assertThat(r.maxMs()).isGreaterThan(400);
        }
    }

    @Test
    void closedLoopFindsTheCapacity() throws Exception {
        // Four clients, 5 ms per operation: at most 800 operations per second.
        try (InMemoryKvEngine engine = InMemoryKvEngine.withDelay(Duration.ofMillis(5))) {
            Result r = OpenLoopLoad.closedLoop(engine, workload(4, Mix.PUT_ONLY, Duration.ofMillis(100),
                    Duration.ofSeconds(1)));

            assertThat(r.mode()).isEqualTo(Mode.CLOSED_LOOP);
            assertThat(r.offeredPerSecond()).isNaN();
            assertThat(r.unserved()).isZero();
            assertThat(r.keptUp()).isTrue();
            // The upper bound is exact; the lower one leaves room for a busy machine's timer.
            assertThat(r.opsPerSecond()).isBetween(200.0, 801.0);
            assertThat(r.p50Ms()).isGreaterThanOrEqualTo(5.0).isLessThan(100);
        }
    }

    @Test
    void theMixDecidesGetsAndPutsAndGetsReadThePreloadedValues() throws Exception {
        try (InMemoryKvEngine engine = InMemoryKvEngine.withDelay(Duration.ofMillis(1))) {
            Workload w = workload(16, Mix.GET_90_PUT_10, Duration.ZERO, Duration.ofSeconds(1));
            OpenLoopLoad.preload(engine, w);
            assertThat(engine.size()).isEqualTo(100);
            assertThat(engine.get(w.key(7)).get()).isEqualTo(w.value()).hasSize(100);

            Result r = OpenLoopLoad.openLoop(engine, w, 2_000);

            assertThat(r.gets() + r.puts()).isEqualTo(r.operations());
            assertThat((double) r.gets() / r.operations()).isCloseTo(0.9, within(0.04));
            assertThat(engine.size()).isEqualTo(100);
        }
    }

    @Test
    void failedOperationsAreErrorsNotLatencies() throws Exception {
        try (InMemoryKvEngine engine = new InMemoryKvEngine(Duration.ofMillis(1), 10, Duration.ZERO)) {
            Result r = OpenLoopLoad.openLoop(engine, workload(4, Mix.PUT_ONLY, Duration.ZERO, Duration.ofSeconds(1)),
                    500);

            long sent = r.operations() + r.errors();
            assertThat((double) r.errors() / sent).isCloseTo(0.1, within(0.02));
            assertThat(r.latencyMicros().getTotalCount()).isEqualTo(r.operations());
        }
    }

    @Test
    void anEngineThatAnswersOnTheCallersThreadDoesNotRecurse() throws Exception {
        try (InMemoryKvEngine engine = InMemoryKvEngine.withDelay(Duration.ZERO)) {
            Result r = OpenLoopLoad.closedLoop(engine, workload(1, Mix.GET_90_PUT_10, Duration.ZERO,
                    Duration.ofMillis(300)));

            assertThat(r.operations()).isGreaterThan(1_000);
            assertThat(r.errors()).isZero();
        }
    }

    @Test
    void theSameSeedSendsTheSameOperationsToEveryEngine() throws Exception {
        // One client: its n-th operation and key depend only on the seed. The runs may differ in length by an
        // operation or two at the window's edge, so their common prefix is compared.
        try (InMemoryKvEngine a = InMemoryKvEngine.withDelay(Duration.ofMillis(1));
             InMemoryKvEngine b = InMemoryKvEngine.withDelay(Duration.ofMillis(1));
             InMemoryKvEngine c = InMemoryKvEngine.withDelay(Duration.ofMillis(1))) {
            Workload w = workload(1, Mix.GET_90_PUT_10, Duration.ZERO, Duration.ofMillis(300)).withSeed(7);
            OpenLoopLoad.openLoop(a, w, 200);
            OpenLoopLoad.closedLoop(b, w);
            OpenLoopLoad.openLoop(c, w.withSeed(8), 200);
            List<String> first = List.copyOf(a.calls);
            List<String> second = List.copyOf(b.calls);
            int n = Math.min(first.size(), second.size());
            assertThat(n).isGreaterThan(20);
            assertThat(first.subList(0, n)).isEqualTo(second.subList(0, n));
            assertThat(first).anyMatch(call -> call.startsWith("put ")).anyMatch(call -> call.startsWith("get "));
            List<String> otherSeed = List.copyOf(c.calls);
            int m = Math.min(first.size(), otherSeed.size());
            assertThat(otherSeed.subList(0, m)).isNotEqualTo(first.subList(0, m));
        }
    }

    @Test
    void workloadSaysWhatIsAllowed() {
        assertThatThrownBy(() -> Workload.of(0, Mix.PUT_ONLY))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clients must be in [1, 4096]");
        assertThatThrownBy(() -> Workload.of(1, Mix.PUT_ONLY).withValueBytes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("valueBytes");
        assertThatThrownBy(() -> Workload.of(1, Mix.PUT_ONLY).withMeasure(Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("measure must be in [100 ms, 1 h]");
        assertThatThrownBy(() -> OpenLoopLoad.openLoop(InMemoryKvEngine.withDelay(Duration.ZERO),
                Workload.of(1, Mix.PUT_ONLY), 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("opsPerSecond");
        Workload w = Workload.of(16, Mix.PUT_ONLY);
        assertThat(w.valueBytes()).isEqualTo(100);
        assertThat(w.key(0)).hasSize(OpenLoopLoad.KEY_BYTES);
        assertThat(w.key(w.keyCount() - 1)).hasSize(OpenLoopLoad.KEY_BYTES);
    }
}
