package io.bulwark.paxos.log;

/**
 * Limits of a {@link SegmentedLog}, validated when constructed.
 *
 * <p>Immutable and thread-safe.
 *
 * @param maxSegmentBytes   a segment is closed and a new one started before it would grow past this.
 *                          Must be at least {@code maxRecordBytes} plus the {@value #FRAME_OVERHEAD_BYTES}-byte
 *                          frame header, so that every record fits in one segment, and at most
 *                          {@value #MAX_SEGMENT_BYTES_LIMIT} because recovery reads a whole segment into memory
 * @param maxRecordBytes    largest payload {@link SegmentedLog#append} accepts, 1 to
 *                          {@value #MAX_RECORD_BYTES_LIMIT}
 * @param writeBufferBytes  appends are gathered in a buffer of this size and written with one system call;
 *                          0 writes each frame directly; at most {@value #MAX_WRITE_BUFFER_BYTES}
 */
public record LogOptions(long maxSegmentBytes, int maxRecordBytes, int writeBufferBytes) {

    /** Bytes every record adds on disk: length, CRC32C, LSN, synced LSN and type. */
    public static final int FRAME_OVERHEAD_BYTES = LogFrame.HEADER_BYTES;
    /** Upper bound of {@link #maxRecordBytes}; also what recovery accepts as a plausible frame length. */
    public static final int MAX_RECORD_BYTES_LIMIT = LogFrame.MAX_PAYLOAD_BYTES;
    /** Upper bound of {@link #maxSegmentBytes}; recovery treats a larger segment file as corrupt. */
    public static final long MAX_SEGMENT_BYTES_LIMIT = 1L << 30;
    /** Upper bound of {@link #writeBufferBytes}. */
    public static final int MAX_WRITE_BUFFER_BYTES = 64 << 20;

    /** Default segment size: 64 MiB, few enough files for years of a busy partition between snapshots. */
    public static final long DEFAULT_MAX_SEGMENT_BYTES = 64L << 20;
    /** Default record cap: 16 MiB, far above any sane command batch, far below the heap. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 16 << 20;
    /** Default write buffer: 256 KiB, enough to coalesce a batch of small commands into one write. */
    public static final int DEFAULT_WRITE_BUFFER_BYTES = 256 << 10;

    /** Validates every limit; see the record components for the allowed ranges. */
    public LogOptions {
        if (maxRecordBytes < 1 || maxRecordBytes > MAX_RECORD_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxRecordBytes must be in [1, " + MAX_RECORD_BYTES_LIMIT
                    + "], was " + maxRecordBytes);
        }
        long smallestSegmentBytes = (long) maxRecordBytes + FRAME_OVERHEAD_BYTES;
        if (maxSegmentBytes < smallestSegmentBytes || maxSegmentBytes > MAX_SEGMENT_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxSegmentBytes must be in [maxRecordBytes + "
                    + FRAME_OVERHEAD_BYTES + " = " + smallestSegmentBytes + ", " + MAX_SEGMENT_BYTES_LIMIT
                    + "] so that the largest record fits in one segment, was " + maxSegmentBytes);
        }
        if (writeBufferBytes < 0 || writeBufferBytes > MAX_WRITE_BUFFER_BYTES) {
            throw new IllegalArgumentException("writeBufferBytes must be in [0, " + MAX_WRITE_BUFFER_BYTES
                    + "], was " + writeBufferBytes);
        }
    }

    /** 64 MiB segments, 16 MiB records, 256 KiB write buffer. */
    public static LogOptions defaults() {
        return new LogOptions(DEFAULT_MAX_SEGMENT_BYTES, DEFAULT_MAX_RECORD_BYTES, DEFAULT_WRITE_BUFFER_BYTES);
    }

    /** A copy with another segment size. */
    public LogOptions withMaxSegmentBytes(long bytes) {
        return new LogOptions(bytes, maxRecordBytes, writeBufferBytes);
    }

    /** A copy with another record cap. */
    public LogOptions withMaxRecordBytes(int bytes) {
        return new LogOptions(maxSegmentBytes, bytes, writeBufferBytes);
    }

    /** A copy with another write buffer size. */
    public LogOptions withWriteBufferBytes(int bytes) {
        return new LogOptions(maxSegmentBytes, maxRecordBytes, bytes);
    }
}
