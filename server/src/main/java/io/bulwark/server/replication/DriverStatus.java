package io.bulwark.server.replication;

import io.bulwark.paxos.Role;

/**
 * Where a {@link ReplicaDriver} stands, as published by its event loop after each turn. Immutable.
 *
 * @param nodeId        the replica's id
 * @param running       false once the driver stopped (closed or failed)
 * @param role          the replica's protocol role
 * @param leaderHint    the leader it believes in, or {@link NotLeaderException#UNKNOWN_LEADER}
 * @param chosenIndex   its chosen prefix
 * @param appliedIndex  the last slot applied to its state machine
 * @param membership    the group's membership as this replica knows it (voters and learners)
 * @param snapshotIndex the index the newest durable snapshot of this replica covers (taken here or installed
 *                      from the leader); 0 if none
 * @param snapshotsTaken     snapshots this replica took of its own state since the driver started
 * @param snapshotsInstalled snapshots it installed from a leader since the driver started (it had fallen behind
 *                           the leader's compacted log)
 */
public record DriverStatus(int nodeId, boolean running, Role role, int leaderHint, long chosenIndex,
                           long appliedIndex, io.bulwark.paxos.Membership membership, long snapshotIndex,
                           long snapshotsTaken, long snapshotsInstalled) {

    /** True if running and leading. */
    public boolean isLeader() {
        return running && role == Role.LEADER;
    }
}
