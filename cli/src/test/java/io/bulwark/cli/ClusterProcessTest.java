package io.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.client.BulwarkClient;
import io.bulwark.server.node.ProcessCluster;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real node processes on loopback under a checked workload: a leader killed with {@code kill -9} and
 * restarted, another paused with {@code SIGSTOP} and resumed; the history must be linearizable, every
 * acknowledged unique write readable at the end, and the restarted node caught up.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ClusterProcessTest extends ProcessClusterFixture {

    @Test
    void killPauseAndRestartUnderLoadLoseNothingAndStayLinearizable() throws Exception {
        cluster = ProcessCluster.create(dir.resolve("cluster"), 3, 8, 3, ProcessCluster.DEFAULT_JVM_ARGS, null);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            ClusterWorkload load = new ClusterWorkload(client, 6, 8, 42);
            load.start();
            assertThat(load.awaitWrites(200, 30_000)).as("writes flow before any fault").isTrue();

            int victim = ClusterChapter.busiestLeader(client, List.of(1, 2, 3));
            cluster.kill(victim);
            assertThat(load.awaitWrites(200, 30_000)).as("writes resume after kill -9 of node " + victim).isTrue();

            cluster.start(victim);
            int paused = ClusterChapter.busiestLeader(client, List.of(1, 2, 3).stream().filter(i -> i != victim).toList());
            cluster.pause(paused);
            assertThat(load.awaitWrites(200, 30_000)).as("writes resume while node " + paused + " is paused").isTrue();
            cluster.resume(paused);
            assertThat(load.awaitWrites(100, 30_000)).isTrue();
            load.stop();

            assertThat(load.unexpected()).isEmpty();
            ClusterWorkload.Verdict verdict = load.verify();
            System.out.printf("cluster process test: %d operations, %.0f ops/s, longest write gap %.0f ms, %d unknown"
                    + " outcomes; %s%n", load.completed(), load.opsPerSecond(), load.longestWriteGapMs(),
                    load.unknownOutcome(), verdict.describe());
            assertThat(verdict.ok()).as(verdict.describe()).isTrue();
            assertThat(verdict.linearizability().operationsChecked()).isGreaterThan(300);

            // The restarted node caught up: every partition it hosts has applied what the leader has chosen.
            assertThat(ClusterChapter.awaitCaughtUp(client, victim, 30_000)).as("node " + victim + " catches up").isTrue();
        }
    }
}
