package io.bulwark.bench.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Keeps {@code bench paxos} compiling and working: the quick preset (two 1-second levels) end to end on real
 * replicas. The numbers are not a measurement; only their sanity is checked.
 */
class PaxosBenchSmokeTest {

    @TempDir
    Path dir;

    @Test
    void quickRunMeasuresEveryLevelAndCleansUp() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        PaxosBench.Report report = PaxosBench.run(PaxosBench.Options.quickRun().withDataDirectory(dir),
                new PrintStream(progress, true, StandardCharsets.UTF_8));

        assertThat(report.levels()).extracting(PaxosBench.Level::clients).containsExactly(1, 16);
        for (PaxosBench.Level level : report.levels()) {
            assertThat(level.commands()).as("commands at %d clients", level.clients()).isPositive();
            assertThat(level.commandsPerSecond()).isPositive();
            assertThat(level.p50Ms()).isPositive();
            assertThat(level.p99Ms()).isGreaterThanOrEqualTo(level.p50Ms());
            assertThat(level.p999Ms()).isGreaterThanOrEqualTo(level.p99Ms());
            assertThat(level.maxMs()).isGreaterThanOrEqualTo(level.p999Ms());
            assertThat(level.leaderFsyncsPerSecond()).isPositive();
            assertThat(level.totalFsyncsPerSecond()).isGreaterThanOrEqualTo(level.leaderFsyncsPerSecond());
            assertThat(level.commandsPerLeaderFsync()).isPositive();
            assertThat(level.commandsPerFsync()).isPositive().isLessThanOrEqualTo(level.commandsPerLeaderFsync());
        }
        assertThat(report.rawFsyncsPerSecondBefore()).isPositive();
        assertThat(report.rawFsyncsPerSecondAfter()).isPositive();
        assertThat(report.goalLevel().clients()).isEqualTo(16);
        assertThat(report.goalsMet()).as("goals are judged only at 256 clients").isFalse();

        String text = report.toText();
        assertThat(text).contains("QUICK", "clients", "goals at 16 clients", "throughput / raw fsync rate");
        String json = report.toJson();
        assertThat(json).startsWith("{").contains("\"levels\": [", "\"clients\": 16", "\"rawFsyncsPerSecond\"");
        assertThat(progress.toString(StandardCharsets.UTF_8)).contains("16 clients");
        // The run directory was created under dir and deleted afterwards.
        try (var left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void optionsSayWhatIsAllowed() {
        assertThatThrownBy(() -> PaxosBench.Options.defaults().withConcurrencyLevels(List.of(0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[1, 4096]");
        assertThatThrownBy(() -> PaxosBench.Options.defaults().withCommandBytes(10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("commandBytes");
        assertThat(PaxosBench.Options.defaults().concurrencyLevels()).containsExactly(1, 16, 256);
        assertThat(PaxosBench.Options.defaults().withQuick(true).secondsPerLevel()).isEqualTo(1);
    }
}
