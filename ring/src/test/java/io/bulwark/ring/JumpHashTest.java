package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link JumpHash}: the published algorithm's output, balance with explicit statistical bounds, minimal
 * movement when a bucket is appended or the last one removed, the cost of removing from the middle,
 * the spread of second replicas and the weight rule, on top of the {@link NodeLocatorContract}.
 *
 * <p>Keys are {@code xxh64(i)} for {@code i = 0, 1, ...}: seeded and reproducible, so every bound below
 * is a fixed check, chosen at 5 standard deviations or more.
 */
class JumpHashTest extends NodeLocatorContract<JumpHash> {

    JumpHashTest() {
        super(JumpHash::of, JumpHash::with, JumpHash::without);
    }

    /** The bucket order is jump hash's placement input. */
    @Override
    boolean ignoresInputOrder() {
        return false;
    }

    /** Jump hash takes weight 1 only. */
    @Override
    List<Node> typicalNodes(int count) {
        return numberedNodes(count);
    }

    /** Three zones of three and an uneven fourth zone of one, reached by the sweep when re-jumping misses it. */
    @Override
    List<Node> zonedNodes() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            nodes.add(Node.of("node-" + i, 1, "zone-" + (i % 3)));
        }
        nodes.add(Node.of("node-9", 1, "zone-3"));
        return nodes;
    }

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

    @Test
    void bucketCountMustBePositive() {
        assertThatThrownBy(() -> JumpHash.bucket(1, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bucket count must be positive, was 0");
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
        List<Node> nodes = numberedNodes(37);
        JumpHash jump = JumpHash.of(nodes);
        for (int i = 0; i < 10_000; i++) {
            long h = HASHER.hash((long) i);
            assertThat(jump.locate(h)).isSameAs(nodes.get(JumpHash.bucket(h, 37)));
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Identity

    @Test
    void fingerprintIsPinned() {
        JumpHash jump = JumpHash.of(Node.of("alpha"), Node.of("bravo"), Node.of("charlie"), Node.of("delta"),
                Node.of("echo"));
        assertThat(jump.algorithm()).isEqualTo("jump");
        // A pinned value: the encoding and jump/1 never change silently.
        assertThat(jump.fingerprint()).isEqualTo(0xda702fd69b8503ecL);
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
        assertEqualShares(JumpHash.of(numberedNodes(100)), 1_000_000, 0.05, 170);
    }

    // ----------------------------------------------------------------------------------------------
    // Movement

    /** Appending to 50 buckets moves each key to bucket 50 with probability 1/51 and nowhere else. */
    @Test
    void appendingANodeMovesKeysOnlyToIt() {
        JumpHash before = JumpHash.of(numberedNodes(50));
        Node added = Node.of("node-new");
        JumpHash after = before.with(added);
        assertThat(after.buckets().get(50)).isSameAs(added);
        int keys = 200_000;
        int moved = keysMovedOnlyTo(added, before, after, keys);
        // Binomial(200000, 1/51): standard deviation 62 keys; 5 standard deviations is 310.
        assertThat(Math.abs(moved - keys / 51.0)).isLessThan(310);
    }

    @Test
    void removingTheLastNodeMovesOnlyItsKeys() {
        JumpHash before = JumpHash.of(numberedNodes(30));
        assertOnlyKeysOf("node-29", before, before.without("node-29"), 100_000);
    }

    /**
     * The documented cost: removing bucket {@code x} of {@code n} renumbers every later bucket. Keys in
     * buckets {@code x .. n-2} move, and keys of bucket {@code n-1} stay only if they land on {@code n-2}:
     * expected moved fraction {@code (n-1-x)/n + (n-2)/(n(n-1))}.
     */
    @Test
    void removingFromTheMiddleRenumbersLaterBuckets() {
        int n = 10;
        List<Node> nodes = numberedNodes(n);
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
        JumpHash before = JumpHash.of(numberedNodes(30));
        JumpHash after = before.with(Node.of("node-new"));
        int keys = 100_000;
        assertThat((double) replicaSetsChangedByMoreThanOneNode(before, after, 3, keys) / keys).isLessThan(0.01);
    }

    // ----------------------------------------------------------------------------------------------
    // Replicas

    /** Re-jumping spreads a node's second copies over every other node, not onto its list neighbour. */
    @Test
    void secondReplicasOfOneNodeSpreadOverAllOthers() {
        int n = 20;
        List<Node> nodes = numberedNodes(n);
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

    // ----------------------------------------------------------------------------------------------
    // Bad input

    @Test
    void rejectsWeightsOtherThanOne() {
        assertThatThrownBy(() -> JumpHash.of(List.of(Node.of("a"), Node.of("b", 2))))
                .isInstanceOf(InvalidNodeException.class)
                .hasMessageContaining("'b'").hasMessageContaining("weight 2.0");
        assertThatThrownBy(() -> JumpHash.of(numberedNodes(3)).with(Node.of("c", 0.5)))
                .isInstanceOf(InvalidNodeException.class);
    }
}
