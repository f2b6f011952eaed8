package io.bulwark.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.protocol.Topology;
import io.bulwark.ring.PartitionMove;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cluster definition: its stored placement, how a change of members derives the next one, and its file form. */
class ClusterSpecTest {

    private static Topology.Member member(int id) {
        return new Topology.Member(id, "127.0.0.1", 7100 + id, 7200 + id, "");
    }

    private static List<Topology.Member> members(int... ids) {
        List<Topology.Member> out = new ArrayList<>();
        for (int id : ids) {
            out.add(member(id));
        }
        return out;
    }

    private static int replicasAdded(ClusterSpec from, ClusterSpec to) {
        int added = 0;
        for (PartitionMove m : from.table().diff(to.table())) {
            added += m.added().size();
        }
        return added;
    }

    @Test
    void aFourthNodeReceivesExactlyItsShareAndTheCountsStayEven() {
        for (int partitions : new int[] {16, 64}) {
            ClusterSpec three = new ClusterSpec(partitions, 3, members(1, 2, 3));
            ClusterSpec four = three.withMembers(members(1, 2, 3, 4));
            int share = partitions * 3 / 4;
            assertThat(replicasAdded(three, four)).as("%d partitions", partitions).isEqualTo(share);
            for (PartitionMove m : three.table().diff(four.table())) {
                assertThat(m.added()).extracting(n -> n.id()).containsExactly("4");
            }
            assertThat(four.table().replicaCounts()).containsOnly(share);
            // And back: the leaving node's replicas are all that move.
            ClusterSpec again = four.withMembers(members(1, 2, 3));
            assertThat(replicasAdded(four, again)).isEqualTo(share);
            assertThat(again.table().replicaCounts()).containsOnly(partitions);
        }
    }

    @Test
    void thePlacementSurvivesTheFileAndTheRecordAndAnOldFileGetsTheRingsPlacement() {
        ClusterSpec five = new ClusterSpec(64, 3, members(1, 2, 3)).withMembers(members(1, 2, 3, 4))
                .withMembers(members(1, 2, 3, 4, 5)).withMembers(members(1, 3, 4, 5));
        assertThat(ClusterSpec.parse(five.format())).isEqualTo(five);
        assertThat(five.format()).contains("placement.0=", "placement.63=");
        ClusterRecord record = ClusterRecord.first(five, "test");
        assertThat(ClusterRecord.decode(record.encode()).to()).isEqualTo(five);

        String old = "partitions=16\nreplication-factor=3\nnode.1=127.0.0.1:7101:7201\nnode.2=127.0.0.1:7102:7202\n"
                + "node.3=127.0.0.1:7103:7203\n";
        assertThat(ClusterSpec.parse(old)).isEqualTo(new ClusterSpec(16, 3, members(1, 2, 3)));
    }

    @Test
    void theMetadataGroupKeepsItsReplicasUnlessTheirNodeLeaves() {
        ClusterSpec three = new ClusterSpec(16, 3, members(1, 2, 3));
        assertThat(three.metadata()).containsExactlyInAnyOrder(1, 2, 3);
        assertThat(three.metadataGroup()).isEqualTo(16);
        assertThat(three.topology().replicas()[16]).containsExactly(three.metadata().stream().mapToInt(i -> i).toArray());
        ClusterSpec four = three.withMembers(members(1, 2, 3, 4));
        assertThat(four.metadata()).as("a join does not move the metadata group").isEqualTo(three.metadata());
        int leaving = three.metadata().get(1);
        List<Topology.Member> rest = new ArrayList<>(members(1, 2, 3, 4));
        rest.removeIf(m -> m.id() == leaving);
        ClusterSpec after = four.withMembers(rest);
        assertThat(after.metadata()).containsExactly(three.metadata().get(0), 4, three.metadata().get(2));
        assertThat(ClusterSpec.parse(after.format())).isEqualTo(after);
        assertThat(after.format()).contains("metadata=" + after.metadata().get(0) + ",4,");
    }

    @Test
    void theLargestClusterRecordFitsAReservedValue() {
        List<Topology.Member> many = new ArrayList<>();
        for (int id = 60_001; id <= 60_100; id++) {
            many.add(new Topology.Member(id, "a-rather-long-host-name.example", 60_000, 60_001, "zone-" + id % 5));
        }
        ClusterSpec big = new ClusterSpec(ClusterSpec.MAX_PARTITIONS, 5, many.subList(0, 99)).withMembers(many);
        byte[] encoded = ClusterRecord.first(big, "node 60001").moveTo(big, "node 60001", "test").encode();
        assertThat(encoded.length).isLessThanOrEqualTo(BulwarkClient.MAX_RESERVED_VALUE_BYTES);
    }

    @Test
    void badPlacementLinesAreRefusedWithTheirLine() {
        String base = "partitions=2\nreplication-factor=2\nnode.1=127.0.0.1:7101:7201\nnode.2=127.0.0.1:7102:7202\n"
                + "node.3=127.0.0.1:7103:7203\n";
        assertThat(ClusterSpec.parse(base + "placement.0=1,2\nplacement.1=3,1\n").placement())
                .containsExactly(List.of(1, 2), List.of(3, 1));
        assertThatThrownBy(() -> ClusterSpec.parse(base + "placement.0=1,2\n"))
                .hasMessageContaining("not partition 1");
        assertThatThrownBy(() -> ClusterSpec.parse(base + "placement.0=1,2\nplacement.1=3,3\n"))
                .hasMessageContaining("partition 1 must be placed on 2 distinct nodes");
        assertThatThrownBy(() -> ClusterSpec.parse(base + "placement.0=1,2\nplacement.1=3,9\n"))
                .hasMessageContaining("node 9, which is not a member");
        assertThatThrownBy(() -> ClusterSpec.parse(base + "placement.0=1,2\nplacement.1=3,1\nplacement.2=1,2\n"))
                .hasMessageContaining("beyond the 2");
        assertThatThrownBy(() -> ClusterSpec.parse(base + "placement.0=1,2\nplacement.0=2,1\nplacement.1=3,1\n"))
                .hasMessageContaining("placed twice");
        assertThatThrownBy(() -> ClusterSpec.parse(base + "placement.x=1,2\n")).hasMessageContaining("line 6");
        assertThatThrownBy(() -> new ClusterSpec(2, 2, members(1, 2, 3)).withMembers(members(1)))
                .hasMessageContaining("needs at least");
        assertThat(new String(new ClusterSpec(2, 2, members(1, 2, 3)).format().getBytes(StandardCharsets.UTF_8),
                StandardCharsets.UTF_8)).contains("# replicas of each partition");
    }
}
