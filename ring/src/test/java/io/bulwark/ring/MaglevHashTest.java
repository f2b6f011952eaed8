package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * {@link MaglevHash}: the table equals the paper's {@code POPULATE} procedure (Eisenbud et al. 2016,
 * pseudocode 1) run on explicit permutation arrays, pinned placement, near-perfect balance, the
 * documented (non-minimal) movement with an explicit bound and table-size rules, on top of the
 * {@link NodeLocatorContract}.
 *
 * <p>Keys are {@code xxh64(i)} for {@code i = 0, 1, ...}: seeded and reproducible, so every statistical
 * bound below is a fixed check, chosen at 5 standard deviations or more.
 */
class MaglevHashTest extends NodeLocatorContract<MaglevHash> {

    MaglevHashTest() {
        super((nodes, hasher) -> MaglevHash.of(nodes, MaglevHash.DEFAULT_TABLE_SIZE, hasher), MaglevHash::with,
                MaglevHash::without);
    }

    // ----------------------------------------------------------------------------------------------
    // The placement rule

    /**
     * The paper's POPULATE with the permutation table written out ({@code permutation[i][j] =
     * (offset + j * skip) mod M}), plus the weighted turn rule of the class description.
     */
    private static int[] populate(List<Node> nodes, int m) {
        List<Node> sorted = new ArrayList<>(nodes);
        sorted.sort(NodeList::compareIds);
        int n = sorted.size();
        int[][] permutation = new int[n][m];
        double maxWeight = sorted.stream().mapToDouble(Node::weight).max().orElseThrow();
        for (int i = 0; i < n; i++) {
            long seed = HASHER.hash(sorted.get(i).id().getBytes(StandardCharsets.UTF_8));
            long offset = Long.remainderUnsigned(HashRing.mix64(seed + HashRing.GOLDEN), m);
            long skip = Long.remainderUnsigned(HashRing.mix64(seed + 2 * HashRing.GOLDEN), m - 1) + 1;
            for (int j = 0; j < m; j++) {
                permutation[i][j] = (int) ((offset + (long) j * skip) % m);
            }
        }
        int[] next = new int[n];
        long[] taken = new long[n];
        int[] entry = new int[m];
        Arrays.fill(entry, -1);
        int filled = 0;
        for (long round = 0; ; round++) {
            for (int i = 0; i < n; i++) {
                if (round * (sorted.get(i).weight() / maxWeight) < taken[i]) {
                    continue;
                }
                taken[i]++;
                int c = permutation[i][next[i]];
                while (entry[c] >= 0) {
                    next[i]++;
                    c = permutation[i][next[i]];
                }
                entry[c] = i;
                next[i]++;
                if (++filled == m) {
                    return entry;
                }
            }
        }
    }

    /** The owner of every slot, read through {@link MaglevHash#locate(long)} with a key aimed at each slot. */
    private static Node[] tableOf(MaglevHash maglev) {
        int m = maglev.tableSize();
        Node[] owners = new Node[m];
        for (int j = 0; j < m; j++) {
            // The smallest top-32-bit value whose multiply-shift lands on slot j.
            long top = ((long) j << 32) / m + (((long) j << 32) % m == 0 ? 0 : 1);
            owners[j] = maglev.locate(top << 32);
        }
        return owners;
    }

    @Test
    void tableEqualsThePapersPopulateProcedure() {
        Random random = new Random(11);
        List<Node> weighted = new ArrayList<>();
        for (int i = 0; i < 9; i++) {
            weighted.add(Node.of("node-" + i, 0.5 + random.nextInt(8) * 0.5));
        }
        for (List<Node> nodes : List.of(numberedNodes(7), weighted, numberedNodes(60))) {
            for (int m : new int[] {61, 1009, 4093}) {
                if (m < nodes.size()) {
                    continue;
                }
                MaglevHash maglev = MaglevHash.of(nodes, m);
                int[] expected = populate(nodes, m);
                Node[] actual = tableOf(maglev);
                for (int j = 0; j < m; j++) {
                    assertThat(actual[j]).as("slot %d of %s", j, maglev).isSameAs(maglev.nodes().get(expected[j]));
                }
            }
        }
    }

    /** Pinned output of {@code maglev/1}: placement and fingerprint never change silently. */
    @Test
    void placementIsPinned() {
        List<Node> equal = List.of(Node.of("alpha"), Node.of("bravo"), Node.of("charlie"), Node.of("delta"),
                Node.of("echo"));
        List<Node> weighted = List.of(Node.of("alpha", 1, "z1"), Node.of("bravo", 2, "z1"),
                Node.of("charlie", 3, "z2"), Node.of("delta", 0.5, "z2"), Node.of("echo", 1, "z3"));
        assertThat(ownersOf(MaglevHash.of(equal))).containsExactly("delta", "delta", "echo", "echo", "delta",
                "charlie", "bravo", "charlie", "alpha", "alpha", "charlie", "alpha");
        assertThat(ownersOf(MaglevHash.of(weighted))).containsExactly("echo", "bravo", "charlie", "charlie",
                "bravo", "charlie", "bravo", "charlie", "alpha", "alpha", "charlie", "alpha");
        assertThat(ownersOf(MaglevHash.of(equal, 101))).containsExactly("bravo", "charlie", "echo", "alpha",
                "alpha", "alpha", "bravo", "alpha", "alpha", "delta", "bravo", "alpha");
        assertThat(MaglevHash.of(equal).fingerprint()).isEqualTo(0x38503484b2778962L);
        assertThat(MaglevHash.of(weighted).fingerprint()).isEqualTo(0x6ff49b0e3db4a53aL);
        assertThat(MaglevHash.of(equal, 101).fingerprint()).isEqualTo(0xe6950a3ab25c24c5L);
        Node[] out = new Node[3];
        MaglevHash.of(weighted).replicas(HASHER.hash("key-0"), out, 3);
        assertThat(out).extracting(Node::id).containsExactly("echo", "delta", "alpha");
    }

    @Test
    void inputOrderDoesNotMatterToTheTableAndFingerprintCoversTableSizeAndWeights() {
        List<Node> nodes = numberedNodes(20);
        List<Node> shuffled = new ArrayList<>(nodes);
        Collections.shuffle(shuffled, new Random(5));
        MaglevHash a = MaglevHash.of(nodes);
        assertThat(tableOf(MaglevHash.of(shuffled))).containsExactly(tableOf(a));
        assertThat(MaglevHash.of(nodes, 65_521).fingerprint()).isNotEqualTo(a.fingerprint());
        assertThat(a.without("node-2").with(Node.of("node-2", 2)).fingerprint()).isNotEqualTo(a.fingerprint());
        assertThat(a.algorithm()).isEqualTo("maglev");
        assertThat(a.tableSize()).isEqualTo(MaglevHash.DEFAULT_TABLE_SIZE);
    }

    // ----------------------------------------------------------------------------------------------
    // Balance

    @Test
    void equalNodesOwnTheFloorOrCeilingOfTheirSlotShare() {
        for (int nodeCount : new int[] {1, 7, 100, 650}) {
            MaglevHash maglev = MaglevHash.of(numberedNodes(nodeCount));
            int m = maglev.tableSize();
            double sum = 0;
            for (double share : maglev.shares()) {
                assertThat(Math.round(share * m)).isBetween((long) (m / nodeCount), (long) (m / nodeCount) + 1);
                sum += share;
            }
            assertThat(sum).isCloseTo(1.0, within(1e-9));
        }
        assertThat(MaglevHash.of(List.of()).shares()).isEmpty();
    }

    /** Weights 0.5 to 4: every node's slot share is within 0.5% of weight/totalWeight. */
    @Test
    void weightedNodesOwnTheirShareOfSlots() {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            nodes.add(Node.of("node-" + i, 0.5 + (i % 8) * 0.5));
        }
        MaglevHash maglev = MaglevHash.of(nodes);
        double total = nodes.stream().mapToDouble(Node::weight).sum();
        double[] shares = maglev.shares();
        for (int i = 0; i < shares.length; i++) {
            Node node = maglev.nodes().get(i);
            assertThat(shares[i] / (node.weight() / total)).as("%s", node).isBetween(0.995, 1.005);
        }
    }

    /**
     * 1,000,000 keys on 100 nodes: slot shares differ by at most 1/655, so counts are Binomial with mean
     * 10,000 and standard deviation 99.5 (plus at most 15 of slot-share difference); 5% is 5 standard
     * deviations. Chi-square (99 degrees of freedom) stays below 170.
     */
    @Test
    void keysAreSpreadWithinStatisticalBounds() {
        assertEqualShares(MaglevHash.of(numberedNodes(100)), 1_000_000, 0.05, 170);
    }

    // ----------------------------------------------------------------------------------------------
    // Movement: not minimal, and how far from it

    /**
     * The documented trade-off: a change moves the keys it must plus a few between nodes that stayed.
     * At 65,537 slots and 20 nodes about 0.3% of keys move between stayed nodes (measured); the bound is
     * 1%, so a regression towards rebuilding-from-scratch behaviour (tens of percent) fails loudly.
     */
    @Test
    void aChangeMovesFewKeysBetweenNodesThatStayed() {
        MaglevHash base = MaglevHash.of(numberedNodes(20));
        Node added = Node.of("node-new");
        MaglevHash grown = base.with(added);
        MaglevHash shrunk = base.without("node-3");
        int keys = 200_000;
        int strayAdd = 0;
        int strayRemove = 0;
        int movedToNew = 0;
        for (int i = 0; i < keys; i++) {
            long h = HASHER.hash((long) i);
            Node was = base.locate(h);
            Node afterAdd = grown.locate(h);
            Node afterRemove = shrunk.locate(h);
            if (afterAdd == added) {
                movedToNew++;
            } else if (afterAdd != was) {
                strayAdd++;
            }
            if (was.id().equals("node-3")) {
                assertThat(afterRemove.id()).isNotEqualTo("node-3");
            } else if (afterRemove != was) {
                strayRemove++;
            }
        }
        assertThat((double) strayAdd / keys).as("moved between stayed nodes on add").isLessThan(0.01);
        assertThat((double) strayRemove / keys).as("moved between stayed nodes on remove").isLessThan(0.01);
        // The new node takes its share: Binomial(200000, 1/21), standard deviation 95; 5 of them is 476.
        assertThat(Math.abs(movedToNew - keys / 21.0)).isLessThan(476);
    }

    // ----------------------------------------------------------------------------------------------
    // Replicas

    /** With as many slots as nodes every node owns exactly one, and the walk still finds all of them. */
    @Test
    void aMinimalTableStillGivesEveryNodeASlot() {
        MaglevHash maglev = MaglevHash.of(numberedNodes(5), 5);
        assertThat(new HashSet<>(List.of(tableOf(maglev)))).hasSize(5);
        Node[] out = new Node[5];
        maglev.replicas(42L, out, 5);
        assertThat(new HashSet<>(List.of(out))).hasSize(5);
    }

    // ----------------------------------------------------------------------------------------------
    // Table size

    @Test
    void recommendedTableSizeIsAPrimeOfAboutAHundredSlotsPerNode() {
        assertThat(MaglevHash.recommendedTableSize(0)).isEqualTo(65_537);
        assertThat(MaglevHash.recommendedTableSize(655)).isEqualTo(65_537);
        assertThat(MaglevHash.recommendedTableSize(1_000)).isEqualTo(100_003);
        assertThat(MaglevHash.recommendedTableSize(10_000)).isEqualTo(1_000_003);
        assertThat(MaglevHash.recommendedTableSize(MaglevHash.MAX_NODES)).isLessThanOrEqualTo(MaglevHash.MAX_TABLE_SIZE);
        assertThatThrownBy(() -> MaglevHash.recommendedTableSize(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThat(MaglevHash.isPrime(2)).isTrue();
        assertThat(MaglevHash.isPrime(65_537)).isTrue();
        assertThat(MaglevHash.isPrime(65_535)).isFalse();
        assertThat(MaglevHash.isPrime(1)).isFalse();
    }

    @Test
    void rejectsTableSizesThatAreNotAllowed() {
        List<Node> five = numberedNodes(5);
        assertThatThrownBy(() -> MaglevHash.of(five, 65_536)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("prime").hasMessageContaining("65536");
        assertThatThrownBy(() -> MaglevHash.of(five, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MaglevHash.of(five, -7)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MaglevHash.of(five, 16_777_259)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(String.valueOf(MaglevHash.MAX_TABLE_SIZE));
        assertThatThrownBy(() -> MaglevHash.of(five, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("smaller than the number of nodes (5)");
        MaglevHash full = MaglevHash.of(numberedNodes(3), 3);
        assertThatThrownBy(() -> full.with(Node.of("node-3"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("smaller than the number of nodes (4)");
    }
}
