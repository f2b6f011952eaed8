package io.bulwark.paxos.log;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LogFile;
import io.bulwark.paxos.log.LogFrame.Bad;
import io.bulwark.paxos.log.LogFrame.Frame;
import io.bulwark.paxos.log.RecoveryReport.TruncatedTail;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Reads every segment of a {@link SegmentedLog} back, deciding for the first bad frame whether it is a
 * tail that was never synced (truncate) or damage to acknowledged data ({@link CorruptLogException}).
 * The rules are in {@link SegmentedLog}'s Javadoc. Reads only: the caller rewrites the last segment.
 * Single use, single-threaded.
 */
final class LogRecovery {

    static final String SEGMENT_PREFIX = "wal-";
    static final String SEGMENT_SUFFIX = ".log";
    private static final int LSN_DIGITS = 20;

    /** A segment file and the LSN of the first data record it holds (or would hold). */
    record Segment(String name, long firstLsn) {
    }

    /**
     * Everything {@link SegmentedLog} needs to continue after recovery. {@code lastSegmentValidBytes} is the
     * last segment's content up to the end of its last valid frame; recovery has not yet written anything.
     */
    record Result(List<Segment> segments, byte[] lastSegmentValidBytes, List<LogRecord> records,
            long lastLsn, boolean endsWithMarker, RecoveryReport report) {
    }

    static String segmentName(long firstLsn) {
        return SEGMENT_PREFIX + String.format("%0" + LSN_DIGITS + "d", firstLsn) + SEGMENT_SUFFIX;
    }

    /** The first LSN encoded in a segment file name, or -1 if the name is not a segment's. */
    static long parseSegmentName(String name) {
        if (name.length() != SEGMENT_PREFIX.length() + LSN_DIGITS + SEGMENT_SUFFIX.length()
                || !name.startsWith(SEGMENT_PREFIX) || !name.endsWith(SEGMENT_SUFFIX)) {
            return -1;
        }
        String digits = name.substring(SEGMENT_PREFIX.length(), SEGMENT_PREFIX.length() + LSN_DIGITS);
        for (int i = 0; i < digits.length(); i++) {
            if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
                return -1;
            }
        }
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            return -1; // 20 digits can exceed a long; no segment Bulwark wrote has such a name
        }
    }

    private final List<LogRecord> records = new ArrayList<>();
    /** LSN the next data frame must carry. */
    private long expectedLsn;
    /** Highest synced LSN any valid frame so far vouched for. */
    private long maxSyncedLsn;
    private boolean endsWithMarker;
    private Optional<TruncatedTail> tail = Optional.empty();

    private LogRecovery(long firstLsn) {
        this.expectedLsn = firstLsn;
    }

    static Result recover(FileStore store) throws IOException {
        List<Segment> segments = new ArrayList<>();
        for (String name : store.list()) {
            long firstLsn = parseSegmentName(name);
            if (firstLsn >= 0) {
                segments.add(new Segment(name, firstLsn)); // list() is sorted and names are zero-padded
            }
        }
        if (segments.isEmpty()) {
            return new Result(List.of(new Segment(segmentName(1), 1)), new byte[0], List.of(), 0, false,
                    new RecoveryReport(0, 0, Optional.empty()));
        }
        if (segments.get(0).firstLsn() < 1) {
            throw new CorruptLogException(segments.get(0).name(), 0, "segment names LSN 0; LSNs start at 1");
        }
        LogRecovery recovery = new LogRecovery(segments.get(0).firstLsn());
        byte[] lastSegmentValidBytes = null;
        for (int i = 0; i < segments.size(); i++) {
            Segment segment = segments.get(i);
            if (segment.firstLsn() != recovery.expectedLsn) {
                throw new CorruptLogException(segment.name(), 0, "the file name says the segment starts at LSN "
                        + segment.firstLsn() + " but the previous segment ends at LSN " + (recovery.expectedLsn - 1)
                        + ": a segment or records are missing");
            }
            byte[] content;
            try (LogFile file = store.open(segment.name())) {
                content = readSegment(file);
            }
            boolean isLast = i == segments.size() - 1;
            int validBytes = recovery.scan(segment, content, isLast);
            if (isLast) {
                lastSegmentValidBytes = validBytes == content.length ? content : Arrays.copyOf(content, validBytes);
            }
        }
        RecoveryReport report = new RecoveryReport(segments.size(), recovery.records.size(), recovery.tail);
        return new Result(segments, lastSegmentValidBytes, recovery.records, recovery.expectedLsn - 1,
                recovery.endsWithMarker, report);
    }

    /**
     * Collects the frames of one segment. Returns how many leading bytes are valid: all of them, or (only
     * in the last segment) the offset of a bad frame shown to be an unsynced tail.
     */
    private int scan(Segment segment, byte[] content, boolean isLast) throws CorruptLogException {
        int position = 0;
        while (position < content.length) {
            var parsed = LogFrame.parse(content, position, content.length);
            String problem = parsed instanceof Frame f
                    ? semanticProblem(f, expectedLsn, maxSyncedLsn)
                    : ((Bad) parsed).reason();
            if (problem != null) {
                checkIsUnsyncedTail(segment, isLast, content, position, expectedLsn, problem);
                tail = Optional.of(new TruncatedTail(segment.name(), position, content.length - position, problem));
                return position;
            }
            Frame frame = (Frame) parsed;
            if (frame.isData()) {
                records.add(new LogRecord(frame.lsn(), Arrays.copyOfRange(content, frame.payloadOffset(),
                        frame.payloadOffset() + frame.payloadLength())));
                expectedLsn++;
                endsWithMarker = false;
            } else {
                endsWithMarker = true;
            }
            maxSyncedLsn = Math.max(maxSyncedLsn, frame.syncedLsn());
            position += frame.frameBytes();
        }
        return position;
    }

    private static byte[] readSegment(LogFile file) throws IOException {
        long size = file.size();
        if (size > LogOptions.MAX_SEGMENT_BYTES_LIMIT) {
            throw new CorruptLogException(file.name(), 0, "the segment is " + size
                    + " bytes, larger than any segment Bulwark writes (" + LogOptions.MAX_SEGMENT_BYTES_LIMIT + ")");
        }
        byte[] content = new byte[(int) size];
        int read = 0;
        while (read < content.length) {
            int n = file.read(read, content, read, content.length - read);
            if (n < 0) {
                throw new IOException("segment " + file.name() + " shrank from " + size + " to " + read
                        + " bytes while being recovered; is another process using this directory?");
            }
            read += n;
        }
        return content;
    }

    /** Why a CRC-valid frame still does not belong at this point of the log, or {@code null} if it does. */
    private static String semanticProblem(Frame f, long expectedLsn, long maxSyncedLsn) {
        if (f.isData()) {
            if (f.lsn() != expectedLsn) {
                return "record has LSN " + f.lsn() + " where LSN " + expectedLsn + " was expected"
                        + " (LSNs must be consecutive)";
            }
            if (f.syncedLsn() >= f.lsn()) {
                return "record " + f.lsn() + " claims synced LSN " + f.syncedLsn() + ", not below its own LSN";
            }
        } else {
            if (f.lsn() != expectedLsn - 1 || f.syncedLsn() != f.lsn() || f.payloadLength() != 0) {
                return "sync marker for LSN " + f.lsn() + " (synced LSN " + f.syncedLsn() + ", " + f.payloadLength()
                        + " payload bytes) where a marker for LSN " + (expectedLsn - 1) + " with no payload was expected";
            }
        }
        if (f.syncedLsn() < maxSyncedLsn) {
            return "synced LSN went backwards from " + maxSyncedLsn + " to " + f.syncedLsn();
        }
        return null;
    }

    /**
     * Throws unless the bad frame at {@code position} can be proven to be a tail that was never synced:
     * it is in the last segment and no valid frame follows it. Every frame that is written after a sync
     * carries that sync's LSN, and frames are written in order, so any valid frame after the bad one
     * means the bad bytes were written over or damaged after being written, not torn mid-write.
     */
    private static void checkIsUnsyncedTail(Segment segment, boolean isLast, byte[] content, int position,
            long badLsn, String problem) throws CorruptLogException {
        if (!isLast) {
            throw new CorruptLogException(segment.name(), position, problem + "; this is not the last segment,"
                    + " and a segment is synced before the next one is created, so these records were synced");
        }
        // Frames after the bad one carry LSN >= badLsn - 1 (a marker repeats the last data LSN) and there
        // can be at most one frame per HEADER_BYTES of what is left.
        long minLsn = badLsn - 1;
        long maxLsn = badLsn + (content.length - position) / LogFrame.HEADER_BYTES;
        for (int probe = position + 1; probe <= content.length - LogFrame.HEADER_BYTES; probe++) {
            if (LogFrame.isCrcValidFrameIn(content, probe, content.length, minLsn, maxLsn)) {
                long laterLsn = LogFrame.getLong(content, probe + 8);
                long laterSyncedLsn = LogFrame.getLong(content, probe + 16);
                String synced = laterSyncedLsn >= badLsn
                        ? " and says LSN " + laterSyncedLsn + " (>= " + badLsn + ") was synced"
                        : "";
                throw new CorruptLogException(segment.name(), position, problem + " at LSN " + badLsn
                        + "; yet a valid frame (LSN " + laterLsn + ") starts later at offset " + probe + synced
                        + ", so this is damage inside written records, not a torn tail");
            }
        }
    }
}
