package io.bulwark.ring;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a rebalancer must do to go from one ring to another: the hash ranges whose replica set (or
 * primary) changes, from whom to whom, in ring order. Built by {@link RingDiff#between}. Immutable.
 *
 * @param replicationFactor the replica-set size the plan was computed for
 * @param moves             the changed ranges, in increasing position order, adjacent equal moves merged
 */
public record MigrationPlan(int replicationFactor, List<RangeMove> moves) {

    /** Creates a plan; the list is copied. */
    public MigrationPlan {
        moves = List.copyOf(moves);
    }

    /** Whether nothing moves. */
    public boolean isEmpty() {
        return moves.isEmpty();
    }

    /** Fraction of the key space whose replica set changes in any way. */
    public double changedFraction() {
        double f = 0;
        for (RangeMove m : moves) {
            f += m.fraction();
        }
        return f;
    }

    /** Fraction of the key space whose primary changes. */
    public double primaryMovedFraction() {
        double f = 0;
        for (RangeMove m : moves) {
            if (m.primaryChanged()) {
                f += m.fraction();
            }
        }
        return f;
    }

    /**
     * Fraction of the key space whose primary moves, per {@code "from -> to"} pair of node ids, sorted.
     * With minimal movement every pair involves a node that joined or left.
     */
    public Map<String, Double> primaryTransfers() {
        Map<String, Double> t = new TreeMap<>();
        for (RangeMove m : moves) {
            if (m.primaryChanged()) {
                t.merge(m.from().get(0).id() + " -> " + m.to().get(0).id(), m.fraction(), Double::sum);
            }
        }
        return t;
    }

    /** Largest number of nodes by which any range's replica set changes (nodes added to it). */
    public int maxReplicaChanges() {
        int max = 0;
        for (RangeMove m : moves) {
            max = Math.max(max, m.added().size());
        }
        return max;
    }
}
