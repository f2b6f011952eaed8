package io.bulwark.paxos.log;

import java.util.Objects;
import java.util.Optional;

/**
 * What {@link SegmentedLog#open} found on disk, for the driver to log in one line.
 *
 * <p>Immutable and thread-safe.
 *
 * @param segmentsScanned  segment files read
 * @param recordsRecovered data records that survived (sync markers are not counted)
 * @param truncatedTail    the torn or unsynced tail that was cut off, if any
 */
public record RecoveryReport(int segmentsScanned, long recordsRecovered, Optional<TruncatedTail> truncatedTail) {

    /** Checks that counts are not negative. */
    public RecoveryReport {
        if (segmentsScanned < 0 || recordsRecovered < 0) {
            throw new IllegalArgumentException("counts must not be negative: segmentsScanned=" + segmentsScanned
                    + ", recordsRecovered=" + recordsRecovered);
        }
        Objects.requireNonNull(truncatedTail, "truncatedTail");
    }

    /**
     * A tail that recovery removed because it could prove none of it had been synced.
     *
     * @param segmentName  the segment file, always the last one
     * @param offsetBytes  where the first bad frame started; the file now ends here
     * @param droppedBytes how many bytes were cut off
     * @param reason       why the frame at {@code offsetBytes} was unreadable
     */
    public record TruncatedTail(String segmentName, long offsetBytes, long droppedBytes, String reason) {

        /** Checks that offsets are sane. */
        public TruncatedTail {
            Objects.requireNonNull(segmentName, "segmentName");
            Objects.requireNonNull(reason, "reason");
            if (offsetBytes < 0 || droppedBytes < 1) {
                throw new IllegalArgumentException("offsetBytes must be >= 0 and droppedBytes >= 1, were "
                        + offsetBytes + " and " + droppedBytes);
            }
        }
    }
}
