package io.bulwark.paxos.log;

import java.io.IOException;

/**
 * A snapshot file, or a snapshot received from a peer, failed its checks (magic, version, lengths,
 * index, CRC32C).
 *
 * <p>{@link SnapshotStore} does not fall back to an older snapshot on its own: the log records between the
 * older snapshot and this one may already have been deleted, so the older snapshot plus the remaining log
 * would be a state with a silent gap. Only storage that knows which records its log still holds (the
 * node's {@code SharedLog}) falls back, and only when the log continues the older snapshot without a gap;
 * otherwise the replica must fetch a snapshot from a peer. Immutable.
 */
public final class CorruptSnapshotException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String fileName;
    private final String reason;

    /** Snapshot {@code fileName} is corrupt because of {@code reason}. */
    public CorruptSnapshotException(String fileName, String reason) {
        super("snapshot " + fileName + " is corrupt: " + reason + ". Not falling back to an older snapshot"
                + " (the log it would need may already be deleted); install a snapshot from a peer.");
        this.fileName = fileName;
        this.reason = reason;
    }

    /** The snapshot file (or partial file) that failed. */
    public String fileName() {
        return fileName;
    }

    /** What was wrong, without the advice in {@link #getMessage()}. */
    public String reason() {
        return reason;
    }
}
