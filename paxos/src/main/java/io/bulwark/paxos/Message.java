package io.bulwark.paxos;

import java.util.List;

/**
 * Every message one replica sends another. Messages may be lost, duplicated, delayed and reordered;
 * each handler in {@link Replica} is written so that none of that breaks safety. Immutable.
 */
public sealed interface Message {

    /** Sender's node id. */
    int from();

    /** Receiver's node id. */
    int to();

    /**
     * Would you promise {@code ballot}? Asked before a real election and changes no state, so a node
     * cut off from the group cannot depose a healthy leader by bumping ballots (the pre-vote of
     * Ongaro's thesis, section 9.6).
     */
    record PreVote(int from, int to, Ballot ballot, long chosenIndex) implements Message {
    }

    /** Answer to a {@link PreVote}. */
    record PreVoteReply(int from, int to, Ballot ballot, boolean granted) implements Message {
    }

    /** Phase 1a for every slot after {@code chosenIndex}, the candidate's contiguous chosen prefix. */
    record Prepare(int from, int to, Ballot ballot, long chosenIndex) implements Message {
    }

    /**
     * Phase 1b: the acceptor promised {@code ballot} and reports every entry it holds after the
     * candidate's chosen prefix: accepted values with their ballots, and values it knows are chosen. The
     * acceptor's storage {@code incarnation} says for which memberships the promise counts: only those that
     * name this node on this storage.
     */
    record Promise(int from, int to, Ballot ballot, long chosenIndex, List<Entry> entries, long incarnation)
            implements Message {
        public Promise {
            entries = List.copyOf(entries);
        }
    }

    /**
     * Refusal of a {@link Prepare}, {@link Accept} or {@link Heartbeat} at {@code rejected}: the sender has
     * promised {@code promised}, or the candidate is behind the sender's chosen prefix.
     */
    record Reject(int from, int to, Ballot rejected, Ballot promised, long chosenIndex) implements Message {
    }

    /** Phase 2a for consecutive slots, carrying the leader's chosen prefix so followers learn decisions. */
    record Accept(int from, int to, Ballot ballot, List<Entry> entries, long chosenIndex) implements Message {
        public Accept {
            entries = List.copyOf(entries);
        }
    }

    /**
     * Phase 2b: the sender accepted slots {@code firstSlot..lastSlot} at {@code ballot}. It counts only if
     * the sender's storage {@code incarnation} is the one the membership names.
     */
    record Accepted(int from, int to, Ballot ballot, long firstSlot, long lastSlot, long chosenIndex,
                    long incarnation) implements Message {
    }

    /**
     * Leadership beacon: keeps followers from campaigning, tells them the chosen prefix, and numbers a
     * round that confirms leadership for reads (read index) and extends the leader lease.
     */
    record Heartbeat(int from, int to, Ballot ballot, long chosenIndex, long round) implements Message {
    }

    /**
     * Answer to a {@link Heartbeat} or {@link Learn}: the follower's chosen prefix, the round it saw, and
     * the incarnation of its storage, by which a leader recognises a replica that came back on new storage.
     */
    record HeartbeatReply(int from, int to, Ballot ballot, long chosenIndex, long round, long incarnation)
            implements Message {
    }

    /** Chosen values a lagging replica is missing; safe to take from anyone, since chosen is forever. */
    record Learn(int from, int to, Ballot ballot, List<Entry> entries, long chosenIndex) implements Message {
        public Learn {
            entries = List.copyOf(entries);
        }
    }

    /**
     * A chunk of the leader's latest snapshot for a replica whose chosen prefix is below the leader's
     * compacted log. {@code offset} is where the chunk starts in the snapshot's encoded form of
     * {@code totalBytes} bytes with checksum {@code crc32c}; the receiver resumes from what it has.
     */
    record InstallSnapshot(int from, int to, Ballot ballot, long index, long totalBytes, int crc32c, long offset,
                           byte[] chunk) implements Message {
    }

    /**
     * The leader at {@code ballot} has stepped down in favour of {@code successor} (a leadership transfer): the
     * successor campaigns at once, and every other replica still following that ballot lets the successor, and
     * only it, collect its promise although it heard the leader recently. Stale or duplicated, it changes nothing.
     */
    record Handoff(int from, int to, Ballot ballot, int successor) implements Message {
    }

    /** Progress of a snapshot install: how many bytes of snapshot {@code index} the receiver holds. */
    record SnapshotReply(int from, int to, Ballot ballot, long index, long receivedBytes, long chosenIndex)
            implements Message {
    }
}
