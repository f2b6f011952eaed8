package io.bulwark.paxos;

import java.util.List;

/**
 * What a replica finds in its durable storage when it starts: the incarnation of that storage, the ballot
 * it promised, the entries it accepted or learned (later records for a slot win), the chosen prefix it had
 * recorded, and its latest snapshot if any. {@link #empty()} is a brand-new group's replica. Immutable.
 */
public record Recovered(long incarnation, Ballot promised, List<Entry> entries, long chosenIndex,
                        SnapshotMeta snapshot) {

    public Recovered {
        entries = List.copyOf(entries);
        if (chosenIndex < 0) {
            throw new IllegalArgumentException("chosenIndex must not be negative, was " + chosenIndex);
        }
    }

    /** Nothing durable: a replica of a new group starting for the first time, on bootstrap storage. */
    public static Recovered empty() {
        return fresh(Membership.BOOTSTRAP_INCARNATION);
    }

    /** Nothing durable, on storage created with {@code incarnation}. */
    public static Recovered fresh(long incarnation) {
        return new Recovered(incarnation, Ballot.ZERO, List.of(), 0, null);
    }

    /** True if storage held nothing at all. */
    public boolean isEmpty() {
        return promised.equals(Ballot.ZERO) && entries.isEmpty() && chosenIndex == 0 && snapshot == null;
    }
}
