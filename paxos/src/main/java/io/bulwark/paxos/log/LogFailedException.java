package io.bulwark.paxos.log;

import java.io.IOException;

/**
 * The {@link SegmentedLog} hit an I/O error while writing or syncing and refuses all further use.
 *
 * <p>Why not retry: after a failed fsync, Linux may already have dropped the dirty pages and marked
 * them clean, so a second fsync can succeed without the data ever reaching the disk (PostgreSQL's
 * "fsyncgate", 2018). The only safe continuation is to close the log, restart the replica and recover
 * from what is on disk. The original error is the {@link #getCause() cause}. Immutable.
 */
public final class LogFailedException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The log failed doing {@code what}; {@code cause} is the original error. */
    public LogFailedException(String what, Throwable cause) {
        super("write-ahead log failed (" + what + "): unsynced records may be lost and fsync is never retried;"
                + " close the log, restart the replica and recover from disk", cause);
    }
}
