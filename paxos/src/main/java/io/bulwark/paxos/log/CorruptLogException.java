package io.bulwark.paxos.log;

import java.io.IOException;

/**
 * The write-ahead log is damaged in a way recovery cannot prove harmless: a bad frame in a segment
 * that was already synced, a bad frame followed by valid ones, or missing segments.
 *
 * <p>Acknowledged (synced) records may be lost or damaged, so the replica must not take part in the
 * protocol with this log: it must be rebuilt from its peers (snapshot plus log). Bulwark never repairs
 * this by truncating, because that could silently drop a write the cluster counted as durable.
 * Immutable.
 */
public final class CorruptLogException extends IOException {

    private static final long serialVersionUID = 1L;

    private final String segmentName;
    private final long offsetBytes;
    private final String reason;

    /** A corruption at {@code offsetBytes} of {@code segmentName}, for {@code reason}. */
    public CorruptLogException(String segmentName, long offsetBytes, String reason) {
        super("write-ahead log segment " + segmentName + " is corrupt at byte offset " + offsetBytes + ": "
                + reason + ". Acknowledged (synced) data may be affected; do not truncate or edit the log by hand."
                + " This replica must be rebuilt from its peers (snapshot + log).");
        this.segmentName = segmentName;
        this.offsetBytes = offsetBytes;
        this.reason = reason;
    }

    /** The damaged segment file's name. */
    public String segmentName() {
        return segmentName;
    }

    /** Byte offset in the segment where the damage starts. */
    public long offsetBytes() {
        return offsetBytes;
    }

    /** What was wrong, without the advice in {@link #getMessage()}. */
    public String reason() {
        return reason;
    }
}
