package io.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.protocol.NodeStatus;
import io.bulwark.ring.PartitionTable;
import io.bulwark.server.node.ProcessCluster;
import io.bulwark.server.node.Rebalancer;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A node joins a running cluster of real processes, then another dies (kill -9) and is removed, while a
 * checked workload runs: only the partitions the ring moves change hands, each by membership changes of its
 * own Paxos group, and the history stays linearizable with every acknowledged write present.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class ClusterMembershipTest extends ProcessClusterFixture {

    private static Set<Integer> hostedBy(PartitionTable table, int node) {
        Set<Integer> hosted = new TreeSet<>();
        for (int p = 0; p < table.partitions(); p++) {
            int pp = p;
            if (table.replicas(p).stream().anyMatch(n -> n.id().equals(Integer.toString(node)))) {
                hosted.add(pp);
            }
        }
        return hosted;
    }

    /** What {@code node} hosts; a status request that times out on a loaded machine is asked again. */
    private static Set<Integer> hostedNow(BulwarkClient client, int node) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try {
                Set<Integer> hosted = new TreeSet<>();
                for (NodeStatus.Replica r : client.status(node).partitions()) {
                    if (r.partition() < client.topology().partitions()) { // not the metadata group
                        hosted.add(r.partition());
                    }
                }
                return hosted;
            } catch (io.bulwark.client.UnavailableException e) {
                if (System.nanoTime() - deadline > 0) {
                    throw e;
                }
            }
        }
    }

    @Test
    void aNodeJoinsAndADeadOneIsRemovedUnderLoadMovingOnlyThePlannedReplicas() throws Exception {
        cluster = ProcessCluster.create(dir.resolve("cluster"), 3, 8, 3, ProcessCluster.DEFAULT_JVM_ARGS, System.out);
        PartitionTable three = cluster.spec().table();
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            ClusterWorkload load = new ClusterWorkload(client, 4, 8, 5);
            load.start();
            assertThat(load.awaitWrites(100, 30_000)).isTrue();

            Rebalancer.Result joined = cluster.join();
            PartitionTable four = cluster.spec().table();
            assertThat(joined.partitionsMoved()).isEqualTo(three.diff(four).size());
            assertThat(joined.replicasAdded()).isEqualTo(hostedBy(four, 4).size())
                    .as("the newcomer's share of 8 x 3 replicas, and nothing more").isEqualTo(8 * 3 / 4);
            try (BulwarkClient fresh = BulwarkClient.connect(cluster.clientOptions())) {
                assertThat(hostedNow(fresh, 4)).isEqualTo(hostedBy(four, 4));
                for (int node = 1; node <= 3; node++) {
                    assertThat(hostedNow(fresh, node)).as("node " + node).isEqualTo(hostedBy(four, node));
                }
            }
            assertThat(load.awaitWrites(100, 30_000)).as("writes flow after the join").isTrue();

            // Node 1 dies for good (kill -9) and is then removed: its partitions still have a majority each.
            cluster.kill(1);
            assertThat(load.awaitWrites(100, 30_000)).as("writes flow with node 1 dead").isTrue();
            Rebalancer.Result left = cluster.leave(1);
            PartitionTable after = cluster.spec().table();
            assertThat(left.partitionsMoved()).isEqualTo(four.diff(after).size());
            try (BulwarkClient fresh = BulwarkClient.connect(cluster.clientOptions())) {
                for (int node = 2; node <= 4; node++) {
                    assertThat(hostedNow(fresh, node)).as("node " + node).isEqualTo(hostedBy(after, node));
                }
            }
            assertThat(load.awaitWrites(100, 30_000)).as("writes flow after the leave").isTrue();
            load.stop();
            assertThat(load.unexpected()).isEmpty();
            ClusterWorkload.Verdict verdict = load.verify();
            System.out.printf("membership test: join moved %d partitions in %d ms, leave moved %d in %d ms; %d"
                    + " operations; %s%n", joined.partitionsMoved(), joined.millis(), left.partitionsMoved(),
                    left.millis(), load.completed(), verdict.describe());
            assertThat(verdict.ok()).as(verdict.describe()).isTrue();
        }
    }
}
