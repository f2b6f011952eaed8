package io.bulwark.server.replication;

import io.bulwark.paxos.Command;

/**
 * Observes every command a {@link ReplicaDriver} applies, in log order: for replication checks, change
 * feeds and tests. Called on the driver's event-loop thread, so it must be quick and must not block or
 * call back into the driver synchronously.
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
