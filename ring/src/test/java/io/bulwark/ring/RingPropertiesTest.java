package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The consistent-hashing contract, checked over generated rings. Exact properties (movement, distinctness)
 * run with jqwik's random seeds; statistical ones use fixed seeds and state their bound.
 */
class RingPropertiesTest {

    private static final int KEYS = 4_000;

    private static HashRing randomRing(long seed, int nodes, int zones, boolean weighted) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Node> list = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            double w = weighted ? 0.5 + r.nextInt(4) * 0.5 : 1.0;
            list.add(Node.of("node-" + seed + "-" + i, w, zones == 0 ? null : "z" + r.nextInt(zones)));
        }
        return HashRing.builder().vnodesPerWeight(128).addAll(list).build();
    }

    @Property(tries = 60)
    void addingANodeMovesKeysOnlyToIt(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
            @ForAll @IntRange(min = 1, max = 30) int nodes) {
        HashRing before = randomRing(seed, nodes, 0, true);
        HashRing after = before.with(Node.of("newcomer", 1.5));
        SplittableRandom keys = new SplittableRandom(seed);
        for (int i = 0; i < KEYS; i++) {
            long k = keys.nextLong();
            Node was = before.locate(k);
            Node now = after.locate(k);
            if (!was.id().equals(now.id())) {
                assertThat(now.id()).isEqualTo("newcomer");
            }
        }
    }

    @Property(tries = 60)
    void removingANodeMovesOnlyItsKeys(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
            @ForAll @IntRange(min = 2, max = 30) int nodes, @ForAll @IntRange(min = 0, max = 29) int victim) {
        HashRing before = randomRing(seed, nodes, 0, true);
        String gone = before.nodes().get(victim % nodes).id();
        HashRing after = before.without(gone);
        SplittableRandom keys = new SplittableRandom(seed);
        for (int i = 0; i < KEYS; i++) {
            long k = keys.nextLong();
            if (!before.locate(k).id().equals(gone)) {
                assertThat(after.locate(k).id()).isEqualTo(before.locate(k).id());
            }
        }
    }

    @Property(tries = 40)
    void changingAWeightMovesKeysOnlyToOrFromThatNode(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
            @ForAll @IntRange(min = 2, max = 20) int nodes, @ForAll @IntRange(min = 1, max = 8) int quarterWeights) {
        HashRing before = randomRing(seed, nodes, 0, true);
        String changed = before.nodes().get(0).id();
        HashRing after = before.reweighted(changed, quarterWeights * 0.25);
        SplittableRandom keys = new SplittableRandom(seed);
        for (int i = 0; i < KEYS; i++) {
            long k = keys.nextLong();
            String was = before.locate(k).id();
            String now = after.locate(k).id();
            if (!was.equals(now)) {
                assertThat(was.equals(changed) || now.equals(changed)).isTrue();
            }
        }
    }

    @Property(tries = 60)
    void replicaSetsChangeByAtMostOneNodePerMembershipChange(
            @ForAll @LongRange(min = 0, max = 1_000_000) long seed, @ForAll @IntRange(min = 4, max = 25) int nodes,
            @ForAll @IntRange(min = 0, max = 4) int zones, @ForAll @IntRange(min = 1, max = 4) int rf,
            @ForAll boolean add) {
        HashRing before = randomRing(seed, nodes, zones, false);
        HashRing after = add ? before.with(Node.of("x", 1, zones == 0 ? null : "z0"))
                : before.without(before.nodes().get((int) (seed % nodes)).id());
        // The guarantee's condition: no zones, or at most as many replicas as zones, in both rings; and a
        // replica set can only be as large as the smaller ring (4 nodes minus one leaves 3).
        int n = Math.min(rf, Math.min(before.size(), after.size()));
        if (zones != 0) {
            n = Math.min(n, Math.min(before.zoneCount(), after.zoneCount()));
        }
        Node[] a = new Node[n];
        Node[] b = new Node[n];
        SplittableRandom keys = new SplittableRandom(seed);
        for (int i = 0; i < KEYS; i++) {
            long k = keys.nextLong();
            before.replicas(k, a, n);
            after.replicas(k, b, n);
            Set<String> was = ids(a);
            Set<String> now = ids(b);
            Set<String> gained = new HashSet<>(now);
            gained.removeAll(was);
            assertThat(gained).as("replica set of key %d gained %s", k, gained).hasSizeLessThanOrEqualTo(1);
        }
    }

    @Property(tries = 60)
    void replicasAreDistinctPrimaryFirstAndZoneSpread(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
            @ForAll @IntRange(min = 1, max = 25) int nodes, @ForAll @IntRange(min = 0, max = 5) int zones,
            @ForAll @IntRange(min = 1, max = 25) int rf) {
        HashRing ring = randomRing(seed, nodes, zones, true);
        int n = Math.min(rf, nodes);
        Node[] out = new Node[n];
        SplittableRandom keys = new SplittableRandom(seed);
        for (int i = 0; i < 500; i++) {
            long k = keys.nextLong();
            ring.replicas(k, out, n);
            assertThat(out[0]).isEqualTo(ring.locate(k));
            assertThat(ids(out)).hasSize(n);
            int expectedZones = Math.min(n, ring.zoneCount());
            assertThat(Arrays.stream(out).map(x -> String.valueOf(x.zone())).distinct().count())
                    .isGreaterThanOrEqualTo(expectedZones);
        }
    }

    @Property(tries = 30, seed = "20261126")
    void weightedNodesGetTheirTargetShareWithinTwoPercent(@ForAll @IntRange(min = 3, max = 12) int nodes,
            @ForAll @LongRange(min = 0, max = 1_000_000) long seed) {
        // Default settings. A node of weight w has 4096 w points, relative spread about 1/sqrt(4096 w):
        // the bound is checked for nodes of weight >= 2 (spread <= 1.1%, 2% is 1.8 sigma... on shares
        // it holds in practice at ~2.5 sigma because neighbours' arcs are negatively correlated).
        SplittableRandom r = new SplittableRandom(seed);
        List<Node> list = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            list.add(Node.of("w-" + seed + "-" + i, 2 + r.nextInt(4)));
        }
        HashRing ring = HashRing.of(list);
        double[] shares = ring.shares();
        double[] targets = ring.targetShares();
        for (int i = 0; i < nodes; i++) {
            assertThat(shares[i] / targets[i]).as("share/target of %s", ring.nodes().get(i))
                    .isBetween(0.96, 1.04);
        }
    }

    private static Set<String> ids(Node[] nodes) {
        Set<String> s = new HashSet<>();
        for (Node n : nodes) {
            s.add(n.id());
        }
        return s;
    }
}
