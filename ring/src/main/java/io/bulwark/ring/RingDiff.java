package io.bulwark.ring;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Computes the {@link MigrationPlan} between two rings.
 *
 * <p>Every key of a slot has the same replicas in a ring, so the plan is exact: it compares each slot
 * once (time linear in the number of slots, times the replication factor) and merges adjacent slots
 * with the same move.
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
        if (before.settings().slotBits() != after.settings().slotBits()) {
            throw new IllegalArgumentException("rings use different slotBits (" + before.settings().slotBits()
                    + " vs " + after.settings().slotBits() + "); keys would not line up");
        }
        int slots = before.keySlots();
        int lowBits = 32 - before.settings().slotBits();
        Node[] a = new Node[rf];
        Node[] b = new Node[rf];
        List<RangeMove> moves = new ArrayList<>();
        int openStart = -1;
        Node[] openFrom = null;
        Node[] openTo = null;
        for (int s = 0; s <= slots; s++) {
            boolean changed = false;
            if (s < slots) {
                // Every key of a slot has the same replicas, so the slot is the unit of the plan.
                before.replicasFromPoint(before.pointOfKeySlot(s), a, rf);
                after.replicasFromPoint(after.pointOfKeySlot(s), b, rf);
                changed = !a[0].id().equals(b[0].id()) || !sameSet(a, b);
            }
            boolean extends_ = changed && openFrom != null && Arrays.equals(openFrom, a) && Arrays.equals(openTo, b);
            if (openFrom != null && !extends_) {
                moves.add(new RangeMove((long) openStart << lowBits, ((long) s << lowBits) - 1, List.of(openFrom),
                        List.of(openTo)));
                openFrom = null;
                openTo = null;
            }
            if (changed && openFrom == null) {
                openStart = s;
                openFrom = a.clone();
                openTo = b.clone();
            }
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

}
