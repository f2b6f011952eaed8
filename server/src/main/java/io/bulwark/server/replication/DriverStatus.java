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
 */
public record DriverStatus(int nodeId, boolean running, Role role, int leaderHint, long chosenIndex,
                           long appliedIndex, io.bulwark.paxos.Membership membership) {

    /** True if running and leading. */
    public boolean isLeader() {
        return running && role == Role.LEADER;
    }
}
