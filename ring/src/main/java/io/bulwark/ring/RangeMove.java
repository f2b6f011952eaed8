package io.bulwark.ring;

import java.util.List;

/**
 * One step of a {@link MigrationPlan}: the keys whose ring position lies in
 * {@code [startPosition, endPosition]} (unsigned 32-bit positions, the top 32 bits of the key hash)
 * were held by {@code from} and must be held by {@code to}, primary first in both lists.
 *
 * @param startPosition first position of the range, inclusive, in {@code [0, 2^32)}
 * @param endPosition   last position of the range, inclusive, at least {@code startPosition}
 * @param from          the replica set before the change, primary first
 * @param to            the replica set after the change, primary first
 */
public record RangeMove(long startPosition, long endPosition, List<Node> from, List<Node> to) {

    /** Creates a move; the lists are copied. */
    public RangeMove {
        from = List.copyOf(from);
        to = List.copyOf(to);
    }

    /** Number of ring positions in the range. */
    public long width() {
        return endPosition - startPosition + 1;
    }

    /** Fraction of the whole key space in this range. */
    public double fraction() {
        return width() / (double) (1L << 32);
    }

    /** Whether the primary (first replica) changes. */
    public boolean primaryChanged() {
        return !from.get(0).id().equals(to.get(0).id());
    }

    /** Nodes in {@code to} but not in {@code from}: they must receive a copy of the range. */
    public List<Node> added() {
        return ReplicaSets.difference(to, from);
    }

    /** Nodes in {@code from} but not in {@code to}: they may drop the range once the move is done. */
    public List<Node> removed() {
        return ReplicaSets.difference(from, to);
    }
}
