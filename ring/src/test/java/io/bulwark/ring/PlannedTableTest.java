package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/**
 * {@link PartitionTable#rebalancedOnto}: a stored table moved from one set of nodes to the next with the fewest
 * replica moves, and {@link PartitionTable#of(HashRing, int, int, List)}, which reads one back.
 */
class PlannedTableTest {

    private static List<Node> nodes(int from, int to) {
        List<Node> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(Node.of(String.valueOf(i)));
        }
        return out;
    }

    private static Map<String, Integer> loads(PartitionTable t) {
        Map<String, Integer> out = new TreeMap<>();
        for (Node n : t.ring().nodes()) {
            out.put(n.id(), 0);
        }
        for (int p = 0; p < t.partitions(); p++) {
            for (Node n : t.replicas(p)) {
                out.merge(n.id(), 1, Integer::sum);
            }
        }
        return out;
    }

    private static int replicasAdded(PartitionTable from, PartitionTable to) {
        int added = 0;
        for (PartitionMove m : from.diff(to)) {
            added += m.added().size();
        }
        return added;
    }

    @Test
    void aFourthNodeAmongThreeTakesExactlyItsShareWhereTheRingAloneTakesMore() {
        for (int partitions : new int[] {16, 64}) {
            PartitionTable three = PartitionTable.of(HashRing.of(nodes(1, 3)), partitions, 3);
            HashRing four = HashRing.of(nodes(1, 4));
            PartitionTable planned = three.rebalancedOnto(four);
            int share = partitions * 3 / 4;

            assertThat(replicasAdded(three, planned)).as("replicas moved, %d partitions", partitions).isEqualTo(share);
            assertThat(loads(planned)).containsOnly(Map.entry("1", share), Map.entry("2", share),
                    Map.entry("3", share), Map.entry("4", share));
            for (PartitionMove m : three.diff(planned)) {
                assertThat(m.added()).extracting(Node::id).containsExactly("4");
                assertThat(m.removed()).hasSize(1);
            }
            assertThat(planned.isPlanned()).isTrue();
        }
        // What recomputing from the ring does with 16 partitions (why the table is kept instead).
        PartitionTable ringOnly = PartitionTable.of(HashRing.of(nodes(1, 4)), 16, 3);
        assertThat(replicasAdded(PartitionTable.of(HashRing.of(nodes(1, 3)), 16, 3), ringOnly)).isGreaterThan(12);
    }

    @Test
    void aLeavingNodesReplicasAreAllThatMoves() {
        PartitionTable table = PartitionTable.of(HashRing.of(nodes(1, 3)), 64, 3);
        for (int n = 4; n <= 7; n++) {
            table = table.rebalancedOnto(HashRing.of(nodes(1, n)));
        }
        int held = loads(table).get("5");
        PartitionTable after = table.rebalancedOnto(HashRing.of(nodes(1, 7)).without("5"));
        assertThat(replicasAdded(table, after)).isEqualTo(held);
        for (PartitionMove m : table.diff(after)) {
            assertThat(m.removed()).extracting(Node::id).containsExactly("5");
        }
        assertThat(loads(after).values()).allSatisfy(l -> assertThat(l).isBetween(64 * 3 / 6, 64 * 3 / 6 + 1));
    }

    @Test
    void theSameNodesMoveNothingAndPlanningIsDeterministic() {
        PartitionTable table = PartitionTable.of(HashRing.of(nodes(1, 5)), 64, 3).rebalancedOnto(HashRing.of(nodes(1, 6)));
        assertThat(table.diff(table.rebalancedOnto(HashRing.of(nodes(1, 6))))).isEmpty();
        PartitionTable again = PartitionTable.of(HashRing.of(nodes(1, 5)), 64, 3).rebalancedOnto(HashRing.of(nodes(1, 6)));
        assertThat(again.diff(table)).isEmpty();
        assertThat(again.fingerprint()).isEqualTo(table.fingerprint());
    }

    @Test
    void weightsAndZonesShapeTheShares() {
        List<Node> weighted = List.of(Node.of("a"), Node.of("b"), Node.of("c"), Node.of("d", 2.0));
        PartitionTable t = PartitionTable.of(HashRing.of(weighted.subList(0, 3)), 100, 3)
                .rebalancedOnto(HashRing.of(weighted));
        // 300 replicas by weight 1:1:1:2 are 60/60/60/120, but no node holds more than one per partition: d's
        // excess (20) goes to the others.
        assertThat(loads(t)).containsOnly(Map.entry("a", 67), Map.entry("b", 67), Map.entry("c", 66), Map.entry("d", 100));

        List<Node> zoned = List.of(Node.of("a", 1, "z1"), Node.of("b", 1, "z2"), Node.of("c", 1, "z3"),
                Node.of("d", 1, "z1"));
        PartitionTable z = PartitionTable.of(HashRing.of(zoned.subList(0, 3)), 64, 3).rebalancedOnto(HashRing.of(zoned));
        // Every partition keeps one replica per zone, so the newcomer shares zone z1's replicas with a only.
        assertThat(loads(z)).containsOnly(Map.entry("a", 32), Map.entry("b", 64), Map.entry("c", 64), Map.entry("d", 32));
        for (int p = 0; p < 64; p++) {
            assertThat(z.replicas(p).stream().map(Node::zone).distinct()).hasSize(3);
        }
    }

    @Test
    void aStoredTableReadsBackAndBadTablesAreRefused() {
        PartitionTable table = PartitionTable.of(HashRing.of(nodes(1, 4)), 8, 3);
        List<List<String>> ids = new ArrayList<>();
        for (int p = 0; p < 8; p++) {
            ids.add(table.replicas(p).stream().map(Node::id).toList());
        }
        PartitionTable read = PartitionTable.of(HashRing.of(nodes(1, 4)), 8, 3, ids);
        assertThat(read.diff(table)).isEmpty();
        assertThat(read.isPlanned()).isTrue();

        HashRing ring = HashRing.of(nodes(1, 4));
        assertThatThrownBy(() -> PartitionTable.of(ring, 9, 3, ids)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("9 partitions");
        List<List<String>> twice = new ArrayList<>(ids);
        twice.set(2, List.of("1", "1", "2"));
        assertThatThrownBy(() -> PartitionTable.of(ring, 8, 3, twice)).hasMessageContaining("partition 2 needs 3 distinct");
        List<List<String>> stranger = new ArrayList<>(ids);
        stranger.set(5, List.of("1", "2", "9"));
        assertThatThrownBy(() -> PartitionTable.of(ring, 8, 3, stranger)).hasMessageContaining("node '9'");
        assertThatThrownBy(() -> table.rebalancedOnto(HashRing.of(nodes(1, 2))))
                .isInstanceOf(NotEnoughNodesException.class);
    }

    /**
     * Any sequence of joins and leaves (weights 1 to 3, with and without zones): every partition keeps rf distinct
     * nodes and zone spread never drops below what the ring gives; with equal weights in one zone, a change moves
     * at most two replicas more than the least possible and every node ends within one replica of every other.
     */
    @Property(tries = 100)
    void everyChangeMovesOnlyWhatItMust(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
            @ForAll @IntRange(min = 0, max = 4) int zones) {
        SplittableRandom r = new SplittableRandom(seed);
        int partitions = 8 + r.nextInt(120);
        int rf = 1 + r.nextInt(3);
        boolean weighted = r.nextBoolean();
        List<Node> members = new ArrayList<>();
        int next = 0;
        while (members.size() < Math.max(rf, 3)) {
            members.add(node(r, next++, zones, weighted));
        }
        PartitionTable table = PartitionTable.of(HashRing.of(members), partitions, rf);
        for (int step = 0; step < 8; step++) {
            if (members.size() > rf && r.nextInt(3) == 0) {
                members.remove(r.nextInt(members.size()));
            } else {
                members.add(node(r, next++, zones, weighted));
            }
            HashRing ring = HashRing.of(members);
            PartitionTable after = table.rebalancedOnto(ring);
            int zoneCount = (int) members.stream().map(n -> n.zone() == null ? "" : n.zone()).distinct().count();
            for (int p = 0; p < partitions; p++) {
                List<Node> set = after.replicas(p);
                assertThat(set.stream().map(Node::id).distinct()).hasSize(rf);
                assertThat(set).allSatisfy(n -> assertThat(ring.contains(n.id())).isTrue());
                assertThat(set.stream().map(n -> n.zone() == null ? "" : n.zone()).distinct().count())
                        .as("zone spread of partition %d", p).isGreaterThanOrEqualTo(Math.min(rf, zoneCount));
            }
            Map<String, Integer> before = loads(table);
            Map<String, Integer> now = loads(after);
            int expectedAdded = 0;
            for (Map.Entry<String, Integer> e : now.entrySet()) {
                expectedAdded += Math.max(0, e.getValue() - before.getOrDefault(e.getKey(), 0));
            }
            // The least any plan can move is what the nodes that grew gained. The greedy planner can miss it when
            // a partition's constraints (it already holds every node below its share, zone spread, a node due a
            // replica of every partition) force a replica onto a node at its share, which then hands one on:
            // over 16,000 generated changes with equal weights in one zone, 99.7% moved the least and none more
            // than 2 above it (with weights and zones: 0.5% more moves in total).
            int added = replicasAdded(table, after);
            assertThat(added).isGreaterThanOrEqualTo(expectedAdded);
            if (zoneCount == 1 && !weighted) {
                assertThat(added).as("replicas moved vs the least possible").isLessThanOrEqualTo(expectedAdded + 2);
            }
            if (zoneCount == 1 && !weighted) {
                int min = now.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
                int max = now.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
                assertThat(max - min).as("loads %s", now).isLessThanOrEqualTo(1);
            }
            table = after;
        }
    }

    private static Node node(SplittableRandom r, int id, int zones, boolean weighted) {
        double weight = weighted ? 1 + r.nextInt(3) : 1;
        return Node.of("n" + id, weight, zones == 0 ? null : "z" + r.nextInt(zones));
    }
}
