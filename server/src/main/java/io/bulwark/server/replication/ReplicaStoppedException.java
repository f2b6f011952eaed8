package io.bulwark.server.replication;

/**
 * The driver stopped: closed, or halted by a fatal error such as a failed fsync (never retried, because
 * the kernel may already have dropped the pages it failed to write). A command in flight has an unknown
 * outcome: retry it elsewhere with the same client id and sequence number. The cause, if any, is the fatal
 * error. Immutable.
 */
public final class ReplicaStoppedException extends ReplicationException {

    public ReplicaStoppedException(String message, Throwable cause) {
        super(message, cause);
    }
}
