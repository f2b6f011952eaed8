package io.bulwark.ring;

import java.util.Arrays;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam, SODA 2018).
 *
 * <p>Each node {@code i} gets a capacity of {@code ceil((1 + epsilon) * keys * weight_i / totalWeight)}
 * keys; with equal weights that is {@code ceil((1 + epsilon) * mean)}. Keys are placed in ring order
 * (by their 32-bit ring position, equal positions in input order); each goes to the first node
 * clockwise from its position that still has room, so overflow follows the same consistent order as
 * ordinary lookups. The result is a pure function of the ring, the keys and epsilon.
 *
 * <p>Guarantee: no node ever exceeds its capacity (checked by the tests for every seed). Price: keys
 * that overflow are not at their natural owner, and a membership change can move more keys than the
 * ideal (the paper bounds the expected extra movement by {@code O(1/epsilon^2)} times the ideal).
 * Stateless and thread-safe.
 */
public final class BoundedLoad {

    /** Default slack: a node may hold up to 25% above its fair share. */
    public static final double DEFAULT_EPSILON = 0.25;

    private BoundedLoad() {
    }

    /**
     * Assigns every key to a node without exceeding any node's capacity.
     *
     * @param ring      the ring; must not be empty
     * @param keyHashes pre-hashed keys (at most 2^31 - 1); duplicates are separate keys
     * @param epsilon   the slack above the fair share, positive and finite
     * @throws IllegalArgumentException if epsilon is not positive and finite
     * @throws EmptyRingException       if the ring has no nodes
     */
    public static Assignment assign(HashRing ring, long[] keyHashes, double epsilon) {
        if (!(epsilon > 0) || Double.isInfinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be positive and finite, was " + epsilon);
        }
        if (ring.size() == 0) {
            throw new EmptyRingException("the ring has no nodes; add a node before assigning keys");
        }
        int keys = keyHashes.length;
        int[] capacity = capacities(ring, keys, epsilon);
        long[] order = new long[keys];
        for (int k = 0; k < keys; k++) {
            order[k] = ((keyHashes[k] >>> 32) ^ 0x8000_0000L) << 32 | k;
        }
        // Sorting by biased position makes the signed long order the unsigned ring order.
        Arrays.sort(order);
        int[] load = new int[ring.nodeIndexCount()];
        int[] owner = new int[keys];
        int points = ring.pointCount();
        for (long packed : order) {
            int k = (int) packed;
            int idx = ring.pointIndex(keyHashes[k]);
            while (true) {
                int o = ring.ownerIndexAt(idx);
                if (load[o] < capacity[o]) {
                    load[o]++;
                    owner[k] = o;
                    break;
                }
                if (++idx == points) {
                    idx = 0;
                }
            }
        }
        return new Assignment(ring, owner, load, capacity);
    }

    /** Capacities by internal slot for {@code keys} keys (0 for holes); they sum to at least {@code keys}. */
    static int[] capacities(HashRing ring, long keys, double epsilon) {
        double total = 0;
        for (Node n : ring.nodes()) {
            total += n.weight();
        }
        int[] capacity = new int[ring.nodeIndexCount()];
        for (int s = 0; s < capacity.length; s++) {
            Node n = ring.nodeAt(s);
            if (n != null) {
                double c = Math.ceil((1 + epsilon) * keys * n.weight() / total);
                capacity[s] = (int) Math.min(Integer.MAX_VALUE, c);
            }
        }
        return capacity;
    }

    /** Re-orders a by-slot array into {@code ring.nodes()} order. */
    static int[] inNodeOrder(HashRing ring, int[] byIndex) {
        int[] out = new int[ring.size()];
        for (int s = 0; s < byIndex.length; s++) {
            int r = ring.rankOfIndex(s);
            if (r >= 0) {
                out[r] = byIndex[s];
            }
        }
        return out;
    }

    /** The result of {@link #assign}: an owner per key, and each node's load and capacity. Immutable. */
    public static final class Assignment {
        private final HashRing ring;
        private final int[] owner;
        private final int[] load;
        private final int[] capacity;

        Assignment(HashRing ring, int[] owner, int[] load, int[] capacity) {
            this.ring = ring;
            this.owner = owner;
            this.load = load;
            this.capacity = capacity;
        }

        /** The node that key number {@code keyIndex} (in the input order) was assigned to. */
        public Node ownerOf(int keyIndex) {
            return ring.nodeAt(owner[keyIndex]);
        }

        /** Number of keys assigned to each node, in {@code ring.nodes()} order. */
        public int[] loads() {
            return inNodeOrder(ring, load);
        }

        /** Each node's capacity, in {@code ring.nodes()} order. */
        public int[] capacities() {
            return inNodeOrder(ring, capacity);
        }

        /** The largest load. */
        public int maxLoad() {
            return Arrays.stream(load).max().orElse(0);
        }

        /** Number of keys not placed at their natural (unbounded) owner. */
        public int overflowed(long[] keyHashes) {
            int moved = 0;
            for (int k = 0; k < owner.length; k++) {
                if (ring.ownerIndexAt(ring.pointIndex(keyHashes[k])) != owner[k]) {
                    moved++;
                }
            }
            return moved;
        }
    }
}
