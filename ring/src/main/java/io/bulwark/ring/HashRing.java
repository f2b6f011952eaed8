package io.bulwark.ring;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Bulwark's default placement: a consistent-hashing ring with weighted virtual nodes, zone-aware
 * replica sets and O(1) lookups.
 *
 * <h2>Placement rule (specified in docs/RING_FORMAT.md, with golden vectors)</h2>
 * Every node gets {@code settings.pointsFor(weight)} points on a ring of 2<sup>32</sup> positions;
 * point {@code j} of a node sits at the top 32 bits of {@code mix64(seed + (j + 1) * 0x9E3779B97F4A7C15)}
 * where {@code seed} is the node id's hash; equal positions are ordered by node id (UTF-8 bytes). The
 * ring is cut into {@code 2^slotBits} equal slots; a key falls in the slot given by the top
 * {@code slotBits} bits of its hash and belongs to the first point at or after the start of that slot
 * (wrapping). Replicas are the next distinct nodes clockwise from that point, distinct zones first.
 *
 * <h2>Properties</h2>
 * <ul>
 *   <li>Placement is a pure function of (settings, nodes): two processes that hold the same nodes agree
 *       on every key, which {@link #fingerprint()} lets them prove.</li>
 *   <li>Minimal movement: adding a node moves keys only to it; removing one moves only its keys; no key
 *       moves between two nodes that stayed. A key's replica set changes by at most one node per change
 *       (without zones, or with {@code n} at most the number of zones).</li>
 *   <li>Lookups are two array loads with no loop and no branch: O(1), no locks, no allocation.</li>
 * </ul>
 *
 * <p>Instances are immutable and thread-safe; {@link #with}, {@link #without} and {@link #reweighted}
 * return new rings (in time linear in the number of points, by merging) and leave this one untouched.
 * Publish the current ring through a {@link RingHolder}.
 */
public final class HashRing implements NodeLocator {

    /** Upper bound on the points one node may have. */
    public static final int MAX_POINTS_PER_NODE = 1 << 22;
    /** Upper bound on the number of nodes: node ordinals are stored as 16-bit chars. */
    public static final int MAX_NODES = 65_535;
    /** Upper bound on the total number of points in a ring. */
    public static final int MAX_TOTAL_POINTS = 1 << 29;

    static final long GOLDEN = 0x9E3779B97F4A7C15L;
    /** How messages name this locator. */
    private static final String NAME = "ring";

    private final RingSettings settings;
    /** Nodes sorted by the unsigned order of their UTF-8 ids (the public order). */
    private final Node[] sorted;
    /** {@code indexOfRank[r]} is the node index of the node at rank {@code r} in {@link #sorted}. */
    private final int[] indexOfRank;
    /**
     * Nodes by node index. A node index is an internal, stable number: a node keeps its index while it
     * stays, so a change copies the owner array in bulk instead of renumbering it. Removed nodes leave a
     * null hole that the next added node reuses. Node indexes never influence placement.
     */
    private final Node[] byIndex;
    private final long[] seedByIndex;
    /** Rank (id order) of each index's node; the tie-break for points at equal positions. */
    private final int[] rankByIndex;
    private final int[] zoneByIndex;
    private final int zoneCount;
    /** The points in ring order, with their owners' node indexes, and the slot table. */
    private final RingPoints points;
    private final long fingerprint;
    private final List<Node> nodeList;

    private HashRing(RingSettings settings, Node[] byIndex, long[] seedByIndex, RingPoints points) {
        this.settings = settings;
        this.byIndex = byIndex;
        this.seedByIndex = seedByIndex;
        this.points = points;
        int count = 0;
        for (Node n : byIndex) {
            if (n != null) {
                count++;
            }
        }
        Integer[] order = new Integer[count];
        int c = 0;
        for (int s = 0; s < byIndex.length; s++) {
            if (byIndex[s] != null) {
                order[c++] = s;
            }
        }
        Arrays.sort(order, (a, b) -> NodeList.compareIds(byIndex[a], byIndex[b]));
        this.sorted = new Node[count];
        this.indexOfRank = new int[count];
        this.rankByIndex = new int[byIndex.length];
        Arrays.fill(rankByIndex, -1);
        for (int r = 0; r < count; r++) {
            sorted[r] = byIndex[order[r]];
            indexOfRank[r] = order[r];
            rankByIndex[order[r]] = r;
        }
        this.nodeList = Collections.unmodifiableList(Arrays.asList(sorted));
        // Zones: numbered in order of first appearance among the sorted nodes; no zones -> one zone.
        Zones zones = Zones.of(sorted);
        this.zoneByIndex = new int[byIndex.length];
        for (int r = 0; r < count; r++) {
            zoneByIndex[indexOfRank[r]] = zones.numbers[r];
        }
        this.zoneCount = zones.count;
        this.fingerprint = RingCodec.fingerprint(this);
    }

    // ----------------------------------------------------------------------------------------------
    // Construction

    /** An empty ring with default settings. */
    public static HashRing empty() {
        return empty(RingSettings.defaults());
    }

    /** An empty ring with the given settings. */
    public static HashRing empty(RingSettings settings) {
        return new HashRing(requireSettings(settings), new Node[0], new long[0],
                RingPoints.fromSorted(new int[0], new char[0], settings.slotBits()));
    }

    /** A ring of the given nodes with default settings. */
    public static HashRing of(Node... nodes) {
        return of(RingSettings.defaults(), Arrays.asList(nodes));
    }

    /** A ring of the given nodes with default settings. */
    public static HashRing of(Collection<Node> nodes) {
        return of(RingSettings.defaults(), nodes);
    }

    /**
     * A ring of the given nodes.
     *
     * @throws DuplicateNodeException if two nodes share an id
     * @throws InvalidNodeException   if a node is null
     */
    public static HashRing of(RingSettings settings, Collection<Node> nodes) {
        requireSettings(settings);
        Node[] sorted = NodeList.toArrayWithoutNulls(nodes);
        NodeList.sortUnique(sorted);
        checkNodeCount(sorted.length);
        long[] seeds = new long[sorted.length];
        long total = 0;
        int[] counts = new int[sorted.length];
        for (int i = 0; i < sorted.length; i++) {
            seeds[i] = nodeSeed(settings, sorted[i].id());
            counts[i] = settings.pointsFor(sorted[i].weight());
            total += counts[i];
        }
        checkTotal(total);
        // At build time node index == rank, so packing (position, rank) sorts ties by id as the rule says.
        long[] packed = new long[(int) total];
        int k = 0;
        for (int i = 0; i < sorted.length; i++) {
            k = generatePoints(seeds[i], counts[i], i, packed, k);
        }
        Arrays.sort(packed);
        int[] pos = new int[packed.length];
        char[] own = new char[packed.length];
        for (int i = 0; i < packed.length; i++) {
            pos[i] = (int) (packed[i] >> 32) ^ Integer.MIN_VALUE;
            own[i] = (char) packed[i];
        }
        return new HashRing(settings, sorted, seeds, RingPoints.fromSorted(pos, own, settings.slotBits()));
    }

    /** A builder for rings with non-default settings. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds a {@link HashRing}; not thread-safe. */
    public static final class Builder {
        private int vnodes = RingSettings.DEFAULT_VNODES;
        private int slotBits = RingSettings.DEFAULT_SLOT_BITS;
        private KeyHasher hasher = KeyHashers.defaultHasher();
        private final List<Node> nodes = new ArrayList<>();

        private Builder() {
        }

        /** Ring points per unit weight; default {@value RingSettings#DEFAULT_VNODES}. */
        public Builder vnodesPerWeight(int v) {
            this.vnodes = v;
            return this;
        }

        /** Slot bits; default {@value RingSettings#DEFAULT_SLOT_BITS}. */
        public Builder slotBits(int bits) {
            this.slotBits = bits;
            return this;
        }

        /** The key hasher; default xxHash64. */
        public Builder hasher(KeyHasher h) {
            this.hasher = h;
            return this;
        }

        /** Adds a node. */
        public Builder add(Node node) {
            nodes.add(node);
            return this;
        }

        /** Adds nodes. */
        public Builder addAll(Collection<Node> more) {
            nodes.addAll(more);
            return this;
        }

        /** Builds the ring; see {@link HashRing#of(RingSettings, Collection)} for the exceptions. */
        public HashRing build() {
            return HashRing.of(new RingSettings(vnodes, slotBits, hasher), nodes);
        }
    }

    // ----------------------------------------------------------------------------------------------
    // Changes: each returns a new ring and moves only what consistent hashing must move. They copy the
    // unchanged runs of points in bulk and patch the index, so a change costs a few memory copies of
    // the ring rather than a rebuild.

    /**
     * This ring plus {@code node}.
     *
     * @throws DuplicateNodeException if the ring already has a node with that id
     */
    public HashRing with(Node node) {
        if (node == null) {
            throw new InvalidNodeException("node must not be null");
        }
        if (ordinalOf(node.id()) >= 0) {
            throw new DuplicateNodeException("ring already contains node '" + node.id() + "'");
        }
        checkNodeCount(sorted.length + 1);
        int count = settings.pointsFor(node.weight());
        checkTotal((long) points.size() + count);
        int at = 0;
        while (at < byIndex.length && byIndex[at] != null) {
            at++;
        }
        Node[] newByIndex = Arrays.copyOf(byIndex, Math.max(byIndex.length, at + 1));
        long[] newSeeds = Arrays.copyOf(seedByIndex, newByIndex.length);
        newByIndex[at] = node;
        newSeeds[at] = nodeSeed(settings, node.id());
        return new HashRing(settings, newByIndex, newSeeds,
                points.insert(nodePoints(newSeeds[at], count), at, ranksWith(newByIndex)));
    }

    /**
     * This ring without the node with the given id.
     *
     * @throws UnknownNodeException if there is no such node
     */
    public HashRing without(String nodeId) {
        int at = indexOfRank[requireOrdinal(nodeId)];
        Node[] newByIndex = byIndex.clone();
        newByIndex[at] = null;
        int count = settings.pointsFor(byIndex[at].weight());
        return new HashRing(settings, newByIndex, seedByIndex.clone(),
                points.remove(nodePoints(seedByIndex[at], count), at));
    }

    /**
     * This ring with the node's weight changed. Points are a prefix sequence per node, so raising a
     * weight only adds points (keys move only to this node) and lowering it only removes points.
     *
     * @throws UnknownNodeException if there is no such node
     * @throws InvalidNodeException if the weight is not allowed
     */
    public HashRing reweighted(String nodeId, double weight) {
        int at = indexOfRank[requireOrdinal(nodeId)];
        Node updated = byIndex[at].withWeight(weight);
        int oldCount = settings.pointsFor(byIndex[at].weight());
        int newCount = settings.pointsFor(weight);
        checkTotal((long) points.size() - oldCount + newCount);
        Node[] newByIndex = byIndex.clone();
        newByIndex[at] = updated;
        RingPoints without = points.remove(nodePoints(seedByIndex[at], oldCount), at);
        return new HashRing(settings, newByIndex, seedByIndex.clone(),
                without.insert(nodePoints(seedByIndex[at], newCount), at, ranksWith(newByIndex)));
    }

    /** The first {@code count} points of the node with this seed, as unsigned positions sorted unsigned. */
    private static int[] nodePoints(long seed, int count) {
        int[] p = new int[count];
        for (int j = 0; j < count; j++) {
            p[j] = (int) pointPosition(seed, j);
        }
        RingPoints.sortUnsigned(p);
        return p;
    }

    /** Ranks (id order) by node index for a node table. */
    private static int[] ranksWith(Node[] slots) {
        Integer[] order = new Integer[slots.length];
        int c = 0;
        for (int s = 0; s < slots.length; s++) {
            if (slots[s] != null) {
                order[c++] = s;
            }
        }
        Integer[] live = Arrays.copyOf(order, c);
        Arrays.sort(live, (a, b) -> NodeList.compareIds(slots[a], slots[b]));
        int[] rank = new int[slots.length];
        Arrays.fill(rank, -1);
        for (int r = 0; r < c; r++) {
            rank[live[r]] = r;
        }
        return rank;
    }

    // ----------------------------------------------------------------------------------------------
    // Lookups

    @Override
    public String algorithm() {
        return "ring";
    }

    @Override
    public KeyHasher hasher() {
        return settings.hasher();
    }

    /** The settings this ring was built with. */
    public RingSettings settings() {
        return settings;
    }

    @Override
    public List<Node> nodes() {
        return nodeList;
    }

    @Override
    public int size() {
        return sorted.length;
    }

    /** Whether the ring has a node with this id. */
    public boolean contains(String nodeId) {
        return nodeId != null && ordinalOf(nodeId) >= 0;
    }

    /** The node with this id, if present. */
    public Optional<Node> node(String nodeId) {
        int o = nodeId == null ? -1 : ordinalOf(nodeId);
        return o >= 0 ? Optional.of(sorted[o]) : Optional.empty();
    }

    /** Number of distinct zones (nodes without a zone count as one zone together). */
    public int zoneCount() {
        return zoneCount;
    }

    @Override
    public Node locate(long keyHash) {
        if (sorted.length == 0) {
            throw EmptyRingException.forLookupOn(NAME);
        }
        return byIndex[points.ownerOf(keyHash)];
    }

    @Override
    public int replicas(long keyHash, Node[] out, int n) {
        ReplicaRequest.check(NAME, sorted.length, out, n);
        return replicasFromPoint(pointIndex(keyHash), out, n);
    }

    /** Index of the point that owns the key: the first point at or after the key's position. */
    int pointIndex(long keyHash) {
        if (sorted.length == 0) {
            throw EmptyRingException.forLookupOn(NAME);
        }
        return points.find(keyHash);
    }

    /** Walks clockwise from point {@code start}: distinct zones first, then distinct nodes. */
    int replicasFromPoint(int start, Node[] out, int n) {
        int[] zoneOf = this.zoneByIndex;
        Node[] nodes = this.byIndex;
        RingPoints own = this.points;
        int points = own.size();
        int k = 0;
        if (zoneCount > 1) {
            int target = Math.min(n, zoneCount);
            long zoneMask = 0;
            int idx = start;
            for (int steps = 0; k < target && steps < points; steps++) {
                int o = own.owner(idx);
                int z = zoneOf[o];
                if (!ReplicaSets.holdsZone(out, k, nodes[o], z, zoneMask)) {
                    if (z < 64) {
                        zoneMask |= 1L << z;
                    }
                    out[k++] = nodes[o];
                }
                if (++idx == points) {
                    idx = 0;
                }
            }
        }
        int idx = start;
        while (k < n) {
            Node candidate = nodes[own.owner(idx)];
            if (!ReplicaSets.holds(out, k, candidate)) {
                out[k++] = candidate;
            }
            if (++idx == points) {
                idx = 0;
            }
        }
        return n;
    }

    /**
     * The exact fraction of the key space (of the slots) each node owns, in {@link #nodes()} order; sums
     * to 1. Key-level shares converge to these as the number of keys grows.
     */
    public double[] shares() {
        double[] share = new double[sorted.length];
        if (sorted.length == 0) {
            return share;
        }
        long[] slotsByIndex = new long[byIndex.length];
        int slots = points.slots();
        for (int s = 0; s < slots; s++) {
            slotsByIndex[points.owner(points.pointOfSlot(s))]++;
        }
        for (int r = 0; r < share.length; r++) {
            share[r] = slotsByIndex[indexOfRank[r]] / (double) slots;
        }
        return share;
    }

    /** Total number of points on the ring. */
    public int pointCount() {
        return points.size();
    }

    /** Approximate heap bytes held by this ring's lookup structures (points, owners, index, nodes). */
    public long memoryBytes() {
        long arrays = 16L * 9 + points.memoryBytes() + (8L + 4 + 4 + 4 + 4) * byIndex.length + 8L * sorted.length;
        long nodeObjects = 0;
        for (Node n : sorted) {
            nodeObjects += 32 + 40 + n.id().length() + (n.zone() == null ? 0 : 40 + n.zone().length());
        }
        return arrays + nodeObjects + 64;
    }

    @Override
    public long fingerprint() {
        return fingerprint;
    }

    /** The compact serialized form (see docs/RING_FORMAT.md); {@link #deserialize} restores it exactly. */
    public byte[] serialize() {
        return RingCodec.encode(this, true);
    }

    /**
     * Restores a ring from {@link #serialize()} output, verifying its checksum.
     *
     * @throws RingFormatException if the bytes are malformed, corrupt or from an unknown version
     */
    public static HashRing deserialize(byte[] bytes) {
        return RingCodec.decode(bytes);
    }

    @Override
    public String toString() {
        return "HashRing{nodes=" + sorted.length + ", points=" + points.size() + ", zones=" + zoneCount
                + ", hasher=" + settings.hasher().id() + ", fingerprint=" + String.format("%016x", fingerprint) + "}";
    }

    // ----------------------------------------------------------------------------------------------
    // Package-private views for RingDiff, BoundedLoad and PartitionTable.

    /** Number of internal node indexes (at least {@link #size()}; holes are null). */
    int nodeIndexCount() {
        return byIndex.length;
    }

    /** The node at a node index, or null for a hole. */
    Node nodeAt(int slot) {
        return byIndex[slot];
    }

    /** Rank of an index's node in {@link #nodes()} order, or -1 for a hole. */
    int rankOfIndex(int slot) {
        return rankByIndex[slot];
    }

    int ownerIndexAt(int pointIndex) {
        return points.owner(pointIndex);
    }

    /** Number of key slots ({@code 2^slotBits}). */
    int keySlots() {
        return points.slots();
    }

    /** The point that owns every key of key slot {@code s}. */
    int pointOfKeySlot(int s) {
        return points.pointOfSlot(s);
    }

    /** Unsigned positions of all points in ring order (a new array). */
    int[] pointPositions() {
        return points.positions();
    }

    int ordinalOf(String id) {
        byte[] key = id.getBytes(StandardCharsets.UTF_8);
        int lo = 0;
        int hi = sorted.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = Arrays.compareUnsigned(sorted[mid].id().getBytes(StandardCharsets.UTF_8), key);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return mid;
            }
        }
        return -(lo + 1);
    }

    private int requireOrdinal(String nodeId) {
        if (nodeId == null) {
            throw new UnknownNodeException("node id must not be null");
        }
        int x = ordinalOf(nodeId);
        if (x < 0) {
            throw new UnknownNodeException("ring has no node '" + nodeId + "'");
        }
        return x;
    }

    // ----------------------------------------------------------------------------------------------
    // Helpers

    static long nodeSeed(RingSettings settings, String id) {
        return settings.hasher().hash(id.getBytes(StandardCharsets.UTF_8));
    }

    /** SplitMix64's finalizer (Stafford's variant 13): a bijective 64-bit mixer. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Unsigned 32-bit position of point {@code j} of the node with this seed. */
    static long pointPosition(long seed, int j) {
        return mix64(seed + (j + 1L) * GOLDEN) >>> 32;
    }

    /** Appends {@code count} packed points (biased position in the high half, ordinal in the low). */
    private static int generatePoints(long seed, int count, int ordinal, long[] out, int at) {
        for (int j = 0; j < count; j++) {
            int biased = (int) pointPosition(seed, j) ^ Integer.MIN_VALUE;
            out[at++] = ((long) biased << 32) | ordinal;
        }
        return at;
    }

    private static RingSettings requireSettings(RingSettings settings) {
        if (settings == null) {
            throw new IllegalArgumentException("settings must not be null");
        }
        return settings;
    }

    private static void checkNodeCount(int count) {
        NodeList.checkCount(count, MAX_NODES, "a ring");
    }

    private static void checkTotal(long total) {
        if (total > MAX_TOTAL_POINTS) {
            throw new IllegalArgumentException("the ring would have " + total + " points; at most "
                    + MAX_TOTAL_POINTS + " are allowed (lower vnodesPerWeight or the weights)");
        }
    }
}
