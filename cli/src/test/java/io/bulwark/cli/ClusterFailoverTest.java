package io.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.client.BulwarkClient;
import io.bulwark.server.node.ClusterRecord;
import io.bulwark.server.node.ProcessCluster;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Failure detection and automatic re-placement on real processes: in a 4-node cluster (replication factor 3)
 * the node driving placement — the leader of the partition holding the cluster's record — is killed with
 * {@code kill -9} under a checked workload. Another node takes over driving, declares the dead node failed after
 * the failure timeout, and moves its replicas to the nodes below their share, with no operator involved; the
 * history stays linearizable with every acknowledged write present. Restarted, the replaced node knows it is no
 * longer a member.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterFailoverTest extends ProcessClusterFixture {

    private static final int PARTITIONS = 8;

    @Test
    void theClusterReplacesAKilledNodeOnItsOwnEvenWhenTheKilledNodeWasDrivingPlacement() throws Exception {
        cluster = ProcessCluster.create(dir.resolve("cluster"), 4, PARTITIONS, 3, ProcessCluster.DEFAULT_JVM_ARGS,
                List.of("--failure-timeout-ms", "3000"), System.out);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ClusterRecord.read(client) == null) {
                assertThat(System.nanoTime() - deadline).as("the driver records the definition").isNegative();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            }
            ClusterWorkload load = new ClusterWorkload(client, 4, 8, 5);
            load.start();
            assertThat(load.awaitWrites(100, 30_000)).isTrue();

            int driver = ClusterChapter.placementDriver(client, List.of(1, 2, 3, 4), 10_000);
            assertThat(driver).as("some node drives placement").isPositive();
            long killedAt = System.nanoTime();
            cluster.kill(driver);
            assertThat(load.awaitWrites(100, 30_000)).as("writes flow with node " + driver + " dead").isTrue();

            ClusterRecord record = ClusterChapter.awaitReplaced(client, driver, 120_000);
            assertThat(record).as("node " + driver + " replaced, every survivor hosting its planned placement").isNotNull();
            long replacedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
            assertThat(record.reason()).contains("node " + driver + " failed");
            assertThat(record.by()).isNotEqualTo("node " + driver);
            assertThat(load.awaitWrites(100, 30_000)).as("writes flow after the re-placement").isTrue();
            load.stop();
            assertThat(load.unexpected()).isEmpty();
            ClusterWorkload.Verdict verdict = load.verify();
            System.out.printf("failover test: node %d killed, replaced by %s after %d ms (failure timeout 3 s); %d"
                    + " operations; %s%n", driver, record.by(), replacedMs, load.completed(), verdict.describe());
            assertThat(verdict.ok()).as(verdict.describe()).isTrue();

            // The status command shows the cluster's own definition, not the directory's older copy.
            CliRunner.Result status = CliRunner.run("cluster", "status", "--dir", cluster.directory().toString());
            assertThat(status.code()).as(status.out() + status.err()).isZero();
            assertThat(status.out()).contains("3 of 3 nodes up", "node " + driver + " failed");

            // Restarted on its directory, the replaced node learns it is no longer a member.
            cluster.start(driver);
            Path log = cluster.log(driver);
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!(Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains("no longer a member"))) {
                assertThat(System.nanoTime() - deadline).as("the restarted node says it was replaced").isNegative();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
            }
        }
    }
}
