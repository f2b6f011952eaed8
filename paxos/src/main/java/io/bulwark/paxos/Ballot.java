package io.bulwark.paxos;

/**
 * A Paxos ballot number: a round and the id of the node that started it.
 *
 * <p>Ballots are totally ordered by round, then node id, so two candidates never share a ballot
 * (Lamport, "Paxos Made Simple", section 2.2: proposals are numbered from disjoint sets). {@link #ZERO}
 * is below every ballot a node can start. Immutable.
 */
public record Ballot(long round, int nodeId) implements Comparable<Ballot> {

    /** The ballot every acceptor has promised before it has promised anything. */
    public static final Ballot ZERO = new Ballot(0, 0);

    public Ballot {
        if (round < 0) {
            throw new IllegalArgumentException("ballot round must not be negative, was " + round);
        }
    }

    @Override
    public int compareTo(Ballot other) {
        int byRound = Long.compare(round, other.round);
        return byRound != 0 ? byRound : Integer.compare(nodeId, other.nodeId);
    }

    /** True if this ballot is strictly higher than {@code other}. */
    public boolean above(Ballot other) {
        return compareTo(other) > 0;
    }

    /** True if this ballot is strictly lower than {@code other}. */
    public boolean below(Ballot other) {
        return compareTo(other) < 0;
    }

    @Override
    public String toString() {
        return round + "." + nodeId;
    }
}
