package io.bulwark.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.protocol.Topology;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every change of members claims the cluster's record first; a change that cannot claim it changes nothing. */
class RebalancerClaimTest {

    @TempDir
    Path dir;

    /** {@code nodes} nodes, 4 partitions x 3, no failure detection (nothing here may be replaced behind the test). */
    private LocalCluster cluster(int nodes) throws Exception {
        return new LocalCluster(dir, nodes, 4, 3, c -> c.withFailureTimeout(java.time.Duration.ZERO));
    }

    /** The record the placement driver writes when the cluster has none. */
    private static ClusterRecord awaitFirstRecord(BulwarkClient client) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        ClusterRecord first;
        while ((first = ClusterRecord.read(client)) == null) {
            assertThat(System.nanoTime() - deadline).as("the placement driver records the definition").isNegative();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        return first;
    }

    @Test
    void theRecordLivesInTheMetadataGroupWhichHoldsNothingElse() throws Exception {
        try (LocalCluster cluster = cluster(4);
             BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            ClusterSpec spec = cluster.spec;
            Topology topology = client.topology();
            assertThat(topology.hasMetadataGroup()).isTrue();
            assertThat(topology.replicas()[spec.metadataGroup()])
                    .containsExactly(spec.metadata().stream().mapToInt(Integer::intValue).toArray());
            ClusterRecord first = awaitFirstRecord(client);
            // The driver is the metadata group's leader, one of its replicas; the record is not in any partition.
            for (BulwarkNode n : cluster.nodes.values()) {
                assertThat(n.hostsMetadataGroup()).isEqualTo(spec.metadata().contains(n.nodeId()));
                assertThat(n.hostedPartitions()).doesNotContain(spec.metadataGroup());
            }
            assertThat(client.get(ClusterRecord.KEY)).as("the key's partition has no copy").isNull();
            assertThat(new io.bulwark.client.ClusterAdmin(client).getMetadata(ClusterRecord.KEY)).isEqualTo(first.encode());
            // Nothing but the cluster's reserved keys goes there, and no transaction runs there.
            io.bulwark.client.ClusterAdmin admin = new io.bulwark.client.ClusterAdmin(client);
            byte[] plain = "user-key".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertThatThrownBy(() -> admin.compareAndSetMetadata(plain, null, plain))
                    .isInstanceOf(io.bulwark.client.InvalidRequestException.class).hasMessageContaining("reserved");
            byte[] raw = io.bulwark.paxos.kv.KvCommand.compareAndSet(plain, null, plain).encode();
            Topology.Member host = spec.member(spec.metadata().get(0));
            io.bulwark.client.protocol.Wire.Response refused = io.bulwark.client.protocol.Wire.exchange(
                    host.clientAddress(), io.bulwark.client.protocol.Wire.writeRequest(1, spec.metadataGroup(),
                            0x5eed_0002L, 1, raw));
            assertThat(refused.status()).isEqualTo(io.bulwark.client.protocol.Wire.BAD_REQUEST);
            assertThat(refused.message()).contains("only the cluster's reserved keys live in the metadata group");
        }
    }

    @Test
    void aChangeIsRefusedWhileAnotherRunsOrWhenItStartsFromAnOutdatedDefinition() throws Exception {
        try (LocalCluster cluster = cluster(3);
             BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            ClusterSpec spec = cluster.spec;
            ClusterRecord first = awaitFirstRecord(client);
            assertThat(first.moving()).isFalse();
            assertThat(first.to()).isEqualTo(spec);
            // Applications can read the record but not write it, by accident or otherwise.
            byte[] anything = "x".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            assertThatThrownBy(() -> client.put(ClusterRecord.KEY, anything))
                    .isInstanceOf(io.bulwark.client.InvalidRequestException.class).hasMessageContaining("reserved");
            assertThatThrownBy(() -> client.delete(ClusterRecord.KEY))
                    .isInstanceOf(io.bulwark.client.InvalidRequestException.class);
            byte[] current = first.encode();
            assertThatThrownBy(() -> client.compareAndSet(ClusterRecord.KEY, current, anything))
                    .isInstanceOf(io.bulwark.client.InvalidRequestException.class);
            assertThatThrownBy(() -> client.begin().put(ClusterRecord.KEY, anything))
                    .isInstanceOf(io.bulwark.client.InvalidRequestException.class);
            assertThat(ClusterRecord.read(client)).isEqualTo(first);

            List<Topology.Member> more = new ArrayList<>(spec.members());
            more.add(new Topology.Member(9, "127.0.0.1", LocalCluster.freePort(), LocalCluster.freePort(), ""));
            ClusterSpec elsewhere = spec.withMembers(more);

            // Someone else moved the cluster on: a change planned from the old definition is refused.
            ClusterRecord moved = new ClusterRecord(first.version() + 1, false, "test", "node 9 joined", "", elsewhere,
                    elsewhere);
            assertThat(ClusterRecord.replace(client, first, moved)).isTrue();
            assertThatThrownBy(() -> Rebalancer.apply(spec, spec, null))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("no longer the one");
            assertThat(ClusterRecord.read(client)).isEqualTo(moved);

            // A change is running: any other is refused.
            ClusterRecord running = moved.moveTo(spec, "operator", "node 9 leaves");
            assertThat(ClusterRecord.replace(client, moved, running)).isTrue();
            assertThatThrownBy(() -> Rebalancer.apply(elsewhere, elsewhere, null))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("in the middle of another change");
            assertThat(ClusterRecord.read(client)).isEqualTo(running);

            // The running change itself can be resumed (every group already has the members it plans) and finishes.
            Rebalancer.Result r = Rebalancer.apply(elsewhere, spec, null);
            assertThat(r.partitionsMoved()).isEqualTo(elsewhere.table().diff(spec.table()).size());
            ClusterRecord done = ClusterRecord.read(client);
            assertThat(done.moving()).isFalse();
            assertThat(done.to()).isEqualTo(spec);
            assertThat(done.version()).isGreaterThan(running.version());
        }
    }

    @Test
    void everyNodeTakesTheDefinitionTheClusterRecords() throws Exception {
        try (LocalCluster cluster = cluster(3);
             BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            ClusterSpec spec = cluster.spec;
            ClusterRecord first = awaitFirstRecord(client);
            // A change the nodes were never told about (as if each was down when it was pushed): they take it from
            // the record.
            List<Topology.Member> more = new ArrayList<>(spec.members());
            more.add(new Topology.Member(9, "127.0.0.1", LocalCluster.freePort(), LocalCluster.freePort(), "zone-x"));
            ClusterSpec recorded = spec.withMembers(more);
            assertThat(ClusterRecord.replace(client, first, new ClusterRecord(first.version() + 1, false, "test",
                    "node 9 joined", "", recorded, recorded))).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!cluster.nodes.values().stream().allMatch(n -> n.spec().equals(recorded))) {
                assertThat(System.nanoTime() - deadline).as("every node takes the recorded definition").isNegative();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            assertThat(ClusterSpec.read(dir.resolve("node-1").resolve(ClusterSpec.FILE_NAME))).isEqualTo(recorded);
        }
    }
}
