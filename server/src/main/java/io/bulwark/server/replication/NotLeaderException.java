package io.bulwark.server.replication;

/**
 * The replica is not (or stopped being) the leader. If the request was a command that had been queued, its
 * outcome is unknown: it may still be chosen. Retry at {@link #leaderHint()} with the <em>same</em> client id
 * and sequence number; the exactly-once state machine applies it at most once and answers a retry of an
 * applied command with the original result. Immutable.
 */
public final class NotLeaderException extends ReplicationException {

    /** {@link #leaderHint()} when no leader is known. */
    public static final int UNKNOWN_LEADER = -1;

    private final int leaderHint;

    public NotLeaderException(int nodeId, int leaderHint, String detail) {
        super("replica " + nodeId + " is not the leader" + (leaderHint == UNKNOWN_LEADER ? " (no leader known)"
                : " (leader hint: " + leaderHint + ")") + ": " + detail);
        this.leaderHint = leaderHint;
    }

    /** The node this replica believes leads, or {@link #UNKNOWN_LEADER}. */
    public int leaderHint() {
        return leaderHint;
    }
}
