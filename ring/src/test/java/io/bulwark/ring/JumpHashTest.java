package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link JumpHash}: the published algorithm's output, balance with explicit statistical bounds, minimal
 * movement when a bucket is appended or the last one removed, the cost of removing from the middle,
 * replica distinctness and zone spread, and bad input.
 *
 * <p>Keys are {@code xxh64(i)} for {@code i = 0, 1, ...}: seeded and reproducible, so every bound below
 * is a fixed check, chosen at 5 standard deviations or more.
 */
class JumpHashTest {

    private static final KeyHasher HASHER = KeyHashers.defaultHasher();

    // ----------------------------------------------------------------------------------------------
    // The published algorithm

    /**
     * (key, buckets, bucket) from the paper's C++ {@code JumpConsistentHash} (Lamping &amp; Veach 2014,
     * figure 1) compiled with g++ -O2, and identical to Guava 33.5's {@code Hashing.consistentHash}.
     */
    private static final long[][] GOLDEN = {
            {0L, 1, 0}, {0L, 1000, 0}, {0L, 2147483647, 0},
            {1L, 10, 6}, {1L, 100, 55}, {1L, 1000, 549}, {1L, 65535, 21134}, {1L, 2147483647, 262355607},
            {2L, 10, 6}, {2L, 100, 62}, {2L, 1000, 338}, {2L, 65535, 3927}, {2L, 2147483647, 736532115},
            {0xDEADBEEFL, 2, 1}, {0xDEADBEEFL, 3, 2}, {0xDEADBEEFL, 10, 5}, {0xDEADBEEFL, 100, 87},
            {0xDEADBEEFL, 1000, 285}, {0xDEADBEEFL, 65535, 64244}, {0xDEADBEEFL, 2147483647, 1452406526},
            {-1L, 2, 1}, {-1L, 10, 9}, {-1L, 100, 92}, {-1L, 1000, 313}, {-1L, 65535, 18311},
            {-1L, 2147483647, 699554662},
            {0x8000000000000000L, 3, 1}, {0x8000000000000000L, 100, 84}, {0x8000000000000000L, 65535, 53854},
            {1234567890123456789L, 10, 9}, {1234567890123456789L, 1000, 888},
            {1234567890123456789L, 2147483647, 542643565},
            {0x9E3779B97F4A7C15L, 10, 3}, {0x9E3779B97F4A7C15L, 65535, 56183},
            {0x0123456789ABCDEFL, 10, 0}, {0x0123456789ABCDEFL, 100, 57}, {0x0123456789ABCDEFL, 1000, 194},
            {0x0123456789ABCDEFL, 65535, 33301}, {0x0123456789ABCDEFL, 2147483647, 1651575352},
    };

    @Test
    void bucketMatchesThePublishedAlgorithm() {
        for (long[] v : GOLDEN) {
            assertThat(JumpHash.bucket(v[0], (int) v[1]))
                    .as("bucket(%016x, %d)", v[0], v[1])
                    .isEqualTo((int) v[2]);
        }
    }

    /**
     * 200,000 SplitMix64 keys with bucket counts in [1, 100000]; the checksum {@code sum = sum * 31 + bucket}
     * was computed by the paper's C++ over the same sequence.
     */
    @Test
    void bulkChecksumMatchesThePublishedAlgorithm() {
        long state = 42;
        long sum = 0;
        for (int i = 0; i < 200_000; i++) {
            state += HashRing.GOLDEN;
            long z = HashRing.mix64(state);
            int buckets = 1 + (int) Long.remainderUnsigned(z >>> 40, 100_000);
            sum = sum * 31 + JumpHash.bucket(z, buckets);
        }
        assertThat(sum).isEqualTo(0x19d6113843cb4d84L);
    }

    @Property(tries = 500)
    void growingByOneBucketMovesKeysOnlyToTheNewBucket(@ForAll long key, @ForAll @IntRange(min = 1, max = 100_000) int buckets) {
        int before = JumpHash.bucket(key, buckets);
        int after = JumpHash.bucket(key, buckets + 1);
        assertThat(before).isBetween(0, buckets - 1);
        assertThat(after).isIn(before, buckets);
    }

    @Test
    void locateReturnsTheNodeAtTheJumpBucket() {
        List<Node> nodes = nodes(37);
        JumpHash jump = JumpHash.of(nodes);
        for (int i = 0; i < 10_000; i++) {
            long h = HASHER.hash((long) i);
            assertThat(jump.locate(h)).isSameAs(nodes.get(JumpHash.bucket(h, 37)));
        }
        assertThat(jump.locate("some key")).isSameAs(jump.locate(HASHER.hash("some key")));
        assertThat(jump.locate(new byte[] {1, 2, 3})).isSameAs(jump.locate(HASHER.hash(new byte[] {1, 2, 3})));
    }

    // ----------------------------------------------------------------------------------------------
    // Identity

    @Test
    void equalInputsGiveEqualPlacementAndFingerprint() {
        JumpHash a = JumpHash.of(nodes(20));
        JumpHash b = JumpHash.of(nodes(20));
        assertThat(a.fingerprint()).isEqualTo(b.fingerprint());
        for (int i = 0; i < 1_000; i++) {
            long h = HASHER.hash((long) i);
            assertThat(a.locate(h)).isEqualTo(b.locate(h));
        }
        assertThat(a.algorithm()).isEqualTo("jump");
        assertThat(a.hasher()).isSameAs(HASHER);
    }

    @Test
    void fingerprintCoversOrderHasherAndZones() {
        List<Node> nodes = nodes(5);
        List<Node> reversed = new ArrayList<>(nodes);
        Collections.reverse(reversed);
        List<Node> zoned = new ArrayList<>(nodes);
        zoned.set(2, Node.of(nodes.get(2).id(), 1, "rack-1"));
        long base = JumpHash.of(nodes).fingerprint();
        assertThat(JumpHash.of(reversed).fingerprint()).isNotEqualTo(base);
        assertThat(JumpHash.of(nodes, new XxHash64(7)).fingerprint()).isNotEqualTo(base);
        assertThat(JumpHash.of(zoned).fingerprint()).isNotEqualTo(base);
        assertThat(JumpHash.of(nodes).with(Node.of("x")).fingerprint()).isNotEqualTo(base);
        // A pinned value: the encoding and jump/1 never change silently.
        assertThat(JumpHash.of(Node.of("alpha"), Node.of("bravo"), Node.of("charlie"), Node.of("delta"),
                Node.of("echo")).fingerprint()).isEqualTo(0xda702fd69b8503ecL);
    }

    @Test
    void nodesAreSortedByIdAndBucketsKeepTheGivenOrder() {
        List<Node> given = List.of(Node.of("c"), Node.of("a"), Node.of("b"));
        JumpHash jump = JumpHash.of(given);
        assertThat(jump.buckets()).containsExactlyElementsOf(given);
        assertThat(jump.nodes()).extracting(Node::id).containsExactly("a", "b", "c");
        assertThat(jump.size()).isEqualTo(3);
        assertThat(jump.contains("a")).isTrue();
        assertThat(jump.contains("z")).isFalse();
        assertThat(jump.contains(null)).isFalse();
    }

    // ----------------------------------------------------------------------------------------------
    // Balance

    /**
     * 1,000,000 keys on 100 buckets: each count is Binomial(10^6, 0.01), mean 10,000 and standard
     * deviation 99.5, so 5% is 5 standard deviations; chi-square has 99 degrees of freedom (mean 99,
     * standard deviation 14.1) and 170 is 5 standard deviations above its mean.
     */
    @Test
    void bucketsReceiveEqualSharesWithinStatisticalBounds() {
        int nodeCount = 100;
        int keys = 1_000_000;
        JumpHash jump = JumpHash.of(nodes(nodeCount));
        int[] counts = new int[nodeCount];
        for (int i = 0; i < keys; i++) {
            counts[index(jump.locate(HASHER.hash((long) i)))]++;
        }
        double mean = (double) keys / nodeCount;
        double chiSquare = 0;
        int max = 0;
        int min = Integer.MAX_VALUE;
        for (int c : counts) {
            chiSquare += (c - mean) * (c - mean) / mean;
            max = Math.max(max, c);
            min = Math.min(min, c);
        }
        assertThat(max / mean).isLessThanOrEqualTo(1.05);
        assertThat(min / mean).isGreaterThanOrEqualTo(0.95);
        assertThat(chiSquare).isLessThan(170);
    }

    // ----------------------------------------------------------------------------------------------
    // Movement

    /** Appending to 50 buckets moves each key to bucket 50 with probability 1/51 and nowhere else. */
    @Test
    void appendingANodeMovesKeysOnlyToIt() {
        JumpHash before = JumpHash.of(nodes(50));
        Node added = Node.of("node-new");
        JumpHash after = before.with(added);
        assertThat(after.buckets().get(50)).isSameAs(added);
        int keys = 200_000;
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
        // Binomial(200000, 1/51): standard deviation 62 keys; 5 standard deviations is 310.
        assertThat(Math.abs(moved - keys / 51.0)).isLessThan(310);
    }

    @Test
    void removingTheLastNodeMovesOnlyItsKeys() {
        List<Node> nodes = nodes(30);
        JumpHash before = JumpHash.of(nodes);
        JumpHash after = before.without(nodes.get(29).id());
        for (int i = 0; i < 100_000; i++) {
            long h = HASHER.hash((long) i);
            Node was = before.locate(h);
            if (was != nodes.get(29)) {
                assertThat(after.locate(h)).isSameAs(was);
            }
        }
    }

    /**
     * The documented cost: removing bucket {@code x} of {@code n} renumbers every later bucket. Keys in
     * buckets {@code x .. n-2} move, and keys of bucket {@code n-1} stay only if they land on {@code n-2}:
     * expected moved fraction {@code (n-1-x)/n + (n-2)/(n(n-1))}.
     */
    @Test
    void removingFromTheMiddleRenumbersLaterBuckets() {
        int n = 10;
        List<Node> nodes = nodes(n);
        JumpHash before = JumpHash.of(nodes);
        for (int x : new int[] {0, 5}) {
            JumpHash after = before.without(nodes.get(x).id());
            int keys = 100_000;
            int moved = 0;
            for (int i = 0; i < keys; i++) {
                long h = HASHER.hash((long) i);
                if (before.locate(h) != after.locate(h)) {
                    moved++;
                }
            }
            double expected = (n - 1.0 - x) / n + (n - 2.0) / (n * (n - 1.0));
            // Standard deviation at most 0.0016; 0.01 is over 6 of them.
            assertThat((double) moved / keys).as("removing bucket %d", x).isCloseTo(expected, within(0.01));
        }
    }

    /**
     * Each replica candidate either stays or becomes the appended bucket, so a replica set changes by
     * more than one node only when two of its candidates move together: about (3/31)^2 of keys at most.
     */
    @Test
    void appendingANodeChangesAReplicaSetByAtMostOneNodeAlmostAlways() {
        JumpHash before = JumpHash.of(nodes(30));
        Node added = Node.of("node-new");
        JumpHash after = before.with(added);
        Node[] was = new Node[3];
        Node[] is = new Node[3];
        int keys = 100_000;
        int changedByMore = 0;
        for (int i = 0; i < keys; i++) {
            long h = HASHER.hash((long) i);
            before.replicas(h, was, 3);
            after.replicas(h, is, 3);
            Set<Node> lost = new HashSet<>(List.of(was));
            List.of(is).forEach(lost::remove);
            if (lost.size() > 1) {
                changedByMore++;
            }
        }
        assertThat((double) changedByMore / keys).isLessThan(0.01);
    }

    // ----------------------------------------------------------------------------------------------
    // Replicas

    @Test
    void replicasAreDistinctPrimaryFirstAndPrefixesOfLargerSets() {
        JumpHash jump = JumpHash.of(nodes(12));
        Node[] small = new Node[3];
        Node[] all = new Node[12];
        for (int i = 0; i < 5_000; i++) {
            long h = HASHER.hash((long) i);
            assertThat(jump.replicas(h, small, 3)).isEqualTo(3);
            jump.replicas(h, all, 12);
            assertThat(small[0]).isSameAs(jump.locate(h));
            assertThat(new HashSet<>(List.of(all))).hasSize(12);
            assertThat(List.of(all).subList(0, 3)).containsExactly(small);
        }
    }

    /** Re-jumping spreads a node's second copies over every other node, not onto its list neighbour. */
    @Test
    void secondReplicasOfOneNodeSpreadOverAllOthers() {
        int n = 20;
        List<Node> nodes = nodes(n);
        JumpHash jump = JumpHash.of(nodes);
        int[] second = new int[n];
        Node[] out = new Node[2];
        int ofNodeZero = 0;
        for (int i = 0; i < 400_000; i++) {
            long h = HASHER.hash((long) i);
            jump.replicas(h, out, 2);
            if (out[0] == nodes.get(0)) {
                ofNodeZero++;
                second[index(out[1])]++;
            }
        }
        // About 20,000 keys on node 0, so about 1,053 second copies on each of the 19 others
        // (standard deviation about 32): every one gets at least 800.
        assertThat(second[0]).isZero();
        for (int j = 1; j < n; j++) {
            assertThat(second[j]).as("second copies on node %d of %d keys", j, ofNodeZero).isGreaterThan(800);
        }
    }

    @Test
    void replicasGoToDistinctZonesFirst() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            nodes.add(Node.of("node-" + i, 1, "zone-" + (i % 3)));
        }
        // An uneven fourth zone with one node: reached by the sweep when re-jumping misses it.
        nodes.add(Node.of("node-9", 1, "zone-3"));
        JumpHash jump = JumpHash.of(nodes);
        Node[] out = new Node[6];
        for (int i = 0; i < 20_000; i++) {
            long h = HASHER.hash((long) i);
            jump.replicas(h, out, 6);
            Set<String> firstZones = new HashSet<>();
            for (int k = 0; k < 4; k++) {
                firstZones.add(out[k].zone());
            }
            assertThat(firstZones).hasSize(4);
            assertThat(new HashSet<>(List.of(out))).hasSize(6);
            assertThat(out[0]).isSameAs(jump.locate(h));
        }
    }

    @Test
    void lookupsAllocateNothing() {
        JumpHash jump = JumpHash.of(nodes(100));
        Node[] out = new Node[3];
        long sink = 0;
        for (int warm = 0; warm < 3; warm++) {
            long before = allocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                sink += jump.locate((long) i * HashRing.GOLDEN).hashCode();
                jump.replicas((long) i * HashRing.GOLDEN, out, 3);
            }
            long allocated = allocatedBytes() - before;
            if (warm == 2) {
                // Measurement noise only: a single allocation per call would be megabytes.
                assertThat(allocated).as("bytes allocated by 200,000 lookups").isLessThan(4096);
            }
        }
        assertThat(sink).isNotZero();
    }

    // ----------------------------------------------------------------------------------------------
    // Bad input

    @Test
    void rejectsWeightsOtherThanOne() {
        assertThatThrownBy(() -> JumpHash.of(List.of(Node.of("a"), Node.of("b", 2))))
                .isInstanceOf(InvalidNodeException.class)
                .hasMessageContaining("'b'").hasMessageContaining("weight 2.0");
        assertThatThrownBy(() -> JumpHash.of(nodes(3)).with(Node.of("c", 0.5)))
                .isInstanceOf(InvalidNodeException.class);
    }

    @Test
    void rejectsMalformedMembership() {
        assertThatThrownBy(() -> JumpHash.of((List<Node>) null)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> JumpHash.of(Arrays.asList(Node.of("a"), null)))
                .isInstanceOf(InvalidNodeException.class).hasMessageContaining("null");
        assertThatThrownBy(() -> JumpHash.of(List.of(Node.of("a"), Node.of("b"), Node.of("a"))))
                .isInstanceOf(DuplicateNodeException.class).hasMessageContaining("'a'");
        assertThatThrownBy(() -> JumpHash.of(nodes(2), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("hasher");
        JumpHash jump = JumpHash.of(nodes(3));
        assertThatThrownBy(() -> jump.with(null)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> jump.with(Node.of("node-1"))).isInstanceOf(DuplicateNodeException.class);
        assertThatThrownBy(() -> jump.without("nope")).isInstanceOf(UnknownNodeException.class)
                .hasMessageContaining("'nope'");
        assertThatThrownBy(() -> jump.without(null)).isInstanceOf(UnknownNodeException.class);
        assertThatThrownBy(() -> JumpHash.bucket(1, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsBadReplicaRequestsAndEmptyLookups() {
        JumpHash jump = JumpHash.of(nodes(3));
        assertThatThrownBy(() -> jump.replicas(1, new Node[4], 4)).isInstanceOf(NotEnoughNodesException.class)
                .hasMessageContaining("between 1 and the number of nodes (3), was 4");
        assertThatThrownBy(() -> jump.replicas(1, new Node[4], 0)).isInstanceOf(NotEnoughNodesException.class);
        assertThatThrownBy(() -> jump.replicas(1, new Node[1], 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least 2");
        assertThatThrownBy(() -> jump.replicas(1, null, 2)).isInstanceOf(IllegalArgumentException.class);
        JumpHash empty = JumpHash.of(List.of());
        assertThat(empty.size()).isZero();
        assertThatThrownBy(() -> empty.locate(1L)).isInstanceOf(EmptyRingException.class);
        assertThatThrownBy(() -> empty.replicas(1L, new Node[1], 1)).isInstanceOf(EmptyRingException.class);
        JumpHash emptied = JumpHash.of(List.of(Node.of("only"))).without("only");
        assertThatThrownBy(() -> emptied.locate("k")).isInstanceOf(EmptyRingException.class);
    }

    // ----------------------------------------------------------------------------------------------

    private static List<Node> nodes(int count) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            nodes.add(Node.of("node-" + i));
        }
        return nodes;
    }

    private static int index(Node node) {
        return Integer.parseInt(node.id().substring("node-".length()));
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
