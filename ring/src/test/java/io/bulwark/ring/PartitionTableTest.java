package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class PartitionTableTest {

    @Test
    void addingANodeMovesExactlyThePartitionsItTakes() {
        HashRing ring = HashRing.of(HashRingTest.nodes(10));
        PartitionTable before = PartitionTable.of(ring, 1024, 3);
        PartitionTable after = PartitionTable.of(ring.with(Node.of("node-11")), 1024, 3);
        List<PartitionMove> moves = before.diff(after);
        assertThat(moves).isNotEmpty();
        for (PartitionMove m : moves) {
            assertThat(m.added()).extracting(Node::id).containsExactly("node-11");
            assertThat(m.removed()).hasSize(1);
        }
        // Every partition the newcomer holds is a move, and nothing else moved.
        long held = 0;
        for (int p = 0; p < 1024; p++) {
            if (after.replicas(p).stream().anyMatch(n -> n.id().equals("node-11"))) {
                held++;
            }
        }
        assertThat(moves).hasSize((int) held);
        // About 3/11 of the partitions gain the newcomer.
        assertThat(held).isBetween((long) (1024 * 3 / 11.0 * 0.8), (long) (1024 * 3 / 11.0 * 1.2));
    }

    @Test
    void removingANodeMovesExactlyItsPartitions() {
        HashRing ring = HashRing.of(HashRingTest.nodes(10));
        PartitionTable before = PartitionTable.of(ring, 256, 3);
        PartitionTable after = PartitionTable.of(ring.without("node-4"), 256, 3);
        for (PartitionMove m : before.diff(after)) {
            assertThat(m.removed()).extracting(Node::id).containsExactly("node-4");
        }
        assertThat(before.diff(after)).hasSize(before.replicaCounts()[ring.ordinalOf("node-4")]);
    }

    @Test
    void keysMapToPartitionsUniformlyAndStably() {
        HashRing ring = HashRing.of(HashRingTest.nodes(3));
        PartitionTable table = PartitionTable.of(ring, 64, 3);
        int[] counts = new int[64];
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < 640_000; i++) {
            int p = table.partitionOf(random.nextLong());
            counts[p]++;
        }
        for (int c : counts) {
            // mean 10,000, sd 100: 6 sigma.
            assertThat(c).isBetween(9_400, 10_600);
        }
        assertThat(table.partitionOf(-1L)).isEqualTo(63);
        assertThat(table.partitionOf(0L)).isEqualTo(0);
        assertThat(table.partitionOf("user:1")).isEqualTo(PartitionTable.of(ring.with(Node.of("x")), 64, 3)
                .partitionOf("user:1"));
    }

    @Test
    void boundedTableCapsEveryNode() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            nodes.add(Node.of("n" + i, 1, "zone-" + (i % 3)));
        }
        HashRing ring = HashRing.of(nodes);
        PartitionTable plain = PartitionTable.of(ring, 64, 3);
        PartitionTable bounded = PartitionTable.bounded(ring, 64, 3, 0.1);
        int cap = (int) Math.ceil(1.1 * 64 * 3 / 6.0);
        assertThat(java.util.Arrays.stream(bounded.replicaCounts()).max().getAsInt()).isLessThanOrEqualTo(cap);
        assertThat(java.util.Arrays.stream(bounded.replicaCounts()).max().getAsInt())
                .isLessThanOrEqualTo(java.util.Arrays.stream(plain.replicaCounts()).max().getAsInt());
        for (int p = 0; p < 64; p++) {
            assertThat(bounded.replicas(p)).doesNotHaveDuplicates();
            assertThat(bounded.replicas(p).stream().map(Node::zone).distinct()).hasSize(3);
        }
        assertThat(bounded.isBounded()).isTrue();
        assertThat(bounded.fingerprint()).isNotEqualTo(plain.fingerprint());
    }

    @Test
    void zoneSpreadWinsOverTheCapWhenZonesAreUneven() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            nodes.add(Node.of("n" + i, 1, i == 6 ? "small-zone" : "zone-" + (i % 2)));
        }
        PartitionTable bounded = PartitionTable.bounded(HashRing.of(nodes), 64, 3, 0.1);
        for (int p = 0; p < 64; p++) {
            assertThat(bounded.replicas(p).stream().map(Node::zone).distinct()).hasSize(3);
        }
        // The lone node of the small zone must hold every partition.
        assertThat(bounded.replicaCounts()[6]).isEqualTo(64);
    }

    @Test
    void badInput() {
        HashRing ring = HashRing.of(HashRingTest.nodes(3));
        assertThatThrownBy(() -> PartitionTable.of(ring, 0, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("partitions must be between 1 and");
        assertThatThrownBy(() -> PartitionTable.of(ring, 8, 4)).isInstanceOf(NotEnoughNodesException.class);
        assertThatThrownBy(() -> PartitionTable.of(HashRing.empty(), 8, 1)).isInstanceOf(EmptyRingException.class);
        assertThatThrownBy(() -> PartitionTable.bounded(ring, 8, 1, -1)).isInstanceOf(IllegalArgumentException.class);
        PartitionTable t = PartitionTable.of(ring, 8, 2);
        assertThatThrownBy(() -> t.primary(8)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> t.diff(PartitionTable.of(ring, 16, 2))).isInstanceOf(IllegalArgumentException.class);
    }
}
