package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link RendezvousHash}: agreement with a literal implementation of the {@code rendezvous/1} rule
 * (which checks the logarithm-skipping and the insertion into the caller's buffer), pinned placement,
 * exact proportional shares within statistical bounds, minimal movement for every kind of change and
 * reweighting, on top of the {@link NodeLocatorContract}.
 *
 * <p>Keys are {@code xxh64(i)} for {@code i = 0, 1, ...}: seeded and reproducible, so every bound below
 * is a fixed check, chosen at 4.5 standard deviations or more.
 */
class RendezvousHashTest extends NodeLocatorContract<RendezvousHash> {

    RendezvousHashTest() {
        super(RendezvousHash::of, RendezvousHash::with, RendezvousHash::without);
    }

    // ----------------------------------------------------------------------------------------------
    // The placement rule

    /**
     * The class description's rule, written as plainly as possible: score every node with the full
     * formula (logarithms even for equal weights) and sort.
     */
    private static List<Node> referenceRanking(List<Node> nodes, long keyHash) {
        record Ranked(Node node, double score, long x, byte[] id) {
        }
        List<Ranked> ranked = new ArrayList<>();
        for (Node node : nodes) {
            long seed = HASHER.hash(node.id().getBytes(StandardCharsets.UTF_8));
            long x = HashRing.mix64(keyHash ^ seed);
            double u = ((x >>> 12) + 0.5) * 0x1.0p-52;
            ranked.add(new Ranked(node, node.weight() / -StrictMath.log(u), x,
                    node.id().getBytes(StandardCharsets.UTF_8)));
        }
        ranked.sort((a, b) -> {
            int c = Double.compare(b.score(), a.score());
            if (c == 0) {
                c = Long.compareUnsigned(b.x(), a.x());
            }
            return c != 0 ? c : Arrays.compareUnsigned(a.id(), b.id());
        });
        List<Node> order = new ArrayList<>();
        ranked.forEach(r -> order.add(r.node()));
        return order;
    }

    /** Distinct zones first, then distinct nodes, from the ranking: HashRing's walk. */
    private static Node[] referenceReplicas(List<Node> ranking, int n) {
        Set<String> zones = new HashSet<>();
        for (Node node : ranking) {
            zones.add(String.valueOf(node.zone()));
        }
        List<Node> out = new ArrayList<>();
        if (zones.size() > 1) {
            Set<String> taken = new HashSet<>();
            for (Node node : ranking) {
                if (out.size() < Math.min(n, zones.size()) && taken.add(String.valueOf(node.zone()))) {
                    out.add(node);
                }
            }
        }
        for (Node node : ranking) {
            if (out.size() < n && !out.contains(node)) {
                out.add(node);
            }
        }
        return out.toArray(new Node[0]);
    }

    @Test
    void agreesWithTheLiteralRuleForEqualUnequalAndZonedNodes() {
        Random random = new Random(2024);
        List<List<Node>> configurations = new ArrayList<>();
        configurations.add(numberedNodes(25));
        List<Node> weighted = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            weighted.add(Node.of("node-" + i, 0.25 + random.nextInt(16) * 0.5));
        }
        configurations.add(weighted);
        List<Node> zoned = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            zoned.add(Node.of("node-" + i, 1 + random.nextInt(4), "zone-" + random.nextInt(4)));
        }
        configurations.add(zoned);
        List<Node> equalZoned = new ArrayList<>();
        for (int i = 0; i < 25; i++) {
            equalZoned.add(Node.of("node-" + i, 1, i < 3 ? "small-zone" : "zone-" + (i % 5)));
        }
        configurations.add(equalZoned);
        // More than 64 zones exercises the path without the zone bit mask.
        List<Node> manyZones = new ArrayList<>();
        for (int i = 0; i < 140; i++) {
            manyZones.add(Node.of("node-" + i, 1 + (i % 3), "zone-" + (i % 70)));
        }
        configurations.add(manyZones);
        for (List<Node> nodes : configurations) {
            RendezvousHash rendezvous = RendezvousHash.of(nodes);
            int[] counts = {1, 2, 3, 5, nodes.size()};
            Node[] out = new Node[nodes.size()];
            for (int i = 0; i < 120; i++) {
                long h = HASHER.hash((long) i);
                List<Node> ranking = referenceRanking(nodes, h);
                assertThat(rendezvous.locate(h)).isSameAs(ranking.get(0));
                for (int n : counts) {
                    rendezvous.replicas(h, out, n);
                    assertThat(Arrays.copyOf(out, n)).as("key %d, n=%d, %s", i, n, rendezvous)
                            .containsExactly(referenceReplicas(ranking, n));
                }
            }
        }
    }

    /** Pinned output of {@code rendezvous/1}: placement and fingerprint never change silently. */
    @Test
    void placementIsPinned() {
        RendezvousHash equal = RendezvousHash.of(Node.of("alpha"), Node.of("bravo"), Node.of("charlie"),
                Node.of("delta"), Node.of("echo"));
        RendezvousHash weighted = RendezvousHash.of(Node.of("alpha", 1, "z1"), Node.of("bravo", 2, "z1"),
                Node.of("charlie", 3, "z2"), Node.of("delta", 0.5, "z2"), Node.of("echo", 1, "z3"));
        assertThat(ownersOf(equal)).containsExactly("bravo", "alpha", "charlie", "delta", "charlie", "bravo",
                "alpha", "bravo", "charlie", "bravo", "delta", "echo");
        assertThat(equal.fingerprint()).isEqualTo(0x6c7fdc9975a23796L);
        assertThat(weighted.fingerprint()).isEqualTo(0xcbe7055c26311f90L);
        Node[] out = new Node[3];
        weighted.replicas(HASHER.hash("key-0"), out, 3);
        assertThat(out).extracting(Node::id).containsExactly("bravo", "echo", "charlie");
        equal.replicas(HASHER.hash("key-0"), out, 3);
        assertThat(out).extracting(Node::id).containsExactly("bravo", "echo", "delta");
    }

    @Test
    void fingerprintCoversWeights() {
        RendezvousHash a = RendezvousHash.of(numberedNodes(20));
        assertThat(a.reweighted("node-3", 2).fingerprint()).isNotEqualTo(a.fingerprint());
        assertThat(a.reweighted("node-3", 1).fingerprint()).isEqualTo(a.fingerprint());
        assertThat(a.algorithm()).isEqualTo("rendezvous");
    }

    // ----------------------------------------------------------------------------------------------
    // Balance

    /**
     * 300,000 keys on 50 equal nodes: each count is Binomial(300000, 0.02), mean 6,000, standard
     * deviation 76.7, so 6.5% is 5 standard deviations; chi-square with 49 degrees of freedom (mean 49,
     * standard deviation 9.9) stays below 99.
     */
    @Test
    void equalNodesReceiveEqualSharesWithinStatisticalBounds() {
        assertEqualShares(RendezvousHash.of(numberedNodes(50)), 300_000, 0.065, 99);
    }

    /**
     * Weights 1 to 4 on 8 nodes (total 20), 1,000,000 keys: the lightest node's count has mean 50,000 and
     * standard deviation 218 (0.44%), so ±2% of the target share is 4.6 standard deviations.
     */
    @Test
    void weightedNodesReceiveTheirShareWithinTwoPercent() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            nodes.add(Node.of("node-" + i, 1 + (i % 4)));
        }
        int keys = 1_000_000;
        int[] counts = keysPerNode(RendezvousHash.of(nodes), keys);
        for (int i = 0; i < nodes.size(); i++) {
            double target = nodes.get(i).weight() / 20.0;
            assertThat(counts[i] / (double) keys / target).as("share of %s over target", nodes.get(i))
                    .isBetween(0.98, 1.02);
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Movement

    @Test
    void addingANodeMovesKeysOnlyToIt() {
        for (RendezvousHash before : List.of(RendezvousHash.of(numberedNodes(20)), RendezvousHash.of(weightedNodes(20)))) {
            Node added = Node.of("node-new", 2);
            double share = 2 / (totalWeight(before) + 2);
            int keys = 100_000;
            int moved = keysMovedOnlyTo(added, before, before.with(added), keys);
            // Binomial(100000, share): 5 standard deviations.
            double bound = 5 * Math.sqrt(keys * share * (1 - share));
            assertThat(Math.abs(moved - keys * share)).as("moved to the new node").isLessThan(bound);
        }
    }

    @Test
    void removingAnyNodeMovesOnlyItsKeys() {
        RendezvousHash before = RendezvousHash.of(weightedNodes(20));
        for (String removed : List.of("node-0", "node-7", "node-19")) {
            assertOnlyKeysOf(removed, before, before.without(removed), 20_000);
        }
    }

    @Test
    void reweightingMovesKeysOnlyToOrFromThatNode() {
        RendezvousHash before = RendezvousHash.of(numberedNodes(20));
        RendezvousHash heavier = before.reweighted("node-4", 3);
        RendezvousHash lighter = before.reweighted("node-4", 0.5);
        for (int i = 0; i < 20_000; i++) {
            long h = HASHER.hash((long) i);
            Node was = before.locate(h);
            Node up = heavier.locate(h);
            Node down = lighter.locate(h);
            if (!up.id().equals(was.id())) {
                assertThat(up.id()).isEqualTo("node-4");
            }
            if (!down.id().equals(was.id())) {
                assertThat(was.id()).isEqualTo("node-4");
            }
        }
    }

    /** Without zones, top-n sets differ by at most one node after any single add or remove. */
    @Test
    void aReplicaSetChangesByAtMostOneNodePerChange() {
        RendezvousHash base = RendezvousHash.of(weightedNodes(15));
        List<RendezvousHash> changed = List.of(base.with(Node.of("node-new", 1.5)), base.without("node-3"),
                base.without("node-14"));
        for (RendezvousHash after : changed) {
            assertThat(replicaSetsChangedByMoreThanOneNode(base, after, 3, 10_000)).as("after %s", after).isZero();
        }
    }

    @Property(tries = 100)
    void anyMembershipChangeMovesOnlyTheChangedNodesKeys(@ForAll @IntRange(min = 2, max = 40) int nodeCount,
                                                        @ForAll @IntRange(min = 0, max = 39) int victim,
                                                        @ForAll long keySeed) {
        List<Node> nodes = weightedNodes(nodeCount);
        RendezvousHash before = RendezvousHash.of(nodes);
        String removed = nodes.get(victim % nodeCount).id();
        RendezvousHash after = before.without(removed);
        for (int i = 0; i < 200; i++) {
            long h = HashRing.mix64(keySeed + i * HashRing.GOLDEN);
            Node was = before.locate(h);
            Node is = after.locate(h);
            assertThat(was == is || was.id().equals(removed)).isTrue();
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Bad input

    @Test
    void rejectsBadReweighting() {
        RendezvousHash rendezvous = RendezvousHash.of(numberedNodes(3));
        assertThatThrownBy(() -> rendezvous.reweighted("node-1", 0)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> rendezvous.reweighted("node-1", Double.NaN)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> rendezvous.reweighted("nope", 1)).isInstanceOf(UnknownNodeException.class);
    }

    // ----------------------------------------------------------------------------------------------

    private static double totalWeight(NodeLocator locator) {
        return locator.nodes().stream().mapToDouble(Node::weight).sum();
    }
}
