package io.bulwark.bench.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps the etcd half of {@code bench kv} compiling and working: the quick preset end to end on a real
 * etcd cluster where etcd is installed (not a measurement, per BENCHMARKING.md rule 6), and the command line
 * everywhere.
 */
class EtcdOnlyBenchSmokeTest {

    @TempDir
    Path dir;

    @Test
    void quickRunMeasuresEveryCellAndTheFailoverAndCleansUp() throws Exception {
        assumeTrue(EtcdBinary.find() != null, "etcd is not installed here");
        ByteArrayOutputStream progress = new ByteArrayOutputStream();

        EtcdOnlyBench.Report report = EtcdOnlyBench.run(EtcdOnlyBench.Options.quickRun().withParentDirectory(dir),
                new PrintStream(progress, true, StandardCharsets.UTF_8));

        assertThat(report.cells()).extracting(EtcdOnlyBench.Cell::clients).containsExactly(1, 16, 1, 16, 1, 16);
        for (EtcdOnlyBench.Cell cell : report.cells()) {
            assertThat(cell.capacity().opsPerSecond()).as("capacity of %s", cell).isPositive();
            assertThat(cell.latency().offeredPerSecond())
                    .isCloseTo(0.8 * cell.capacity().opsPerSecond(), org.assertj.core.api.Assertions.within(1.0));
            assertThat(cell.latency().operations()).isPositive();
            assertThat(cell.latency().p99Ms()).isGreaterThanOrEqualTo(cell.latency().p50Ms());
        }
        assertThat(report.cells().get(2).latency().gets()).isPositive();
        assertThat(report.failover()).isNotNull();
        assertThat(report.failover().resumed()).as(report.failover().summary()).isTrue();
        String text = report.toText();
        assertThat(text).contains("QUICK", "put-only", "90/10 get/put", "max ops/s", "p99.9 ms", "failover",
                "writes resumed");
        try (var left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void theCommandLineRefinesThePresets() {
        EtcdOnlyBench.Options o = EtcdOnlyBench.parse(new String[] {"--clients", "1,16,256", "--warmup", "1",
                "--saturation", "3", "--seconds", "10", "--no-failover"});
        assertThat(o.clients()).containsExactly(1, 16, 256);
        assertThat(o.warmup()).isEqualTo(Duration.ofSeconds(1));
        assertThat(o.saturation()).isEqualTo(Duration.ofSeconds(3));
        assertThat(o.latency()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.failover()).isFalse();
        assertThat(o.quick()).isFalse();

        EtcdOnlyBench.Options quick = EtcdOnlyBench.parse(new String[] {"--seconds", "2", "--quick"});
        assertThat(quick.quick()).isTrue();
        assertThat(quick.latency()).isEqualTo(Duration.ofSeconds(2));
        assertThat(quick.clients()).isEqualTo(List.of(1, 16));

        assertThatThrownBy(() -> EtcdOnlyBench.parse(new String[] {"--clients", "0"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("clients must be in [1, 4096]");
        assertThatThrownBy(() -> EtcdOnlyBench.parse(new String[] {"--seconds"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--seconds needs a value");
        assertThatThrownBy(() -> EtcdOnlyBench.parse(new String[] {"--bogus"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unknown argument --bogus");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(EtcdOnlyBench.run(new String[] {"--warmup", "x"}, new PrintStream(out, true, StandardCharsets.UTF_8)))
                .isEqualTo(EtcdOnlyBench.USAGE);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--warmup takes seconds", "usage:");
    }
}
