package io.bulwark.server.replication;

/**
 * The command's sequence number is older than the last one applied for its client, so it was not applied
 * again and its original result is no longer kept (only the latest result per client is). This happens when
 * a client retries an old command after a newer one succeeded, which a correct client never does. Immutable.
 */
public final class StaleCommandException extends ReplicationException {

    public StaleCommandException(String message) {
        super(message);
    }
}
