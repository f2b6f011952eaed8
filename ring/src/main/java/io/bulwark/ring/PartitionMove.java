package io.bulwark.ring;

import java.util.List;

/**
 * One partition whose placement changes between two {@link PartitionTable}s.
 *
 * @param partition the partition number
 * @param from      replica set before, primary first
 * @param to        replica set after, primary first
 */
public record PartitionMove(int partition, List<Node> from, List<Node> to) {

    /** Creates a move; the lists are copied. */
    public PartitionMove {
        from = List.copyOf(from);
        to = List.copyOf(to);
    }

    /** Whether the primary changes. */
    public boolean primaryChanged() {
        return !from.get(0).id().equals(to.get(0).id());
    }

    /** Nodes that must receive a copy of the partition. */
    public List<Node> added() {
        return ReplicaSets.difference(to, from);
    }

    /** Nodes that may drop the partition once the new replicas have caught up. */
    public List<Node> removed() {
        return ReplicaSets.difference(from, to);
    }
}
