package io.bulwark.server.replication;

import io.bulwark.paxos.Command;

/**
 * Observes every command a {@link ReplicaDriver} applies, in log order: for replication checks, change
 * feeds and tests. Called on the driver's event-loop thread, so it must be quick and must not block or
 * call back into the driver synchronously.
 *
 * <p>Commands that reach the state machine inside a snapshot are not seen one by one: those a restart
 * restores from the replica's own snapshot, and those a snapshot installed from the leader covers (see
 * {@link DriverStatus#snapshotIndex()}); the listener then sees the commands after it.
 */
@FunctionalInterface
public interface ApplyListener {

    /** No-op listener. */
    ApplyListener NONE = (slot, command, duplicate) -> { };

    /**
     * One command of the batch chosen in {@code slot} was applied ({@code duplicate}: it was a retry of a
     * command applied before and did not change the state).
     */
    void applied(long slot, Command command, boolean duplicate);
}
