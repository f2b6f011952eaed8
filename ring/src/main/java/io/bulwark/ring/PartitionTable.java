package io.bulwark.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A fixed number of partitions, each placed on a replica set by a {@link HashRing}: the form the
 * Bulwark server uses. Keys map to partitions by hash ({@link #partitionOf(long)}), partitions map to
 * nodes by the ring, so a membership change moves whole partitions and never re-hashes keys.
 *
 * <p>Partition {@code p} sits on the ring at {@code hasher.hash((long) p)}; its replicas are the ring's
 * replicas for that hash (zones first). In this plain mode, adding a node moves exactly the partitions
 * whose replica set gains the new node, removing one moves exactly those that held it, and a
 * partition's replica set changes by at most one node (see {@link HashRing}).
 *
 * <p>{@link #bounded} additionally caps each node's replica count at
 * {@code ceil((1 + epsilon) * partitions * rf * weight / totalWeight)}, which evens out small
 * partition counts at the cost of extra movement on change.
 *
 * <p>A table computed from the ring alone cannot both stay even and move the least on every change: with
 * few partitions per node the ring's arcs are uneven (a fourth node among three with 16 partitions takes 15
 * replicas where its share is 12). A <em>planned</em> table is kept instead of recomputed: it starts as the
 * ring's placement, each change derives the next table from the current one ({@link #rebalancedOnto}:
 * replicas stay unless their node left or a node is above its share, and exactly the replicas that bring
 * every node to its share move), and the table is stored and read back ({@link #of(HashRing, int, int,
 * List)}) rather than recomputed.
 *
 * <p>Immutable and thread-safe.
 */
public final class PartitionTable {

    /** Most partitions a table may have. */
    public static final int MAX_PARTITIONS = 1 << 20;

    private final HashRing ring;
    private final int partitions;
    private final int replicationFactor;
    private final double epsilon;
    /** True if the replica sets were given or planned, not computed from the ring. */
    private final boolean planned;
    /** {@code replicas[p * rf + r]} is the r-th replica of partition p. */
    private final Node[] replicas;

    private PartitionTable(HashRing ring, int partitions, int rf, double epsilon, boolean planned, Node[] replicas) {
        this.ring = ring;
        this.partitions = partitions;
        this.replicationFactor = rf;
        this.epsilon = epsilon;
        this.planned = planned;
        this.replicas = replicas;
    }

    /**
     * Places {@code partitions} partitions with {@code replicationFactor} replicas each.
     *
     * @throws IllegalArgumentException if partitions is not in [1, {@value #MAX_PARTITIONS}]
     * @throws NotEnoughNodesException  if the replication factor is below 1 or above the ring's size
     */
    public static PartitionTable of(HashRing ring, int partitions, int replicationFactor) {
        check(ring, partitions, replicationFactor);
        Node[] out = new Node[partitions * replicationFactor];
        Node[] buf = new Node[replicationFactor];
        for (int p = 0; p < partitions; p++) {
            ring.replicas(ring.hasher().hash((long) p), buf, replicationFactor);
            System.arraycopy(buf, 0, out, p * replicationFactor, replicationFactor);
        }
        return new PartitionTable(ring, partitions, replicationFactor, 0, false, out);
    }

    /**
     * Places partitions like {@link #of}, but no node takes more than its bounded share of replicas;
     * a partition whose next node is full continues clockwise (zones first, then any node with room).
     * Zone spread wins over the cap: a node in a zone that the partition still lacks is taken even when
     * full, so caps can be exceeded only when zones are uneven (a zone with few nodes must hold a copy of
     * every partition).
     *
     * @throws IllegalArgumentException if epsilon is not positive and finite
     */
    public static PartitionTable bounded(HashRing ring, int partitions, int replicationFactor, double epsilon) {
        check(ring, partitions, replicationFactor);
        if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be positive and finite, was " + epsilon);
        }
        int rf = replicationFactor;
        int[] capacity = BoundedLoad.capacities(ring, (long) partitions * rf, epsilon);
        int[] load = new int[ring.nodeIndexCount()];
        Node[] out = new Node[partitions * rf];
        int[] chosen = new int[rf];
        int points = ring.pointCount();
        for (int p = 0; p < partitions; p++) {
            int start = ring.pointIndex(ring.hasher().hash((long) p));
            int k = 0;
            // Pass 1: distinct zones with room. Pass 2: distinct zones, even if full: zone spread is a
            // safety property and wins over balance. Pass 3: distinct nodes with room. Pass 4: distinct
            // nodes, ignoring capacity (only when the remaining room is all on nodes already chosen).
            for (int pass = 1; pass <= 4 && k < rf; pass++) {
                if (pass <= 2 && ring.zoneCount() <= 1) {
                    continue;
                }
                boolean zonesOnly = pass <= 2;
                boolean needRoom = pass == 1 || pass == 3;
                int idx = start;
                for (int steps = 0; steps < points && k < rf; steps++) {
                    int o = ring.ownerIndexAt(idx);
                    if ((!needRoom || load[o] < capacity[o]) && !contains(chosen, k, o)
                            && (!zonesOnly || !zoneTaken(ring, chosen, k, o))) {
                        chosen[k++] = o;
                        load[o]++;
                    }
                    if (++idx == points) {
                        idx = 0;
                    }
                }
            }
            for (int r = 0; r < rf; r++) {
                out[p * rf + r] = ring.nodeAt(chosen[r]);
            }
        }
        return new PartitionTable(ring, partitions, rf, epsilon, false, out);
    }

    /**
     * A table with the given replica sets (a stored table read back): {@code replicaIds.get(p)} lists partition
     * p's replicas by node id, primary first.
     *
     * @throws IllegalArgumentException if there is not one set per partition, a set does not have
     *                                  {@code replicationFactor} distinct nodes, or names a node not in the ring
     */
    public static PartitionTable of(HashRing ring, int partitions, int replicationFactor, List<List<String>> replicaIds) {
        check(ring, partitions, replicationFactor);
        if (replicaIds == null || replicaIds.size() != partitions) {
            throw new IllegalArgumentException("expected replica sets for " + partitions + " partitions, got "
                    + (replicaIds == null ? "none" : replicaIds.size()));
        }
        Node[] out = new Node[partitions * replicationFactor];
        for (int p = 0; p < partitions; p++) {
            List<String> ids = replicaIds.get(p);
            if (ids == null || ids.size() != replicationFactor || ids.stream().distinct().count() != replicationFactor) {
                throw new IllegalArgumentException("partition " + p + " needs " + replicationFactor
                        + " distinct nodes, has " + ids);
            }
            for (int r = 0; r < replicationFactor; r++) {
                String id = ids.get(r);
                int partition = p;
                Node node = ring.node(id).orElseThrow(() -> new IllegalArgumentException("partition " + partition
                        + " names node '" + id + "', which is not among the nodes "
                        + ring.nodes().stream().map(Node::id).toList()));
                out[p * replicationFactor + r] = node;
            }
        }
        return new PartitionTable(ring, partitions, replicationFactor, 0, true, out);
    }

    /**
     * The table for the nodes of {@code next} that moves the fewest replicas from this one (see the class
     * comment and {@link TablePlanner}). Replicas on nodes that are still present stay unless their node is
     * above its share; replicas of nodes that left go, in their position, to nodes the ring prefers for that
     * partition; then single replicas move from nodes above their share to nodes below it until every node
     * holds its share ({@code partitions * rf * weight / totalWeight}, rounded), keeping zone spread. Adding
     * a node thus moves exactly its share to it, and removing one moves exactly its replicas.
     *
     * @throws NotEnoughNodesException if {@code next} has fewer nodes than the replication factor
     * @throws EmptyRingException       if {@code next} has no nodes
     */
    public PartitionTable rebalancedOnto(HashRing next) {
        check(next, partitions, replicationFactor);
        return new PartitionTable(next, partitions, replicationFactor, 0, true, TablePlanner.plan(this, next));
    }

    /** Whether the replica sets were planned or given ({@link #rebalancedOnto}, {@link #of(HashRing, int, int, List)}). */
    public boolean isPlanned() {
        return planned;
    }

    private static boolean contains(int[] chosen, int k, int o) {
        for (int i = 0; i < k; i++) {
            if (chosen[i] == o) {
                return true;
            }
        }
        return false;
    }

    private static boolean zoneTaken(HashRing ring, int[] chosen, int k, int o) {
        String zone = ring.nodeAt(o).zone();
        for (int i = 0; i < k; i++) {
            String z = ring.nodeAt(chosen[i]).zone();
            if (z == null ? zone == null : z.equals(zone)) {
                return true;
            }
        }
        return false;
    }

    private static void check(HashRing ring, int partitions, int rf) {
        if (ring == null) {
            throw new IllegalArgumentException("ring must not be null");
        }
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new IllegalArgumentException("partitions must be between 1 and " + MAX_PARTITIONS + ", was "
                    + partitions);
        }
        if (ring.size() == 0) {
            throw new EmptyRingException("the ring has no nodes; add a node before placing partitions");
        }
        if (rf < 1 || rf > ring.size()) {
            throw new NotEnoughNodesException("replication factor must be between 1 and the number of nodes ("
                    + ring.size() + "), was " + rf);
        }
    }

    /** The ring the partitions are placed on. */
    public HashRing ring() {
        return ring;
    }

    /** Number of partitions. */
    public int partitions() {
        return partitions;
    }

    /** Replicas per partition. */
    public int replicationFactor() {
        return replicationFactor;
    }

    /** Whether this table caps loads ({@link #bounded}). */
    public boolean isBounded() {
        return epsilon > 0;
    }

    /**
     * The partition of a pre-hashed key: the top 32 bits of the hash scaled to the partition count
     * (Lemire's multiply-shift), so no modulo bias and no division.
     */
    public int partitionOf(long keyHash) {
        return (int) (((keyHash >>> 32) * partitions) >>> 32);
    }

    /** The partition of a key given as bytes. */
    public int partitionOf(byte[] key) {
        return partitionOf(ring.hasher().hash(key));
    }

    /** The partition of a string key (UTF-8). */
    public int partitionOf(String key) {
        return partitionOf(ring.hasher().hash(key));
    }

    /** The primary replica of a partition. */
    public Node primary(int partition) {
        return replicas[checkPartition(partition) * replicationFactor];
    }

    /** The replica set of a partition, primary first. */
    public List<Node> replicas(int partition) {
        int base = checkPartition(partition) * replicationFactor;
        return List.of(Arrays.copyOfRange(replicas, base, base + replicationFactor));
    }

    /** Copies the replica set of a partition into {@code out}, primary first; allocates nothing. */
    public int replicas(int partition, Node[] out) {
        int base = checkPartition(partition) * replicationFactor;
        if (out.length < replicationFactor) {
            throw new IllegalArgumentException("output buffer must hold " + replicationFactor + " nodes, has "
                    + out.length);
        }
        System.arraycopy(replicas, base, out, 0, replicationFactor);
        return replicationFactor;
    }

    /** Number of partitions each node is primary for, in {@code ring().nodes()} order. */
    public int[] primaryCounts() {
        return counts(true);
    }

    /** Number of replicas each node holds, in {@code ring().nodes()} order. */
    public int[] replicaCounts() {
        return counts(false);
    }

    private int[] counts(boolean primariesOnly) {
        int[] c = new int[ring.size()];
        for (int i = 0; i < replicas.length; i++) {
            if (!primariesOnly || i % replicationFactor == 0) {
                c[ring.ordinalOf(replicas[i].id())]++;
            }
        }
        return c;
    }

    /**
     * The partitions whose replica set or primary differs in {@code next}, with from and to sets: what
     * a rebalancer must move.
     *
     * @throws IllegalArgumentException if the tables differ in partition count (keys would re-map)
     */
    public List<PartitionMove> diff(PartitionTable next) {
        if (next.partitions != partitions) {
            throw new IllegalArgumentException("tables have different partition counts (" + partitions + " vs "
                    + next.partitions + "); every key would re-map");
        }
        List<PartitionMove> moves = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            List<Node> from = replicas(p);
            List<Node> to = next.replicas(p);
            boolean primaryChanged = !from.get(0).id().equals(to.get(0).id());
            boolean setChanged = from.size() != to.size()
                    || !from.stream().allMatch(f -> to.stream().anyMatch(t -> t.id().equals(f.id())));
            if (primaryChanged || setChanged) {
                moves.add(new PartitionMove(p, from, to));
            }
        }
        return moves;
    }

    private int checkPartition(int partition) {
        if (partition < 0 || partition >= partitions) {
            throw new IndexOutOfBoundsException("partition must be between 0 and " + (partitions - 1) + ", was "
                    + partition);
        }
        return partition;
    }

    /** Digest of the ring's fingerprint and this table's settings (and, if planned, its replica sets). */
    public long fingerprint() {
        long h = ring.fingerprint();
        h = HashRing.mix64(h ^ partitions);
        h = HashRing.mix64(h ^ replicationFactor);
        h = HashRing.mix64(h ^ Double.doubleToLongBits(epsilon));
        if (planned) {
            for (Node node : replicas) {
                h = HashRing.mix64(h ^ node.id().hashCode());
            }
        }
        return h;
    }

    @Override
    public String toString() {
        return "PartitionTable{partitions=" + partitions + ", rf=" + replicationFactor
                + (isBounded() ? ", epsilon=" + epsilon : "") + (planned ? ", planned" : "") + ", ring=" + ring + "}";
    }
}
