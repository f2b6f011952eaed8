package io.bulwark.paxos;

/** What became of a {@link Replica#propose(Command)} call. */
public enum ProposeResult {
    /** Queued for the next batch; it is chosen later, or abandoned if this replica loses leadership. */
    QUEUED,
    /** This replica is not the leader; {@link Replica#leaderHint()} names the one it believes is. */
    NOT_LEADER,
    /** The pipeline window and the queue behind it are full: back off and retry. */
    BUSY,
    /** Larger than {@link ReplicaOptions#maxCommandBytes()}: it would stall the log for everyone. */
    TOO_LARGE
}
