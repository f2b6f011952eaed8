package io.bulwark.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Computes the {@link MigrationPlan} between two rings.
 *
 * <p>Between two consecutive points of either ring, every key has the same owner point in both
 * rings, so the plan is exact: it looks at each elementary range once (time linear in the total
 * number of points, times the replication factor) and merges adjacent ranges with the same move.
 * Stateless and thread-safe.
 */
public final class RingDiff {

    private RingDiff() {
    }

    /**
     * The ranges whose replica set of size {@code replicationFactor} differs between {@code before}
     * and {@code after} (a change of order among the same nodes counts only if the primary changes).
     *
     * @throws IllegalArgumentException if the rings use different hashers (keys would not line up)
     * @throws NotEnoughNodesException  if either ring has fewer nodes than {@code replicationFactor}
     */
    public static MigrationPlan between(HashRing before, HashRing after, int replicationFactor) {
        if (before == null || after == null) {
            throw new IllegalArgumentException("both rings must be given");
        }
        if (!before.hasher().id().equals(after.hasher().id())) {
            throw new IllegalArgumentException("rings use different hashers (" + before.hasher().id() + " vs "
                    + after.hasher().id() + "); every key would move, a diff by range is meaningless");
        }
        int rf = replicationFactor;
        if (rf < 1 || rf > before.size() || rf > after.size()) {
            throw new NotEnoughNodesException("replication factor must be between 1 and the smaller ring's size ("
                    + Math.min(before.size(), after.size()) + "), was " + rf);
        }
        long[] bounds = boundaries(before, after);
        Node[] a = new Node[rf];
        Node[] b = new Node[rf];
        List<RangeMove> moves = new ArrayList<>();
        long start = 0;
        long openStart = -1;
        Node[] openFrom = null;
        Node[] openTo = null;
        for (long end : bounds) {
            long keyHash = end << 32;
            before.replicas(keyHash, a, rf);
            after.replicas(keyHash, b, rf);
            boolean changed = !a[0].id().equals(b[0].id()) || !sameSet(a, b);
            if (changed) {
                if (openFrom != null && Arrays.equals(openFrom, a) && Arrays.equals(openTo, b)) {
                    // extend the open move
                } else {
                    if (openFrom != null) {
                        moves.add(new RangeMove(openStart, start - 1, List.of(openFrom), List.of(openTo)));
                    }
                    openStart = start;
                    openFrom = a.clone();
                    openTo = b.clone();
                }
            } else if (openFrom != null) {
                moves.add(new RangeMove(openStart, start - 1, List.of(openFrom), List.of(openTo)));
                openFrom = null;
                openTo = null;
            }
            start = end + 1;
        }
        if (openFrom != null) {
            moves.add(new RangeMove(openStart, start - 1, List.of(openFrom), List.of(openTo)));
        }
        return new MigrationPlan(rf, moves);
    }

    private static boolean sameSet(Node[] a, Node[] b) {
        for (Node x : a) {
            boolean found = false;
            for (Node y : b) {
                if (x.id().equals(y.id())) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                return false;
            }
        }
        return true;
    }

    /** Sorted distinct end positions of the elementary ranges, always ending with 2^32 - 1. */
    private static long[] boundaries(HashRing x, HashRing y) {
        int[] px = x.pointPositions();
        int[] py = y.pointPositions();
        int n = px.length;
        int m = py.length;
        long[] all = new long[n + m + 1];
        int k = 0;
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            long next;
            if (j == m || i < n && Integer.toUnsignedLong(px[i]) <= Integer.toUnsignedLong(py[j])) {
                next = Integer.toUnsignedLong(px[i++]);
            } else {
                next = Integer.toUnsignedLong(py[j++]);
            }
            if (k == 0 || all[k - 1] != next) {
                all[k++] = next;
            }
        }
        if (k == 0 || all[k - 1] != (1L << 32) - 1) {
            all[k++] = (1L << 32) - 1;
        }
        return Arrays.copyOf(all, k);
    }
}
