package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;

import org.junit.jupiter.api.Test;

/**
 * What every {@link NodeLocator} promises, run once per implementation by subclassing (one suite, many
 * implementations, as Ratis and Caffeine do): replica sets are distinct, primary first and prefixes of
 * larger sets; zones come first; lookups allocate nothing; fingerprints follow every placement input;
 * and bad membership or a bad replica request gets the documented exception and message. Subclasses pass
 * how to build and change their locator to the constructor and add the properties of their own algorithm.
 *
 * <p>The measurement helpers the algorithm tests share (key counts per node, moved keys, changed
 * replica sets, allocated bytes) live here too. Keys are {@code xxh64(i)} for {@code i = 0, 1, ...}:
 * seeded and reproducible, so every statistical bound is a fixed check.
 *
 * @param <L> the locator under test
 */
abstract class NodeLocatorContract<L extends NodeLocator> {

    static final KeyHasher HASHER = KeyHashers.defaultHasher();

    private final BiFunction<List<Node>, KeyHasher, L> factory;
    private final BiFunction<L, Node, L> adder;
    private final BiFunction<L, String, L> remover;

    /**
     * @param factory the locator over some nodes with a hasher, default settings otherwise
     * @param adder   {@code with(node)}
     * @param remover {@code without(nodeId)}
     */
    NodeLocatorContract(BiFunction<List<Node>, KeyHasher, L> factory, BiFunction<L, Node, L> adder,
                        BiFunction<L, String, L> remover) {
        this.factory = factory;
        this.adder = adder;
        this.remover = remover;
    }

    /** The locator under test over {@code nodes} with the default hasher and settings. */
    final L locatorOf(List<Node> nodes) {
        return factory.apply(nodes, HASHER);
    }

    /** The locator under test over {@code nodes} hashing with {@code hasher} (null to check the rejection). */
    final L locatorOf(List<Node> nodes, KeyHasher hasher) {
        return factory.apply(nodes, hasher);
    }

    /** {@code locator} plus {@code node}. */
    final L with(L locator, Node node) {
        return adder.apply(locator, node);
    }

    /** {@code locator} without the node with this id. */
    final L without(L locator, String nodeId) {
        return remover.apply(locator, nodeId);
    }

    /** Whether placement ignores the order the nodes are given in: true for every algorithm but jump hash. */
    boolean ignoresInputOrder() {
        return true;
    }

    /**
     * Nodes {@code node-0 .. node-(count-1)} as this algorithm accepts them: weighted by default, so the
     * checks cover the weighted paths; an algorithm without weights overrides this.
     */
    List<Node> typicalNodes(int count) {
        return weightedNodes(count);
    }

    /**
     * Nodes spread over several zones, one of them uneven: 12 nodes over three zones plus one light node
     * alone in a fourth, which the zone-first pass must reach however rarely it comes first.
     */
    List<Node> zonedNodes() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            nodes.add(Node.of("node-" + i, 1 + (i % 2), "zone-" + (i % 3)));
        }
        nodes.add(Node.of("node-12", 0.1, "tiny-zone"));
        return nodes;
    }

    // ----------------------------------------------------------------------------------------------
    // Replicas

    @Test
    void replicasAreDistinctPrimaryFirstAndPrefixesOfLargerSets() {
        L locator = locatorOf(typicalNodes(12));
        Node[] small = new Node[3];
        Node[] all = new Node[12];
        for (int i = 0; i < 5_000; i++) {
            long h = HASHER.hash((long) i);
            assertThat(locator.replicas(h, small, 3)).isEqualTo(3);
            assertThat(locator.replicas(h, all, 12)).isEqualTo(12);
            assertThat(small[0]).isSameAs(locator.locate(h));
            assertThat(new HashSet<>(List.of(all))).hasSize(12);
            assertThat(List.of(all).subList(0, 3)).containsExactly(small);
        }
    }

    @Test
    void replicasGoToDistinctZonesFirst() {
        L locator = locatorOf(zonedNodes());
        int zones = (int) locator.nodes().stream().map(Node::zone).distinct().count();
        assertThat(zones).as("zones in zonedNodes()").isGreaterThan(2);
        int n = Math.min(locator.size(), zones + 2);
        Node[] out = new Node[n];
        for (int i = 0; i < 20_000; i++) {
            long h = HASHER.hash((long) i);
            locator.replicas(h, out, n);
            Set<String> firstZones = new HashSet<>();
            for (int k = 0; k < zones; k++) {
                firstZones.add(out[k].zone());
            }
            assertThat(firstZones).as("zones of the first %d of %s", zones, Arrays.asList(out)).hasSize(zones);
            assertThat(new HashSet<>(List.of(out))).hasSize(n);
            assertThat(out[0]).isSameAs(locator.locate(h));
        }
    }

    @Test
    void lookupsAllocateNothing() {
        for (L locator : List.of(locatorOf(zonedNodes()), locatorOf(typicalNodes(100)))) {
            Node[] out = new Node[3];
            long sink = 0;
            for (int warm = 0; warm < 3; warm++) {
                long before = allocatedBytes();
                for (int i = 0; i < 50_000; i++) {
                    sink += locator.locate((long) i * HashRing.GOLDEN).hashCode();
                    sink += locator.replicas((long) i * HashRing.GOLDEN, out, 3);
                }
                long allocated = allocatedBytes() - before;
                if (warm == 2) {
                    // Measurement noise only: a single allocation per call would be megabytes.
                    assertThat(allocated).as("bytes allocated by 100,000 lookups on %s", locator).isLessThan(4096);
                }
            }
            assertThat(sink).isNotZero();
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Identity

    @Test
    void fingerprintFollowsEveryPlacementInput() {
        List<Node> nodes = typicalNodes(20);
        L base = locatorOf(nodes);
        assertThat(locatorOf(nodes).fingerprint()).isEqualTo(base.fingerprint());
        assertThat(locatorOf(nodes, new XxHash64(7)).fingerprint()).isNotEqualTo(base.fingerprint());
        Node extra = typicalNodes(21).get(20);
        assertThat(with(base, extra).fingerprint()).isNotEqualTo(base.fingerprint());
        L restored = without(with(base, extra), extra.id());
        assertThat(restored.fingerprint()).isEqualTo(base.fingerprint());
        for (int i = 0; i < 1_000; i++) {
            long h = HASHER.hash((long) i);
            assertThat(restored.locate(h)).as("owner of key %d after an undone change", i).isEqualTo(base.locate(h));
        }
        Node third = nodes.get(3);
        Node rezoned = Node.of(third.id(), third.weight(), "rack-a");
        assertThat(with(without(base, third.id()), rezoned).fingerprint()).isNotEqualTo(base.fingerprint());
    }

    @Test
    void inputOrderMattersOnlyWhereTheAlgorithmSaysSo() {
        List<Node> nodes = typicalNodes(20);
        List<Node> shuffled = new ArrayList<>(nodes);
        Collections.shuffle(shuffled, new Random(5));
        L a = locatorOf(nodes);
        L b = locatorOf(shuffled);
        assertThat(b.nodes()).containsExactlyElementsOf(a.nodes());
        if (!ignoresInputOrder()) {
            assertThat(b.fingerprint()).isNotEqualTo(a.fingerprint());
            return;
        }
        assertThat(b.fingerprint()).isEqualTo(a.fingerprint());
        for (int i = 0; i < 2_000; i++) {
            long h = HASHER.hash((long) i);
            assertThat(b.locate(h)).as("owner of key %d", i).isSameAs(a.locate(h));
        }
    }

    @Test
    void nodesAreSortedByIdAndKeysAreHashedWithTheLocatorsHasher() {
        L locator = locatorOf(typicalNodes(12));
        assertThat(locator.nodes()).isSortedAccordingTo(NodeList::compareIds);
        assertThat(locator.size()).isEqualTo(12);
        assertThat(locator.hasher()).isSameAs(HASHER);
        assertThat(locator.locate("some key")).isSameAs(locator.locate(HASHER.hash("some key")));
        assertThat(locator.locate(new byte[] {1, 2, 3})).isSameAs(locator.locate(HASHER.hash(new byte[] {1, 2, 3})));
    }

    // ----------------------------------------------------------------------------------------------
    // Bad input

    @Test
    void rejectsMalformedMembership() {
        assertThatThrownBy(() -> locatorOf(null)).isInstanceOf(InvalidNodeException.class)
                .hasMessage("nodes must not be null");
        assertThatThrownBy(() -> locatorOf(Arrays.asList(Node.of("a"), null))).isInstanceOf(InvalidNodeException.class)
                .hasMessage("nodes must not contain null");
        // Same id, other zone: membership is by id.
        assertThatThrownBy(() -> locatorOf(List.of(Node.of("a"), Node.of("b"), Node.of("a", 1, "elsewhere"))))
                .isInstanceOf(DuplicateNodeException.class).hasMessage("node id 'a' appears more than once");
        assertThatThrownBy(() -> locatorOf(typicalNodes(2), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("hasher must not be null");
        L locator = locatorOf(typicalNodes(3));
        assertThatThrownBy(() -> with(locator, null)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> with(locator, Node.of("node-1", 1, "elsewhere")))
                .isInstanceOf(DuplicateNodeException.class).hasMessageEndingWith(" already contains node 'node-1'");
        assertThatThrownBy(() -> without(locator, "nope")).isInstanceOf(UnknownNodeException.class)
                .hasMessageEndingWith(" has no node 'nope'");
        assertThatThrownBy(() -> without(locator, null)).isInstanceOf(UnknownNodeException.class)
                .hasMessage("node id must not be null");
    }

    @Test
    void rejectsBadReplicaRequestsAndEmptyLookups() {
        L locator = locatorOf(typicalNodes(3));
        assertThatThrownBy(() -> locator.replicas(1, new Node[4], 4)).isInstanceOf(NotEnoughNodesException.class)
                .hasMessage("replica count must be between 1 and the number of nodes (3), was 4");
        assertThatThrownBy(() -> locator.replicas(1, new Node[4], 0)).isInstanceOf(NotEnoughNodesException.class);
        assertThatThrownBy(() -> locator.replicas(1, new Node[4], -1)).isInstanceOf(NotEnoughNodesException.class);
        assertThatThrownBy(() -> locator.replicas(1, new Node[1], 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("output buffer must hold at least 2 nodes, has 1");
        assertThatThrownBy(() -> locator.replicas(1, null, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("output buffer must hold at least 2 nodes, has none (null)");
        L empty = locatorOf(List.of());
        assertThat(empty.size()).isZero();
        assertThat(empty.nodes()).isEmpty();
        assertThatThrownBy(() -> empty.locate(1L)).isInstanceOf(EmptyRingException.class)
                .hasMessageEndingWith(" has no nodes; add a node before looking up keys");
        assertThatThrownBy(() -> empty.replicas(1L, new Node[1], 1)).isInstanceOf(EmptyRingException.class);
        L emptied = without(locatorOf(List.of(Node.of("only"))), "only");
        assertThatThrownBy(() -> emptied.locate("k")).isInstanceOf(EmptyRingException.class);
    }

    // ----------------------------------------------------------------------------------------------
    // Shared helpers

    /** {@code node-0 .. node-(count-1)}, weight 1, no zone. */
    static List<Node> numberedNodes(int count) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(Node.of("node-" + i));
        }
        return nodes;
    }

    /** {@code node-0 .. node-(count-1)} with weights 1, 1.5, 2, 2.5, 1, ... and no zone. */
    static List<Node> weightedNodes(int count) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(Node.of("node-" + i, 1 + (i % 4) * 0.5));
        }
        return nodes;
    }

    /** The number {@code i} of a node named {@code node-i}. */
    static int index(Node node) {
        return Integer.parseInt(node.id().substring("node-".length()));
    }

    /** How many of the keys {@code xxh64(0 .. keys-1)} each node {@code node-i} owns, by {@code i}. */
    static int[] keysPerNode(NodeLocator locator, int keys) {
        int[] counts = new int[locator.size()];
        for (int i = 0; i < keys; i++) {
            counts[index(locator.locate(HASHER.hash((long) i)))]++;
        }
        return counts;
    }

    /**
     * Checks that equal nodes {@code node-i} receive equal shares of {@code keys} keys: every count within
     * {@code maxDeviation} of the mean (relative), and the chi-square statistic against equal shares
     * below {@code chiSquareBound}. The caller derives both bounds from the binomial spread.
     */
    static void assertEqualShares(NodeLocator locator, int keys, double maxDeviation, double chiSquareBound) {
        int[] counts = keysPerNode(locator, keys);
        double mean = (double) keys / counts.length;
        double chiSquare = 0;
        for (int i = 0; i < counts.length; i++) {
            chiSquare += (counts[i] - mean) * (counts[i] - mean) / mean;
            assertThat(counts[i] / mean).as("keys of node-%d over the mean", i)
                    .isBetween(1 - maxDeviation, 1 + maxDeviation);
        }
        assertThat(chiSquare).as("chi-square of %d nodes", counts.length).isLessThan(chiSquareBound);
    }

    /**
     * Checks that every one of {@code keys} keys either kept its owner from {@code before} to
     * {@code after} or moved to {@code added}; returns how many moved.
     */
    static int keysMovedOnlyTo(Node added, NodeLocator before, NodeLocator after, int keys) {
        int moved = 0;
        for (int i = 0; i < keys; i++) {
            long h = HASHER.hash((long) i);
            Node was = before.locate(h);
            Node is = after.locate(h);
            if (was != is) {
                assertThat(is).as("new owner of key %d", i).isSameAs(added);
                moved++;
            }
        }
        return moved;
    }

    /** Checks that of {@code keys} keys only those owned by {@code removedId} change owner. */
    static void assertOnlyKeysOf(String removedId, NodeLocator before, NodeLocator after, int keys) {
        for (int i = 0; i < keys; i++) {
            long h = HASHER.hash((long) i);
            Node was = before.locate(h);
            if (!was.id().equals(removedId)) {
                assertThat(after.locate(h)).as("owner of key %d after removing %s", i, removedId).isSameAs(was);
            }
        }
    }

    /** Of {@code keys} keys, how many lose more than one of their {@code n} replicas from before to after. */
    static int replicaSetsChangedByMoreThanOneNode(NodeLocator before, NodeLocator after, int n, int keys) {
        Node[] was = new Node[n];
        Node[] is = new Node[n];
        int changed = 0;
        for (int i = 0; i < keys; i++) {
            long h = HASHER.hash((long) i);
            before.replicas(h, was, n);
            after.replicas(h, is, n);
            Set<String> lost = ids(was);
            lost.removeAll(ids(is));
            if (lost.size() > 1) {
                changed++;
            }
        }
        return changed;
    }

    /** The owners of {@code "key-0" .. "key-11"}, for pinned placement vectors. */
    static List<String> ownersOf(NodeLocator locator) {
        List<String> owners = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            owners.add(locator.locate("key-" + i).id());
        }
        return owners;
    }

    static Set<String> ids(Node[] nodes) {
        Set<String> ids = new HashSet<>();
        for (Node n : nodes) {
            ids.add(n.id());
        }
        return ids;
    }

    static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
