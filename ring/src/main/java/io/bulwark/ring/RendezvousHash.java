package io.bulwark.ring;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Weighted rendezvous hashing, also called highest-random-weight (HRW) hashing (Thaler &amp; Ravishankar
 * 1998), with the logarithmic weighting of Schindelhauer &amp; Schomaker ("Weighted distributed hash
 * tables", SPAA 2005), behind {@link NodeLocator}: for small clusters where exact proportional shares
 * and minimal movement for <em>any</em> membership change matter more than lookup cost.
 *
 * <h2>Placement rule ({@code rendezvous/1})</h2>
 * Node {@code i} has seed {@code s_i = hasher.hash(UTF-8 id)}. For a pre-hashed key {@code h}:
 * <pre>
 *   x_i     = mix64(h ^ s_i)                                (SplitMix64 finalizer, as in HashRing)
 *   u_i     = ((x_i &gt;&gt;&gt; 12) + 0.5) * 2^-52                  (in (0, 1), never 0 or 1)
 *   score_i = weight_i / -StrictMath.log(u_i)
 * </pre>
 * Nodes are ranked by score (highest first), ties by {@code x_i} as unsigned (highest first), then by id.
 * The owner is the first node; replicas take the best node of each of the best zones first (zones
 * ranked by their best node), then the best remaining nodes, as {@link HashRing} does on its ring. A
 * smaller {@code n} gives a prefix of a larger one.
 *
 * <p>{@code StrictMath} rather than {@code Math}: placement must be bit-identical on every JVM and CPU,
 * and {@code Math.log} may differ in the last bit between platforms. When all weights are equal the
 * score is a non-decreasing function of {@code u_i}, so the ranking is by {@code x_i} alone and no
 * logarithm is taken; with unequal weights, a candidate whose score provably cannot reach the current
 * threshold (using {@code -ln u >= 1 - u}) is skipped without one.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Balance: a node owns exactly {@code weight/totalWeight} of the key space in expectation (the
 *       minimum of independent exponential variables); a node's count of {@code K} keys is binomial, so its
 *       share is within a few {@code sqrt(share/K)} of the target. No virtual nodes.</li>
 *   <li>Movement: minimal for any change. Adding a node moves only keys to it; removing one moves only
 *       its keys; reweighting a node moves keys only to or from it. No key moves between two nodes that
 *       stayed, and without zones a key's replica set changes by at most one node per change.</li>
 *   <li>Cost: {@link #locate(long)} and {@link #replicas} are {@code O(size)} (one 64-bit mix per node,
 *       plus a few logarithms with unequal weights) and allocate nothing; {@code replicas} inserts into
 *       the caller's buffer, {@code O(size + n^2 log size)} expected. {@link #with}/{@link #without} are
 *       {@code O(size log size)}. Memory: under 100 bytes per node besides the node itself.</li>
 * </ul>
 *
 * <p>Instances are immutable and thread-safe; {@link #with}, {@link #without} and {@link #reweighted}
 * return new instances.
 */
public final class RendezvousHash implements NodeLocator {

    /** The algorithm name and placement version that {@link #fingerprint()} commits to. */
    public static final String ALGORITHM_VERSION = "rendezvous/1";
    /** Upper bound on the number of nodes, as for {@link HashRing#MAX_NODES}. */
    public static final int MAX_NODES = 65_535;

    /**
     * Relative slack when skipping a logarithm: covers the few ulps of rounding in the computed score,
     * so that only candidates that lose by a clear margin are skipped and placement equals the full rule.
     */
    private static final double PRUNE_SLACK = 1 + 1e-9;
    /** How messages name this locator. */
    private static final String NAME = "rendezvous hash";

    private final KeyHasher hasher;
    /** Sorted by the unsigned order of UTF-8 ids; a node's index is its ordinal. */
    private final Node[] nodes;
    private final long[] seeds;
    private final double[] weights;
    /** All weights equal: rank by {@code x} alone. */
    private final boolean uniform;
    private final int[] zoneOf;
    private final int zoneCount;
    /** Ordinal of each node object, to re-rank the nodes already in a caller's replica buffer. */
    private final Map<Node, Integer> ordinals;
    private final List<Node> nodeList;
    private final long fingerprint;

    private RendezvousHash(KeyHasher hasher, Node[] sorted) {
        this.hasher = hasher;
        this.nodes = sorted;
        this.nodeList = Collections.unmodifiableList(Arrays.asList(sorted));
        this.seeds = new long[sorted.length];
        this.weights = new double[sorted.length];
        this.ordinals = new IdentityHashMap<>(sorted.length);
        boolean allEqual = true;
        for (int i = 0; i < sorted.length; i++) {
            seeds[i] = hasher.hash(sorted[i].id().getBytes(StandardCharsets.UTF_8));
            weights[i] = sorted[i].weight();
            allEqual &= weights[i] == weights[0];
            ordinals.put(sorted[i], i);
        }
        this.uniform = allEqual;
        Zones zones = Zones.of(sorted);
        this.zoneOf = zones.numbers;
        this.zoneCount = zones.count;
        this.fingerprint = LocatorFingerprint.of(ALGORITHM_VERSION, hasher, nodeList);
    }

    // ----------------------------------------------------------------------------------------------
    // Construction

    /** Rendezvous hashing over the given nodes with the default hasher. */
    public static RendezvousHash of(Node... nodes) {
        return of(NodeList.asList(nodes), KeyHashers.defaultHasher());
    }

    /** Rendezvous hashing over the given nodes with the default hasher. */
    public static RendezvousHash of(Collection<Node> nodes) {
        return of(nodes, KeyHashers.defaultHasher());
    }

    /**
     * Rendezvous hashing over the given nodes; their order does not matter. An empty collection gives a
     * locator whose lookups throw {@link EmptyRingException}.
     *
     * @param hasher hashes keys and node ids; its id is part of the fingerprint
     * @throws InvalidNodeException     if the collection or a node is null
     * @throws DuplicateNodeException   if two nodes share an id
     * @throws IllegalArgumentException if there are more than {@value #MAX_NODES} nodes or the hasher is
     *                                  null or has a malformed id
     */
    public static RendezvousHash of(Collection<Node> nodes, KeyHasher hasher) {
        KeyHashers.checkHasher(hasher);
        Node[] sorted = NodeList.toArrayWithoutNulls(nodes);
        NodeList.checkCount(sorted.length, MAX_NODES, NAME);
        NodeList.sortUnique(sorted);
        return new RendezvousHash(hasher, sorted);
    }

    /**
     * This locator plus {@code node}: only keys that the new node wins move, all to it.
     *
     * @throws DuplicateNodeException if a node with that id is present
     * @throws InvalidNodeException   if the node is null
     */
    public RendezvousHash with(Node node) {
        NodeList.requireAbsent(nodes, node, NAME);
        NodeList.checkCount(nodes.length + 1, MAX_NODES, NAME);
        return new RendezvousHash(hasher, NodeList.insertSorted(nodes, node));
    }

    /**
     * This locator without the node with the given id: only that node's keys move.
     *
     * @throws UnknownNodeException if there is no such node
     */
    public RendezvousHash without(String nodeId) {
        int x = NodeList.requireIndex(nodes, nodeId, NAME);
        return new RendezvousHash(hasher, NodeList.remove(nodes, x));
    }

    /**
     * This locator with the node's weight changed: keys move only to the node (weight raised) or only
     * from it (weight lowered).
     *
     * @throws UnknownNodeException if there is no such node
     * @throws InvalidNodeException if the weight is not allowed (see {@link Node})
     */
    public RendezvousHash reweighted(String nodeId, double weight) {
        int x = NodeList.requireIndex(nodes, nodeId, NAME);
        Node[] next = nodes.clone();
        next[x] = nodes[x].withWeight(weight);
        return new RendezvousHash(hasher, next);
    }

    // ----------------------------------------------------------------------------------------------
    // Lookups

    @Override
    public String algorithm() {
        return "rendezvous";
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

    /** Whether a node with this id is present. */
    public boolean contains(String nodeId) {
        return nodeId != null && NodeList.indexOf(nodes, nodeId) >= 0;
    }

    @Override
    public Node locate(long keyHash) {
        int count = nodes.length;
        if (count == 0) {
            throw EmptyRingException.forLookupOn(NAME);
        }
        long[] seeds = this.seeds;
        int best = 0;
        long bestX = HashRing.mix64(keyHash ^ seeds[0]);
        if (uniform) {
            for (int i = 1; i < count; i++) {
                long x = HashRing.mix64(keyHash ^ seeds[i]);
                // Strictly greater: on equal x the lower ordinal (smaller id) keeps the key.
                if (Long.compareUnsigned(x, bestX) > 0) {
                    best = i;
                    bestX = x;
                }
            }
            return nodes[best];
        }
        double bestScore = score(0, bestX);
        for (int i = 1; i < count; i++) {
            long x = HashRing.mix64(keyHash ^ seeds[i]);
            if (cannotReach(i, x, bestScore)) {
                continue;
            }
            double s = score(i, x);
            if (outranks(s, x, i, bestScore, bestX, best)) {
                best = i;
                bestX = x;
                bestScore = s;
            }
        }
        return nodes[best];
    }

    @Override
    public int replicas(long keyHash, Node[] out, int n) {
        ReplicaRequest.check(NAME, nodes.length, out, n);
        int k = 0;
        if (zoneCount > 1) {
            k = bestOfBestZones(keyHash, out, Math.min(n, zoneCount));
        }
        if (k < n) {
            bestRemaining(keyHash, out, k, n);
        }
        return n;
    }

    /**
     * Fills {@code out[0..target)} with the best node of each of the {@code target} best zones, best
     * first, by insertion: a node replaces its zone's entry if it outranks it, else enters if the buffer
     * has room or it outranks the last entry (whose zone then drops out).
     */
    private int bestOfBestZones(long keyHash, Node[] out, int target) {
        int filled = 0;
        long zoneMask = 0;
        double worstS = 0;
        long worstX = 0;
        int worstO = -1;
        for (int o = 0; o < nodes.length; o++) {
            long x = HashRing.mix64(keyHash ^ seeds[o]);
            if (filled == target && !uniform && cannotReach(o, x, worstS)) {
                continue;
            }
            double s = uniform ? 0 : score(o, x);
            if (filled == target && !outranks(s, x, o, worstS, worstX, worstO)) {
                continue;
            }
            int z = zoneOf[o];
            int m = indexOfZone(out, filled, z, zoneMask);
            int pos;
            if (m >= 0) {
                int mo = ordinal(out[m]);
                long mx = HashRing.mix64(keyHash ^ seeds[mo]);
                if (!outranks(s, x, o, uniform ? 0 : score(mo, mx), mx, mo)) {
                    continue;
                }
                // Replaces its zone's entry, which ranks below it: the new place is at or before m.
                pos = insert(keyHash, out, 0, m, o, s, x);
                if (m < target - 1 && filled == target) {
                    continue; // the last entry, and so the threshold, is unchanged
                }
            } else if (filled < target) {
                pos = insert(keyHash, out, 0, filled, o, s, x);
                filled++;
                zoneMask = addZone(zoneMask, z);
            } else {
                zoneMask = removeZone(zoneMask, zoneOf[ordinal(out[target - 1])]);
                pos = insert(keyHash, out, 0, target - 1, o, s, x);
                zoneMask = addZone(zoneMask, z);
            }
            if (filled == target) {
                if (pos == target - 1) {
                    worstO = o;
                    worstX = x;
                    worstS = s;
                } else {
                    worstO = ordinal(out[target - 1]);
                    worstX = HashRing.mix64(keyHash ^ seeds[worstO]);
                    worstS = uniform ? 0 : score(worstO, worstX);
                }
            }
        }
        return filled;
    }

    /** Fills {@code out[from..to)} with the best nodes not in {@code out[0..from)}, best first, by insertion. */
    private void bestRemaining(long keyHash, Node[] out, int from, int to) {
        int cap = to - from;
        int filled = 0;
        double worstS = 0;
        long worstX = 0;
        int worstO = -1;
        for (int o = 0; o < nodes.length; o++) {
            long x = HashRing.mix64(keyHash ^ seeds[o]);
            if (filled == cap && !uniform && cannotReach(o, x, worstS)) {
                continue;
            }
            double s = uniform ? 0 : score(o, x);
            if (filled == cap && !outranks(s, x, o, worstS, worstX, worstO)) {
                continue;
            }
            if (from > 0 && ReplicaSets.holds(out, from, nodes[o])) {
                continue;
            }
            int pos;
            if (filled < cap) {
                pos = insert(keyHash, out, from, from + filled, o, s, x);
                filled++;
            } else {
                pos = insert(keyHash, out, from, to - 1, o, s, x);
            }
            if (filled == cap) {
                if (pos == to - 1) {
                    worstO = o;
                    worstX = x;
                    worstS = s;
                } else {
                    worstO = ordinal(out[to - 1]);
                    worstX = HashRing.mix64(keyHash ^ seeds[worstO]);
                    worstS = uniform ? 0 : score(worstO, worstX);
                }
            }
        }
    }

    /**
     * Puts node {@code o} into the sorted run {@code out[lo..]}, overwriting slot {@code hole} (empty or
     * dropped) and shifting the entries it outranks in {@code out[lo..hole)} one place down.
     *
     * @return where the node went
     */
    private int insert(long keyHash, Node[] out, int lo, int hole, int o, double s, long x) {
        int pos = hole;
        while (pos > lo) {
            int po = ordinal(out[pos - 1]);
            long px = HashRing.mix64(keyHash ^ seeds[po]);
            if (!outranks(s, x, o, uniform ? 0 : score(po, px), px, po)) {
                break;
            }
            out[pos] = out[pos - 1];
            pos--;
        }
        out[pos] = nodes[o];
        return pos;
    }

    private int indexOfZone(Node[] out, int filled, int z, long zoneMask) {
        if (z < 64 && (zoneMask & (1L << z)) == 0) {
            return -1;
        }
        for (int m = 0; m < filled; m++) {
            if (zoneOf[ordinal(out[m])] == z) {
                return m;
            }
        }
        return -1;
    }

    private static long addZone(long mask, int z) {
        return z < 64 ? mask | (1L << z) : mask;
    }

    private static long removeZone(long mask, int z) {
        return z < 64 ? mask & ~(1L << z) : mask;
    }

    /** The weighted score of node {@code o} for mixed value {@code x}; see the class description. */
    private double score(int o, long x) {
        return weights[o] / -StrictMath.log(unit(x));
    }

    /** {@code ((x >>> 12) + 0.5) * 2^-52}: 52 bits so that adding 0.5 is exact and the result is never 1. */
    static double unit(long x) {
        return ((x >>> 12) + 0.5) * 0x1.0p-52;
    }

    /**
     * True when node {@code o} provably scores below {@code threshold}: {@code -ln u >= 1 - u}, so its
     * score is at most {@code w / (1 - u)}; the slack absorbs rounding in both computed scores.
     */
    private boolean cannotReach(int o, long x, double threshold) {
        return weights[o] * PRUNE_SLACK < threshold * (1 - unit(x));
    }

    /** The total order of the placement rule: score, then {@code x} unsigned, then lower ordinal. */
    private static boolean outranks(double s1, long x1, int o1, double s2, long x2, int o2) {
        if (s1 != s2) {
            return s1 > s2;
        }
        int c = Long.compareUnsigned(x1, x2);
        return c != 0 ? c > 0 : o1 < o2;
    }

    private int ordinal(Node node) {
        return ordinals.get(node);
    }

    @Override
    public long fingerprint() {
        return fingerprint;
    }

    @Override
    public String toString() {
        return "RendezvousHash{nodes=" + nodes.length + ", zones=" + zoneCount + ", weighted=" + !uniform
                + ", hasher=" + hasher.id() + ", fingerprint=" + String.format("%016x", fingerprint) + "}";
    }
}
