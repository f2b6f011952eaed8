package io.bulwark.ring;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Jump consistent hash (Lamping &amp; Veach, "A Fast, Minimal Memory, Consistent Hash Algorithm", 2014)
 * behind {@link NodeLocator}: for users whose nodes are numbered buckets that only grow or shrink at the
 * end, such as shards of a storage system.
 *
 * <h2>Placement rule ({@code jump/1})</h2>
 * The nodes form an ordered list of buckets, in the order given to {@link #of(List)}: node {@code i} is
 * bucket {@code i}. A pre-hashed key {@code h} belongs to bucket {@link #bucket(long, int) bucket(h, size())},
 * the paper's {@code JumpConsistentHash(h, size())} taken verbatim (so it equals Guava's
 * {@code Hashing.consistentHash(h, size())}; the tests check published-algorithm vectors). Node ids and
 * weights play no part in the lookup: only a node's position in the list does.
 *
 * <p>Replicas ({@link #replicas}) are chosen greedily from a candidate bucket sequence, taking distinct
 * zones first and then distinct nodes, exactly as {@link HashRing} does on its ring:
 * <ol>
 *   <li>{@code c0 = bucket(h, size)}, the primary;</li>
 *   <li>{@code ci = bucket(mix64(h + i * 0x9E3779B97F4A7C15), size)} for {@code i = 1 .. 31}: re-jumping
 *       with the SplitMix64 sequence seeded by the key, so a node's replicas spread over all other nodes
 *       instead of piling onto its list neighbour;</li>
 *   <li>then every bucket once, from {@code c31 + 1} upwards with wrap-around, so the sequence always
 *       holds every node and every zone however unlucky the draws.</li>
 * </ol>
 * A smaller {@code n} gives a prefix of a larger one.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Balance: each bucket receives {@code 1/size} of the keys in expectation with binomial spread
 *       (the standard deviation of a bucket's count of {@code K} keys is {@code sqrt(K/size)}); no
 *       virtual nodes, no memory per node beyond the node itself.</li>
 *   <li>Movement: appending a node ({@link #with}) moves only the keys the new node takes, about
 *       {@code 1/(size+1)} of them; removing the <em>last</em> node moves only its keys. Removing any
 *       other node renumbers every later bucket: removing bucket {@code i} of {@code n} moves about
 *       {@code (n - i)/n} of all keys. Use {@link RendezvousHash} or {@link HashRing} if nodes leave from
 *       the middle. For replicas, each candidate {@code ci} either stays or becomes the new bucket, so a
 *       key's replica set usually changes by at most one node when a node is appended; it changes by more
 *       only when two of its candidates move together (measured: 0.3% of keys for {@code n = 3} when
 *       going from 30 to 31 nodes).</li>
 *   <li>Weights are not supported: every node must have weight 1, anything else is rejected with
 *       {@link InvalidNodeException} rather than silently ignored.</li>
 *   <li>Cost: {@link #locate(long)} runs {@code O(log size)} loop iterations (about {@code ln size + 1})
 *       with no memory access and no allocation; {@link #replicas} is {@code O(n * log size)} expected,
 *       {@code O(size * n)} in the worst case, and allocates nothing. {@link #with}/{@link #without} are
 *       {@code O(size log size)}.</li>
 * </ul>
 *
 * <p>Instances are immutable and thread-safe; {@link #with} and {@link #without} return new instances.
 */
public final class JumpHash implements NodeLocator {

    /** The algorithm name and placement version that {@link #fingerprint()} commits to. */
    public static final String ALGORITHM_VERSION = "jump/1";
    /** Upper bound on the number of nodes, as for {@link HashRing#MAX_NODES}. */
    public static final int MAX_NODES = 65_535;
    /** Candidates drawn by re-jumping before the replica walk falls back to a sweep over all buckets. */
    static final int DERIVED_CANDIDATES = 32;

    private static final long LCG_MULTIPLIER = 2862933555777941757L;
    /** How messages name this locator. */
    private static final String NAME = "jump hash";

    private final KeyHasher hasher;
    /** Bucket order: {@code buckets[i]} is bucket {@code i}. */
    private final Node[] buckets;
    private final int[] zoneOf;
    private final int zoneCount;
    private final List<Node> bucketList;
    private final List<Node> sortedList;
    private final long fingerprint;

    private JumpHash(KeyHasher hasher, Node[] buckets) {
        this.hasher = hasher;
        this.buckets = buckets;
        this.bucketList = Collections.unmodifiableList(Arrays.asList(buckets));
        this.sortedList = Collections.unmodifiableList(Arrays.asList(NodeList.sortedCopy(buckets)));
        Zones zones = Zones.of(buckets);
        this.zoneOf = zones.numbers;
        this.zoneCount = zones.count;
        // Bucket order, not id order: the order decides placement (see the class description).
        this.fingerprint = LocatorFingerprint.of(ALGORITHM_VERSION, hasher, bucketList);
    }

    // ----------------------------------------------------------------------------------------------
    // Construction

    /** Jump hash over the nodes in the given order (bucket order), hashing keys with the default hasher. */
    public static JumpHash of(Node... nodes) {
        return of(NodeList.asList(nodes), KeyHashers.defaultHasher());
    }

    /** Jump hash over the nodes in list order (bucket order), hashing keys with the default hasher. */
    public static JumpHash of(List<Node> nodes) {
        return of(nodes, KeyHashers.defaultHasher());
    }

    /**
     * Jump hash over the nodes in list order: {@code nodes.get(i)} is bucket {@code i}. An empty list
     * gives a locator whose lookups throw {@link EmptyRingException}.
     *
     * @param hasher hashes byte and string keys; its id is part of the fingerprint
     * @throws InvalidNodeException   if the list or a node is null, or a node's weight is not 1
     * @throws DuplicateNodeException if two nodes share an id
     * @throws IllegalArgumentException if there are more than {@value #MAX_NODES} nodes or the hasher is
     *                                  null or has a malformed id
     */
    public static JumpHash of(List<Node> nodes, KeyHasher hasher) {
        KeyHashers.checkHasher(hasher);
        Node[] order = NodeList.toArray(nodes);
        NodeList.checkCount(order.length, MAX_NODES, NAME);
        for (Node n : order) {
            checkNode(n);
        }
        // Sorts a copy only to find duplicate ids: the given order is the bucket order.
        NodeList.sortUnique(order.clone());
        return new JumpHash(hasher, order);
    }

    /**
     * This locator with {@code node} appended as the last bucket: only keys that the new bucket takes
     * move (about {@code 1/(size+1)} of them).
     *
     * @throws DuplicateNodeException if a node with that id is present
     * @throws InvalidNodeException   if the node is null or its weight is not 1
     */
    public JumpHash with(Node node) {
        checkNode(node);
        NodeList.requireAbsent(buckets, node, NAME);
        if (buckets.length + 1 > MAX_NODES) {
            throw new IllegalArgumentException(NAME + " holds at most " + MAX_NODES + " nodes");
        }
        return new JumpHash(hasher, NodeList.append(buckets, node));
    }

    /**
     * This locator without the node with the given id; later buckets shift down by one. Minimal movement
     * only when it is the last bucket; removing bucket {@code i} of {@code n} moves about
     * {@code (n - i)/n} of the keys.
     *
     * @throws UnknownNodeException if there is no such node
     */
    public JumpHash without(String nodeId) {
        int x = NodeList.requireIndex(buckets, nodeId, NAME);
        return new JumpHash(hasher, NodeList.remove(buckets, x));
    }

    // ----------------------------------------------------------------------------------------------
    // Lookups

    /**
     * The paper's {@code JumpConsistentHash(keyHash, buckets)}: the bucket in {@code [0, buckets)} of a
     * 64-bit key. Going from {@code b} to {@code b + 1} buckets moves a key only to bucket {@code b}.
     *
     * @throws IllegalArgumentException if {@code buckets < 1}
     */
    public static int bucket(long keyHash, int buckets) {
        if (buckets < 1) {
            throw new IllegalArgumentException("bucket count must be positive, was " + buckets);
        }
        return jump(keyHash, buckets);
    }

    private static int jump(long key, int buckets) {
        long b = -1;
        long j = 0;
        while (j < buckets) {
            b = j;
            key = key * LCG_MULTIPLIER + 1;
            // Same operations and rounding as the paper's C++ (double(1LL << 31) / double((key >> 33) + 1)).
            j = (long) ((b + 1) * ((double) (1L << 31) / (double) ((key >>> 33) + 1)));
        }
        return (int) b;
    }

    @Override
    public String algorithm() {
        return "jump";
    }

    @Override
    public KeyHasher hasher() {
        return hasher;
    }

    /** The nodes sorted by id, as {@link NodeLocator#nodes()} specifies; see {@link #buckets()} for bucket order. */
    @Override
    public List<Node> nodes() {
        return sortedList;
    }

    /** The nodes in bucket order: element {@code i} is bucket {@code i}. */
    public List<Node> buckets() {
        return bucketList;
    }

    @Override
    public int size() {
        return buckets.length;
    }

    /** Whether a node with this id is present. */
    public boolean contains(String nodeId) {
        return nodeId != null && NodeList.indexOf(buckets, nodeId) >= 0;
    }

    @Override
    public Node locate(long keyHash) {
        if (buckets.length == 0) {
            throw EmptyRingException.forLookupOn(NAME);
        }
        return buckets[jump(keyHash, buckets.length)];
    }

    @Override
    public int replicas(long keyHash, Node[] out, int n) {
        ReplicaRequest.check(NAME, buckets.length, out, n);
        int size = buckets.length;
        int streamLength = DERIVED_CANDIDATES + size;
        int k = 0;
        if (zoneCount > 1) {
            int target = Math.min(n, zoneCount);
            long zoneMask = 0;
            int prev = -1;
            for (int i = 0; k < target && i < streamLength; i++) {
                int b = candidate(keyHash, i, prev, size);
                prev = b;
                int z = zoneOf[b];
                if (!ReplicaSets.holdsZone(out, k, buckets[b], z, zoneMask)) {
                    if (z < 64) {
                        zoneMask |= 1L << z;
                    }
                    out[k++] = buckets[b];
                }
            }
        }
        int prev = -1;
        for (int i = 0; k < n && i < streamLength; i++) {
            int b = candidate(keyHash, i, prev, size);
            prev = b;
            Node c = buckets[b];
            if (!ReplicaSets.holds(out, k, c)) {
                out[k++] = c;
            }
        }
        // The sweep visits every bucket, so n <= size distinct nodes are always found.
        assert k == n : "replica walk found " + k + " of " + n;
        return n;
    }

    /** Element {@code i} of the candidate sequence (see the class description); {@code prev} is element {@code i - 1}. */
    private static int candidate(long keyHash, int i, int prev, int size) {
        if (i == 0) {
            return jump(keyHash, size);
        }
        if (i < DERIVED_CANDIDATES) {
            return jump(HashRing.mix64(keyHash + i * HashRing.GOLDEN), size);
        }
        return prev + 1 == size ? 0 : prev + 1;
    }

    @Override
    public long fingerprint() {
        return fingerprint;
    }

    @Override
    public String toString() {
        return "JumpHash{nodes=" + buckets.length + ", zones=" + zoneCount + ", hasher=" + hasher.id()
                + ", fingerprint=" + String.format("%016x", fingerprint) + "}";
    }

    // ----------------------------------------------------------------------------------------------
    // Helpers

    private static void checkNode(Node node) {
        if (node == null) {
            throw new InvalidNodeException("nodes must not contain null");
        }
        if (node.weight() != 1.0) {
            throw new InvalidNodeException("jump consistent hash does not support weights: node '" + node.id()
                    + "' has weight " + node.weight() + ", only 1.0 is allowed (use RendezvousHash or"
                    + " MaglevHash for weighted nodes)");
        }
    }
}
