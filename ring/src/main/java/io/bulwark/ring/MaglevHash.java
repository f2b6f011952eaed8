package io.bulwark.ring;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/**
 * Maglev hashing (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load Balancer",
 * NSDI 2016, section 3.4) behind {@link NodeLocator}: a lookup table of prime size {@code M} in which
 * every node claims slots in turn along its own permutation. For load balancers and caches where
 * near-perfect balance and a one-load lookup matter more than strictly minimal movement.
 *
 * <h2>Placement rule ({@code maglev/1})</h2>
 * Nodes are taken in id order (unsigned UTF-8). Node {@code i} has seed {@code s_i = hasher.hash(UTF-8 id)},
 * {@code offset_i = mix64(s_i + G) mod M} and {@code skip_i = mix64(s_i + 2G) mod (M - 1) + 1}
 * (unsigned; {@code G = 0x9E3779B97F4A7C15}, {@code mix64} the SplitMix64 finalizer), so its preference
 * list {@code offset_i + j * skip_i mod M} visits every slot. The table is filled in rounds
 * {@code t = 0, 1, 2, ...}: in each round every node, in order, whose {@code t * weight_i / maxWeight >=
 * slotsTaken_i} takes its next free preferred slot, until all {@code M} slots are taken. With equal weights
 * every node takes one slot per round, which is the paper's algorithm; unequal weights follow the same
 * weighting as Envoy's Maglev. A key {@code h} belongs to slot {@code ((h >>> 32) * M) >>> 32}, a
 * multiply-shift in place of the paper's {@code h mod M}.
 *
 * <p>Replicas walk the table from the key's slot ({@code slot, slot + 1, ...}, wrapping, at most {@code M}
 * entries), taking distinct zones first and then distinct nodes, as {@link HashRing} does on its ring.
 * Neighbouring slots belong to unrelated nodes, so a node's replicas spread over all others. Every node
 * owns at least one slot (round 0 gives each one), so the walk always completes. A smaller {@code n}
 * gives a prefix of a larger one.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Balance: near-perfect. With equal weights every node owns {@code floor(M/size)} or
 *       {@code ceil(M/size)} slots, exactly; key counts then vary only by sampling. Weighted nodes own
 *       {@code M * weight/totalWeight} slots to within about one slot per round of rounding.</li>
 *   <li>Movement: <em>not</em> minimal. Adding or removing a node moves the keys it takes or gives up,
 *       and in addition some keys between nodes that both stayed, because the claims of later rounds
 *       shift. The disruption falls as {@code M/size} grows (the paper's section 5.3). Measured
 *       with {@value #DEFAULT_TABLE_SIZE} slots, one node added or removed: about 0.3% of all keys move
 *       between stayed nodes at 20 nodes (the tests bound it at 1%), 0.6% at 100 nodes and 0.8% at 650
 *       nodes, on top of the {@code 1/size} that must move. Choose a table of about 100 times the number of
 *       nodes ({@link #recommendedTableSize(int)}). Use {@link HashRing} or {@link RendezvousHash} when keys
 *       must never move between nodes that stayed.</li>
 *   <li>Cost: {@link #locate(long)} is one multiply and one table load, O(1) and allocation-free;
 *       {@link #replicas} walks a few slots in expectation and allocates nothing. Building (and every
 *       {@link #with}/{@link #without}) fills the whole table: about {@code M ln M} probes with equal
 *       weights (a few milliseconds at the default size), up to {@code M * size} turn checks with very
 *       unequal weights. Memory: 2 bytes per slot
 *       (128 KiB at the default size) plus about 8 bytes per node.</li>
 * </ul>
 *
 * <p>Instances are immutable and thread-safe; {@link #with} and {@link #without} return new instances.
 */
public final class MaglevHash implements NodeLocator {

    /** The algorithm name and placement version that {@link #fingerprint()} commits to. */
    public static final String ALGORITHM_VERSION = "maglev/1";
    /** The paper's table size, a prime: good for up to about 650 nodes at 100 slots per node. */
    public static final int DEFAULT_TABLE_SIZE = 65_537;
    /** Upper bound on the table size (32 MiB of table). */
    public static final int MAX_TABLE_SIZE = 1 << 24;
    /** Upper bound on the number of nodes: slot owners are stored as 16-bit chars, one value kept free. */
    public static final int MAX_NODES = 65_535;

    private static final char FREE = '\uFFFF';
    /** How messages name this locator. */
    private static final String NAME = "maglev hash";

    private final KeyHasher hasher;
    private final int tableSize;
    /** Sorted by the unsigned order of UTF-8 ids; a node's index is its ordinal. */
    private final Node[] nodes;
    /** Owner ordinal of each slot; empty when there are no nodes. */
    private final char[] table;
    private final int[] zoneOf;
    private final int zoneCount;
    private final List<Node> nodeList;
    private final long fingerprint;

    private MaglevHash(KeyHasher hasher, int tableSize, Node[] sorted) {
        this.hasher = hasher;
        this.tableSize = tableSize;
        this.nodes = sorted;
        this.nodeList = Collections.unmodifiableList(Arrays.asList(sorted));
        this.table = sorted.length == 0 ? new char[0] : buildTable(hasher, tableSize, sorted);
        Zones zones = Zones.of(sorted);
        this.zoneOf = zones.numbers;
        this.zoneCount = zones.count;
        this.fingerprint = LocatorFingerprint.of(ALGORITHM_VERSION, hasher, nodeList, tableSize);
    }

    // ----------------------------------------------------------------------------------------------
    // Construction

    /** Maglev over the given nodes with a table of {@value #DEFAULT_TABLE_SIZE} slots and the default hasher. */
    public static MaglevHash of(Node... nodes) {
        return of(NodeList.asList(nodes), DEFAULT_TABLE_SIZE, KeyHashers.defaultHasher());
    }

    /** Maglev over the given nodes with a table of {@value #DEFAULT_TABLE_SIZE} slots and the default hasher. */
    public static MaglevHash of(Collection<Node> nodes) {
        return of(nodes, DEFAULT_TABLE_SIZE, KeyHashers.defaultHasher());
    }

    /** Maglev over the given nodes with the given table size and the default hasher. */
    public static MaglevHash of(Collection<Node> nodes, int tableSize) {
        return of(nodes, tableSize, KeyHashers.defaultHasher());
    }

    /**
     * Maglev over the given nodes; their order does not matter. An empty collection gives a locator
     * whose lookups throw {@link EmptyRingException}.
     *
     * @param tableSize a prime, at least the number of nodes and at most {@value #MAX_TABLE_SIZE}; about
     *                  100 times the number of nodes keeps movement low ({@link #recommendedTableSize})
     * @param hasher    hashes keys and node ids; its id is part of the fingerprint
     * @throws InvalidNodeException     if the collection or a node is null
     * @throws DuplicateNodeException   if two nodes share an id
     * @throws IllegalArgumentException if the table size is not allowed, there are more than
     *                                  {@value #MAX_NODES} nodes, or the hasher is null or malformed
     */
    public static MaglevHash of(Collection<Node> nodes, int tableSize, KeyHasher hasher) {
        KeyHashers.checkHasher(hasher);
        Node[] sorted = NodeList.toArrayWithoutNulls(nodes);
        NodeList.sortUnique(sorted);
        checkTableSize(tableSize, sorted.length);
        return new MaglevHash(hasher, tableSize, sorted);
    }

    /**
     * The smallest prime at least {@code max(DEFAULT_TABLE_SIZE, 100 * nodeCount)}: the table size the
     * paper recommends for low disruption.
     *
     * @throws IllegalArgumentException if {@code nodeCount} is negative or above {@value #MAX_NODES}
     */
    public static int recommendedTableSize(int nodeCount) {
        if (nodeCount < 0 || nodeCount > MAX_NODES) {
            throw new IllegalArgumentException("node count must be between 0 and " + MAX_NODES + ", was " + nodeCount);
        }
        int m = Math.max(DEFAULT_TABLE_SIZE, 100 * nodeCount);
        while (!isPrime(m)) {
            m++;
        }
        return m;
    }

    /**
     * This locator plus {@code node}, with the same table size (the table is rebuilt).
     *
     * @throws DuplicateNodeException   if a node with that id is present
     * @throws InvalidNodeException     if the node is null
     * @throws IllegalArgumentException if the table has fewer slots than the new number of nodes
     */
    public MaglevHash with(Node node) {
        NodeList.requireAbsent(nodes, node, NAME);
        checkTableSize(tableSize, nodes.length + 1);
        return new MaglevHash(hasher, tableSize, NodeList.insertSorted(nodes, node));
    }

    /**
     * This locator without the node with the given id, with the same table size (the table is rebuilt).
     *
     * @throws UnknownNodeException if there is no such node
     */
    public MaglevHash without(String nodeId) {
        int x = NodeList.requireIndex(nodes, nodeId, NAME);
        return new MaglevHash(hasher, tableSize, NodeList.remove(nodes, x));
    }

    // ----------------------------------------------------------------------------------------------
    // Lookups

    @Override
    public String algorithm() {
        return "maglev";
    }

    @Override
    public KeyHasher hasher() {
        return hasher;
    }

    @Override
    public List<Node> nodes() {
        return nodeList;
    }

    @Override
    public int size() {
        return nodes.length;
    }

    /** The number of slots in the lookup table. */
    public int tableSize() {
        return tableSize;
    }

    /** Whether a node with this id is present. */
    public boolean contains(String nodeId) {
        return nodeId != null && NodeList.indexOf(nodes, nodeId) >= 0;
    }

    @Override
    public Node locate(long keyHash) {
        char[] t = table;
        if (t.length == 0) {
            throw EmptyRingException.forLookupOn(NAME);
        }
        return nodes[t[slot(keyHash)]];
    }

    @Override
    public int replicas(long keyHash, Node[] out, int n) {
        ReplicaRequest.check(NAME, nodes.length, out, n);
        char[] t = table;
        int m = tableSize;
        int start = slot(keyHash);
        int k = 0;
        if (zoneCount > 1) {
            int target = Math.min(n, zoneCount);
            long zoneMask = 0;
            int idx = start;
            for (int steps = 0; k < target && steps < m; steps++) {
                int o = t[idx];
                int z = zoneOf[o];
                if (!ReplicaSets.holdsZone(out, k, nodes[o], z, zoneMask)) {
                    if (z < 64) {
                        zoneMask |= 1L << z;
                    }
                    out[k++] = nodes[o];
                }
                if (++idx == m) {
                    idx = 0;
                }
            }
        }
        int idx = start;
        for (int steps = 0; k < n && steps < m; steps++) {
            Node c = nodes[t[idx]];
            if (!ReplicaSets.holds(out, k, c)) {
                out[k++] = c;
            }
            if (++idx == m) {
                idx = 0;
            }
        }
        // Every node owns a slot, so a full walk always finds n <= size distinct nodes.
        assert k == n : "table walk found " + k + " of " + n;
        return n;
    }

    private int slot(long keyHash) {
        return (int) (((keyHash >>> 32) * tableSize) >>> 32);
    }

    /** Each node's fraction of the table's slots, in {@link #nodes()} order; sums to 1 (all zero when empty). */
    public double[] shares() {
        double[] share = new double[nodes.length];
        for (char o : table) {
            share[o]++;
        }
        for (int i = 0; i < share.length; i++) {
            share[i] /= tableSize;
        }
        return share;
    }

    @Override
    public long fingerprint() {
        return fingerprint;
    }

    @Override
    public String toString() {
        return "MaglevHash{nodes=" + nodes.length + ", tableSize=" + tableSize + ", zones=" + zoneCount
                + ", hasher=" + hasher.id() + ", fingerprint=" + String.format("%016x", fingerprint) + "}";
    }

    // ----------------------------------------------------------------------------------------------
    // Table construction (the placement rule in the class description)

    private static char[] buildTable(KeyHasher hasher, int m, Node[] sorted) {
        int count = sorted.length;
        int[] next = new int[count];
        int[] skip = new int[count];
        double[] relative = new double[count];
        long[] taken = new long[count];
        double maxWeight = 0;
        for (Node node : sorted) {
            maxWeight = Math.max(maxWeight, node.weight());
        }
        for (int i = 0; i < count; i++) {
            long seed = hasher.hash(sorted[i].id().getBytes(StandardCharsets.UTF_8));
            next[i] = (int) Long.remainderUnsigned(HashRing.mix64(seed + HashRing.GOLDEN), m);
            skip[i] = (int) Long.remainderUnsigned(HashRing.mix64(seed + 2 * HashRing.GOLDEN), m - 1) + 1;
            // Exactly 1.0 for the heaviest nodes, so with equal weights every node takes every turn.
            relative[i] = sorted[i].weight() / maxWeight;
        }
        char[] table = new char[m];
        Arrays.fill(table, FREE);
        int filled = 0;
        // The heaviest node takes a slot every round, so there are at most m rounds.
        for (long round = 0; filled < m; round++) {
            for (int i = 0; i < count && filled < m; i++) {
                if (round * relative[i] < taken[i]) {
                    continue;
                }
                taken[i]++;
                int c = next[i];
                // skip is in [1, m - 1] and m is prime, so the preference list visits every slot.
                while (table[c] != FREE) {
                    c += skip[i];
                    if (c >= m) {
                        c -= m;
                    }
                }
                table[c] = (char) i;
                c += skip[i];
                next[i] = c >= m ? c - m : c;
                filled++;
            }
        }
        return table;
    }

    // ----------------------------------------------------------------------------------------------
    // Helpers

    private static void checkTableSize(int tableSize, int nodeCount) {
        NodeList.checkCount(nodeCount, MAX_NODES, NAME);
        if (tableSize < 2 || tableSize > MAX_TABLE_SIZE || !isPrime(tableSize)) {
            throw new IllegalArgumentException("maglev table size must be a prime between 2 and " + MAX_TABLE_SIZE
                    + " (default " + DEFAULT_TABLE_SIZE + "), was " + tableSize);
        }
        if (tableSize < nodeCount) {
            throw new IllegalArgumentException("maglev table size " + tableSize + " is smaller than the number of"
                    + " nodes (" + nodeCount + "); every node needs a slot, and about 100 slots per node keep"
                    + " movement low: use recommendedTableSize(" + nodeCount + ") = "
                    + recommendedTableSize(nodeCount));
        }
    }

    /** Trial division; table sizes are at most 2^24, so at most about 2,000 divisions. */
    static boolean isPrime(int m) {
        if (m < 2) {
            return false;
        }
        if (m % 2 == 0) {
            return m == 2;
        }
        for (int d = 3; (long) d * d <= m; d += 2) {
            if (m % d == 0) {
                return false;
            }
        }
        return true;
    }
}
