package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
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
 * exact proportional shares within statistical bounds, minimal movement for every kind of change,
 * replica distinctness and zone spread, and bad input.
 *
 * <p>Keys are {@code xxh64(i)} for {@code i = 0, 1, ...}: seeded and reproducible, so every bound below
 * is a fixed check, chosen at 4.5 standard deviations or more.
 */
class RendezvousHashTest {

    private static final KeyHasher HASHER = KeyHashers.defaultHasher();

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
        configurations.add(nodes(25));
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
    void inputOrderDoesNotMatterAndFingerprintCoversEverything() {
        List<Node> nodes = nodes(20);
        List<Node> shuffled = new ArrayList<>(nodes);
        Collections.shuffle(shuffled, new Random(7));
        RendezvousHash a = RendezvousHash.of(nodes);
        RendezvousHash b = RendezvousHash.of(shuffled);
        assertThat(b.fingerprint()).isEqualTo(a.fingerprint());
        assertThat(b.nodes()).containsExactlyElementsOf(a.nodes());
        for (int i = 0; i < 2_000; i++) {
            long h = HASHER.hash((long) i);
            assertThat(b.locate(h)).isSameAs(a.locate(h));
        }
        assertThat(a.nodes()).extracting(Node::id).isSorted();
        assertThat(RendezvousHash.of(nodes, new XxHash64(3)).fingerprint()).isNotEqualTo(a.fingerprint());
        assertThat(a.reweighted("node-3", 2).fingerprint()).isNotEqualTo(a.fingerprint());
        assertThat(a.without("node-3").with(Node.of("node-3", 1, "z")).fingerprint()).isNotEqualTo(a.fingerprint());
        assertThat(a.without("node-3").with(Node.of("node-3")).fingerprint()).isEqualTo(a.fingerprint());
        assertThat(a.algorithm()).isEqualTo("rendezvous");
        assertThat(a.locate("k")).isSameAs(a.locate(HASHER.hash("k")));
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
        int nodeCount = 50;
        int keys = 300_000;
        RendezvousHash rendezvous = RendezvousHash.of(nodes(nodeCount));
        int[] counts = new int[nodeCount];
        for (int i = 0; i < keys; i++) {
            counts[index(rendezvous.locate(HASHER.hash((long) i)))]++;
        }
        double mean = (double) keys / nodeCount;
        double chiSquare = 0;
        for (int c : counts) {
            chiSquare += (c - mean) * (c - mean) / mean;
            assertThat(c / mean).isBetween(0.935, 1.065);
        }
        assertThat(chiSquare).isLessThan(99);
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
        RendezvousHash rendezvous = RendezvousHash.of(nodes);
        int keys = 1_000_000;
        int[] counts = new int[nodes.size()];
        for (int i = 0; i < keys; i++) {
            counts[index(rendezvous.locate(HASHER.hash((long) i)))]++;
        }
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
        for (RendezvousHash before : List.of(RendezvousHash.of(nodes(20)), RendezvousHash.of(weightedNodes(20)))) {
            Node added = Node.of("node-new", 2);
            RendezvousHash after = before.with(added);
            double share = 2 / (totalWeight(before) + 2);
            int keys = 100_000;
            int moved = 0;
            for (int i = 0; i < keys; i++) {
                long h = HASHER.hash((long) i);
                Node was = before.locate(h);
                Node is = after.locate(h);
                if (was != is) {
                    assertThat(is).isSameAs(added);
                    moved++;
                }
            }
            // Binomial(100000, share): 5 standard deviations.
            double bound = 5 * Math.sqrt(keys * share * (1 - share));
            assertThat(Math.abs(moved - keys * share)).as("moved to the new node").isLessThan(bound);
        }
    }

    @Test
    void removingAnyNodeMovesOnlyItsKeys() {
        RendezvousHash before = RendezvousHash.of(weightedNodes(20));
        for (String removed : List.of("node-0", "node-7", "node-19")) {
            RendezvousHash after = before.without(removed);
            for (int i = 0; i < 20_000; i++) {
                long h = HASHER.hash((long) i);
                Node was = before.locate(h);
                if (!was.id().equals(removed)) {
                    assertThat(after.locate(h)).isSameAs(was);
                }
            }
        }
    }

    @Test
    void reweightingMovesKeysOnlyToOrFromThatNode() {
        RendezvousHash before = RendezvousHash.of(nodes(20));
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
        Node[] was = new Node[3];
        Node[] is = new Node[3];
        for (RendezvousHash after : changed) {
            for (int i = 0; i < 10_000; i++) {
                long h = HASHER.hash((long) i);
                base.replicas(h, was, 3);
                after.replicas(h, is, 3);
                Set<String> lost = ids(was);
                lost.removeAll(ids(is));
                assertThat(lost.size()).as("key %d after %s", i, after).isLessThanOrEqualTo(1);
            }
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
    // Replicas

    @Test
    void replicasAreDistinctPrimaryFirstAndPrefixesOfLargerSets() {
        RendezvousHash rendezvous = RendezvousHash.of(weightedNodes(12));
        Node[] small = new Node[3];
        Node[] all = new Node[12];
        for (int i = 0; i < 2_000; i++) {
            long h = HASHER.hash((long) i);
            assertThat(rendezvous.replicas(h, small, 3)).isEqualTo(3);
            rendezvous.replicas(h, all, 12);
            assertThat(small[0]).isSameAs(rendezvous.locate(h));
            assertThat(new HashSet<>(List.of(all))).hasSize(12);
            assertThat(List.of(all).subList(0, 3)).containsExactly(small);
        }
    }

    @Test
    void replicasGoToDistinctZonesFirst() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            nodes.add(Node.of("node-" + i, 1 + (i % 2), "zone-" + (i % 3)));
        }
        RendezvousHash rendezvous = RendezvousHash.of(nodes);
        Node[] out = new Node[5];
        for (int i = 0; i < 5_000; i++) {
            long h = HASHER.hash((long) i);
            rendezvous.replicas(h, out, 5);
            assertThat(Set.of(out[0].zone(), out[1].zone(), out[2].zone())).hasSize(3);
            assertThat(new HashSet<>(List.of(out))).hasSize(5);
            assertThat(out[0]).isSameAs(rendezvous.locate(h));
        }
    }

    @Test
    void lookupsAllocateNothing() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            nodes.add(Node.of("node-" + i, 1 + (i % 3), "zone-" + (i % 4)));
        }
        for (RendezvousHash rendezvous : List.of(RendezvousHash.of(nodes), RendezvousHash.of(nodes(30)))) {
            Node[] out = new Node[3];
            long sink = 0;
            for (int warm = 0; warm < 3; warm++) {
                long before = allocatedBytes();
                for (int i = 0; i < 10_000; i++) {
                    sink += rendezvous.locate((long) i * HashRing.GOLDEN).hashCode();
                    rendezvous.replicas((long) i * HashRing.GOLDEN, out, 3);
                }
                long allocated = allocatedBytes() - before;
                if (warm == 2) {
                    assertThat(allocated).as("bytes allocated by 20,000 lookups on %s", rendezvous).isLessThan(4096);
                }
            }
            assertThat(sink).isNotZero();
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Bad input

    @Test
    void rejectsMalformedMembership() {
        assertThatThrownBy(() -> RendezvousHash.of((List<Node>) null)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> RendezvousHash.of(Arrays.asList(Node.of("a"), null)))
                .isInstanceOf(InvalidNodeException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> RendezvousHash.of(Node.of("a"), Node.of("b", 2), Node.of("a", 3)))
                .isInstanceOf(DuplicateNodeException.class).hasMessageContaining("'a'");
        assertThatThrownBy(() -> RendezvousHash.of(nodes(2), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hasher");
        RendezvousHash rendezvous = RendezvousHash.of(nodes(3));
        assertThatThrownBy(() -> rendezvous.with(null)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> rendezvous.with(Node.of("node-1", 2))).isInstanceOf(DuplicateNodeException.class);
        assertThatThrownBy(() -> rendezvous.without("nope")).isInstanceOf(UnknownNodeException.class)
                .hasMessageContaining("'nope'");
        assertThatThrownBy(() -> rendezvous.without(null)).isInstanceOf(UnknownNodeException.class);
        assertThatThrownBy(() -> rendezvous.reweighted("node-1", 0)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> rendezvous.reweighted("node-1", Double.NaN)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> rendezvous.reweighted("nope", 1)).isInstanceOf(UnknownNodeException.class);
    }

    @Test
    void rejectsBadReplicaRequestsAndEmptyLookups() {
        RendezvousHash rendezvous = RendezvousHash.of(nodes(3));
        assertThatThrownBy(() -> rendezvous.replicas(1, new Node[4], 4)).isInstanceOf(NotEnoughNodesException.class)
                .hasMessageContaining("between 1 and the number of nodes (3), was 4");
        assertThatThrownBy(() -> rendezvous.replicas(1, new Node[4], -1)).isInstanceOf(NotEnoughNodesException.class);
        assertThatThrownBy(() -> rendezvous.replicas(1, new Node[2], 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 3");
        RendezvousHash empty = RendezvousHash.of(List.of());
        assertThatThrownBy(() -> empty.locate(1L)).isInstanceOf(EmptyRingException.class);
        assertThatThrownBy(() -> empty.replicas(1L, new Node[1], 1)).isInstanceOf(EmptyRingException.class);
        assertThatThrownBy(() -> RendezvousHash.of(Node.of("x")).without("x").locate("k"))
                .isInstanceOf(EmptyRingException.class);
    }

    // ----------------------------------------------------------------------------------------------

    private static List<Node> nodes(int count) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(Node.of("node-" + i));
        }
        return nodes;
    }

    /** Weights 1, 1.5, 2, 2.5, 1, ... */
    private static List<Node> weightedNodes(int count) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(Node.of("node-" + i, 1 + (i % 4) * 0.5));
        }
        return nodes;
    }

    private static double totalWeight(NodeLocator locator) {
        return locator.nodes().stream().mapToDouble(Node::weight).sum();
    }

    private static List<String> ownersOf(NodeLocator locator) {
        List<String> owners = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            owners.add(locator.locate("key-" + i).id());
        }
        return owners;
    }

    private static Set<String> ids(Node[] nodes) {
        Set<String> ids = new HashSet<>();
        for (Node n : nodes) {
            ids.add(n.id());
        }
        return ids;
    }

    private static int index(Node node) {
        return Integer.parseInt(node.id().substring("node-".length()));
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
