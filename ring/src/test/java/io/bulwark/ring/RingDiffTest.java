package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RingDiffTest {

    private static HashRing ring(int n, int vnodes) {
        return HashRing.builder().vnodesPerWeight(vnodes).addAll(HashRingTest.nodes(n)).build();
    }

    @Test
    void planNamesExactlyTheKeysWhosePlacementChanges() {
        HashRing before = ring(8, 200);
        HashRing after = before.with(Node.of("node-9")).without("node-3");
        MigrationPlan plan = RingDiff.between(before, after, 3);
        SplittableRandom random = new SplittableRandom(1);
        Node[] a = new Node[3];
        Node[] b = new Node[3];
        for (int i = 0; i < 20_000; i++) {
            long key = random.nextLong();
            before.replicas(key, a, 3);
            after.replicas(key, b, 3);
            boolean changed = !a[0].id().equals(b[0].id())
                    || !Arrays.stream(a).map(Node::id).sorted().toList()
                            .equals(Arrays.stream(b).map(Node::id).sorted().toList());
            long pos = key >>> 32;
            RangeMove move = plan.moves().stream()
                    .filter(m -> m.startPosition() <= pos && pos <= m.endPosition()).findFirst().orElse(null);
            assertThat(move != null).as("key at %d changed=%s", pos, changed).isEqualTo(changed);
            if (move != null) {
                assertThat(move.from()).containsExactly(a);
                assertThat(move.to()).containsExactly(b);
            }
        }
        // Ranges are ordered, disjoint and merged.
        for (int i = 1; i < plan.moves().size(); i++) {
            assertThat(plan.moves().get(i).startPosition()).isGreaterThan(plan.moves().get(i - 1).endPosition());
        }
    }

    @Test
    void addingANodeMovesAboutOneOverNPlusOneAndOnlyToIt() {
        HashRing before = HashRing.of(HashRingTest.nodes(20));
        HashRing after = before.with(Node.of("node-21"));
        MigrationPlan plan = RingDiff.between(before, after, 1);
        double ideal = 1.0 / 21;
        assertThat(plan.primaryMovedFraction()).isBetween(ideal * 0.9, ideal * 1.1);
        assertThat(plan.primaryTransfers().keySet()).allMatch(k -> k.endsWith("-> node-21"));
        MigrationPlan replicated = RingDiff.between(before, after, 3);
        assertThat(replicated.maxReplicaChanges()).isEqualTo(1);
        assertThat(replicated.moves()).allMatch(m -> m.added().equals(List.of(after.node("node-21").orElseThrow())));
    }

    @Test
    void identicalRingsNeedNoMoves() {
        HashRing ring = ring(5, 64);
        assertThat(RingDiff.between(ring, HashRing.of(ring.settings(), ring.nodes()), 2).isEmpty()).isTrue();
    }

    @Test
    void rejectsIncomparableRings() {
        HashRing a = ring(3, 16);
        HashRing b = HashRing.builder().hasher(new XxHash64(5)).addAll(a.nodes()).build();
        assertThatThrownBy(() -> RingDiff.between(a, b, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("different hashers");
        assertThatThrownBy(() -> RingDiff.between(a, a.without("node-1"), 3))
                .isInstanceOf(NotEnoughNodesException.class);
    }
}
