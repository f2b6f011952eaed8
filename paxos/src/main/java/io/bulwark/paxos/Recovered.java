package io.bulwark.paxos;

import java.util.List;

/**
 * What a replica finds in its durable storage when it starts: the ballot it promised, the entries it
 * accepted or learned (later records for a slot win), the chosen prefix it had recorded, and its latest
 * snapshot if any. {@link #empty()} is a brand-new replica. Immutable.
 */
public record Recovered(Ballot promised, List<Entry> entries, long chosenIndex, SnapshotMeta snapshot) {

    public Recovered {
        entries = List.copyOf(entries);
        if (chosenIndex < 0) {
            throw new IllegalArgumentException("chosenIndex must not be negative, was " + chosenIndex);
        }
    }

    /** Nothing durable: a replica starting for the first time. */
    public static Recovered empty() {
        return new Recovered(Ballot.ZERO, List.of(), 0, null);
    }

    /** True if storage held nothing at all. */
    public boolean isEmpty() {
        return promised.equals(Ballot.ZERO) && entries.isEmpty() && chosenIndex == 0 && snapshot == null;
    }
}
