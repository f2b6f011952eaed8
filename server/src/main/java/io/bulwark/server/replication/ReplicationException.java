package io.bulwark.server.replication;

/**
 * Why a request to a {@link ReplicaDriver} failed. Each subtype says what the caller should do next.
 * Unchecked, because these complete {@link java.util.concurrent.CompletableFuture}s exceptionally rather
 * than being thrown through a call stack. Immutable.
 */
public abstract sealed class ReplicationException extends RuntimeException
        permits NotLeaderException, OverloadedException, ReplicaStoppedException, StaleCommandException {

    ReplicationException(String message) {
        super(message);
    }

    ReplicationException(String message, Throwable cause) {
        super(message, cause);
    }
}
