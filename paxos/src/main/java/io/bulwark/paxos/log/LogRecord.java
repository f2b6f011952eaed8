package io.bulwark.paxos.log;

import java.util.Arrays;
import java.util.Objects;

/**
 * One record of a {@link SegmentedLog}: its log sequence number and the caller's bytes.
 *
 * <p>The payload array is not copied (records can be megabytes and recovery creates each one once);
 * treat it as read-only. {@link #equals} compares payload contents. Immutable if callers honour that.
 *
 * @param lsn     the record's log sequence number, 1 or more
 * @param payload the bytes passed to {@link SegmentedLog#append}
 */
public record LogRecord(long lsn, byte[] payload) {

    /** Checks that {@code lsn} is positive and {@code payload} present. */
    public LogRecord {
        if (lsn < 1) {
            throw new IllegalArgumentException("lsn must be at least 1, was " + lsn);
        }
        Objects.requireNonNull(payload, "payload");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LogRecord other && lsn == other.lsn && Arrays.equals(payload, other.payload);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(lsn) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "LogRecord[lsn=" + lsn + ", payloadBytes=" + payload.length + "]";
    }
}
