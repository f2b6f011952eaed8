package io.bulwark.server.replication;

/**
 * The request was refused before being queued, because a bound was reached (the replica's pipeline and
 * pending queue, or the driver's outstanding-request limit). Nothing was done: back off and retry. Immutable.
 */
public final class OverloadedException extends ReplicationException {

    public OverloadedException(String message) {
        super(message);
    }
}
