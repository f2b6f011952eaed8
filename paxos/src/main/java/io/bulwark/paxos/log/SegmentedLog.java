package io.bulwark.paxos.log;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LogFile;
import io.bulwark.paxos.log.LogRecovery.Segment;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A write-ahead log of opaque records, split into segment files, with group commit and recovery that
 * never silently drops a synced record.
 *
 * <h2>Layout</h2>
 * Segment files are named {@code wal-<first LSN, 20 digits>.log}. Every record is one frame
 * (length, CRC32C, LSN, synced LSN, type, payload; see {@code LogFrame}). A new segment is started
 * before a frame would push the active one past {@link LogOptions#maxSegmentBytes()}; the previous
 * segment is flushed and fsynced <em>before</em> the new file is created, so every segment but the last
 * is always fully durable, and the new file is synced while still empty, so that the active segment's
 * name (which carries the next LSN) survives a crash even after older segments are deleted. A roll
 * therefore costs two fsyncs, once per segment. LSNs are 1, 2, 3, ... across segments. Sync markers
 * ({@link #markSynced()}) do not take an LSN: a marker's LSN field repeats the last data LSN.
 *
 * <h2>Durability</h2>
 * {@link #append} returns once the frame is buffered or written; nothing is durable until
 * {@link #sync()} returns, which flushes and fsyncs once for everything appended so far (group commit).
 * Every frame records the highest LSN known durable when it was written ({@link #syncedLsn()}).
 *
 * <h2>Recovery ({@link #open})</h2>
 * Segments are scanned in order; LSNs must be consecutive. At the first bad frame (short read, bad
 * length, bad CRC, unknown type, or a CRC-valid frame whose LSN or synced LSN does not fit):
 * <ul>
 *   <li>if it is in the last segment and no valid frame follows it (every later offset is probed), it is
 *       a torn or unsynced tail: it is cut off (durably, by the rewrite below) and the cut is reported in
 *       {@link #recoveryReport()}. This is safe because no frame after it exists to say it was synced;</li>
 *   <li>otherwise {@link CorruptLogException} names the segment, the offset and the reason. A bad frame in
 *       an earlier segment was synced before the roll; a valid frame after the bad one means the bad one
 *       was damaged after being written (and if that frame's synced LSN reaches the bad record, the record
 *       was acknowledged).</li>
 * </ul>
 * The one case recovery cannot tell apart: a bit flip in the <em>last</em> frame of a synced batch that
 * no later frame follows looks exactly like a torn write, and is truncated. {@link #markSynced()} closes
 * that window: drivers call it when the log goes idle, so the last data frame is followed by a marker.
 * Conversely, a crash that persists unsynced pages out of order (a hole followed by valid frames) is
 * reported as corruption: a false alarm that costs a rebuild from peers, chosen over silent loss.
 * Finally the last segment's valid bytes are rewritten atomically (temp file, fsync, rename, directory
 * fsync), so every recovered record is durable and {@link #syncedLsn()} equals {@link #lastLsn()}. A plain
 * fsync would not do: after the previous process saw an fsync fail, the kernel may hold those bytes as
 * clean pages that a new fsync never writes. This costs one write of at most one segment per open.
 * Log the {@link RecoveryReport}: the log does not log.
 *
 * <h2>Failures</h2>
 * Any I/O error while writing, rolling or syncing puts the log in a failed state: that call and every
 * later one except {@link #lastLsn()}, {@link #syncedLsn()}, {@link #recovered()},
 * {@link #recoveryReport()} and {@link #close()} throws {@link LogFailedException}. fsync is never retried.
 * A failed {@link #deleteSegmentsBelow} is not fatal (the deleted-or-not segment is still consistent).
 *
 * <p>Thread-safety: none; one thread (the replica's driver) owns the log.
 */
public final class SegmentedLog implements Closeable {

    private static final byte[] NO_PAYLOAD = new byte[0];

    private final FileStore store;
    private final LogOptions options;
    private final List<Segment> segments;
    private final List<LogRecord> recovered;
    private final RecoveryReport recoveryReport;
    private final byte[] writeBuffer;
    private final byte[] headerScratch = new byte[LogFrame.HEADER_BYTES];

    private LogFile active;
    /** Size of the active segment including bytes still in {@link #writeBuffer}. */
    private long activeBytes;
    private int bufferedBytes;
    private long lastLsn;
    private long syncedLsn;
    /** Whether frames were written since the last fsync of the active segment. */
    private boolean dirty;
    /** LSN that the newest frame, if it is a sync marker, vouches for; -1 otherwise. */
    private long markedLsn;
    private LogFailedException failure;
    private boolean closed;

    private SegmentedLog(FileStore store, LogOptions options, LogRecovery.Result recovery, LogFile active) {
        this.store = store;
        this.options = options;
        this.segments = new ArrayList<>(recovery.segments());
        this.recovered = List.copyOf(recovery.records());
        this.recoveryReport = recovery.report();
        this.writeBuffer = new byte[options.writeBufferBytes()];
        this.active = active;
        this.activeBytes = active.size();
        this.lastLsn = recovery.lastLsn();
        this.syncedLsn = recovery.lastLsn();
        this.markedLsn = recovery.endsWithMarker() ? recovery.lastLsn() : -1;
    }

    /**
     * Opens the log in {@code store}, creating it if there is none, and recovers it as described above.
     * Files in the store that are not named like segments are ignored, so snapshots may share the store.
     *
     * @throws CorruptLogException if the log is damaged in a way that may affect synced records
     * @throws IOException         if the store fails
     */
    public static SegmentedLog open(FileStore store, LogOptions options) throws IOException {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(options, "options");
        LogRecovery.Result recovery = LogRecovery.recover(store);
        // Rewrite the last segment's valid bytes as a new file (temp, fsync, rename, directory fsync) rather
        // than fsync the old one. Bytes read back after the previous process died may exist only in the page
        // cache; worse, if that process saw an fsync fail, the kernel has marked them clean, so a fresh fsync
        // would return success without writing them (fsyncgate) and a later power loss would drop records
        // this log reported synced. The atomic rewrite also drops a torn tail durably. Found by the simulator.
        String lastName = recovery.segments().get(recovery.segments().size() - 1).name();
        store.writeAtomically(lastName, recovery.lastSegmentValidBytes());
        LogFile active = store.open(lastName);
        return new SegmentedLog(store, options, recovery, active);
    }

    /**
     * Records that survived recovery, in LSN order, without sync markers. Unmodifiable. The list lives as
     * long as the log; its size is bounded by what {@link #deleteSegmentsBelow} leaves on disk.
     */
    public List<LogRecord> recovered() {
        return recovered;
    }

    /** What recovery found and did. */
    public RecoveryReport recoveryReport() {
        return recoveryReport;
    }

    /** LSN of the newest appended record; 0 if none was ever appended. */
    public long lastLsn() {
        return lastLsn;
    }

    /** Highest LSN known durable: every record up to it survives a crash. */
    public long syncedLsn() {
        return syncedLsn;
    }

    /**
     * Appends a record and returns its LSN. Not durable until {@link #sync()}.
     *
     * @throws IllegalArgumentException if the payload is larger than {@link LogOptions#maxRecordBytes()}
     * @throws LogFailedException       if the log failed now or earlier
     */
    public long append(byte[] payload) throws IOException {
        Objects.requireNonNull(payload, "payload");
        ensureUsable();
        if (payload.length > options.maxRecordBytes()) {
            throw new IllegalArgumentException("record of " + payload.length + " bytes exceeds maxRecordBytes "
                    + options.maxRecordBytes() + "; split it or raise LogOptions.maxRecordBytes");
        }
        if (lastLsn == Long.MAX_VALUE) {
            throw new IllegalStateException("LSN space exhausted at " + lastLsn);
        }
        long lsn = lastLsn + 1;
        writeFrame(lsn, LogFrame.TYPE_DATA, payload);
        lastLsn = lsn;
        markedLsn = -1;
        return lsn;
    }

    /**
     * Makes every record appended so far durable with one fsync (group commit). Does nothing if nothing
     * was written since the last sync.
     *
     * @throws LogFailedException if the write or fsync fails (the log is then failed for good)
     */
    public void sync() throws IOException {
        ensureUsable();
        if (!dirty) {
            return;
        }
        try {
            flushBuffer();
            active.sync();
        } catch (IOException e) {
            throw fail("flush or fsync of " + active.name(), e);
        }
        dirty = false;
        syncedLsn = lastLsn;
    }

    /**
     * Syncs, then appends and syncs a sync marker vouching that every record up to {@link #lastLsn()} is
     * durable. Call it when the log goes idle: without a frame after the last synced batch, recovery
     * could not tell damage to that batch's last record from a torn write. Does nothing if the newest
     * frame already is such a marker, so idle drivers may call it on every tick without growing the log.
     *
     * @throws LogFailedException if a write or fsync fails
     */
    public void markSynced() throws IOException {
        ensureUsable();
        if (lastLsn == 0 || (markedLsn == lastLsn && !dirty)) {
            return;
        }
        // The marker must not reach the disk before the records it vouches for, or a crash could leave a
        // valid marker after a torn record: recovery would then, rightly, call the log corrupt.
        sync();
        writeFrame(lastLsn, LogFrame.TYPE_SYNC_MARKER, NO_PAYLOAD);
        sync();
        markedLsn = lastLsn;
    }

    /**
     * Deletes, oldest first, every segment whose records all have an LSN below {@code lsn}, never the
     * active segment. Each deletion is durable before the next, so a crash leaves a contiguous suffix.
     * Call it only for records that a durable snapshot covers.
     *
     * @throws LogFailedException if the log failed earlier
     * @throws IOException        if a deletion fails; the log stays usable and a later call retries
     */
    public void deleteSegmentsBelow(long lsn) throws IOException {
        ensureUsable();
        // Segment i holds LSNs [first(i), first(i + 1) - 1]; all are below lsn iff first(i + 1) <= lsn.
        while (segments.size() > 1 && segments.get(1).firstLsn() <= lsn) {
            store.delete(segments.get(0).name());
            segments.remove(0);
        }
    }

    /** First LSN of each segment currently in use, oldest first (the LSN its name carries). */
    public List<Long> segmentFirstLsns() {
        return segments.stream().map(Segment::firstLsn).toList();
    }

    /** Names of the segment files currently in use, oldest first; the last one is active. */
    public List<String> segmentNames() {
        return segments.stream().map(Segment::name).toList();
    }

    /**
     * Writes buffered frames to the file (without fsync: close does not make anything durable) and closes
     * it. Idempotent; works on a failed log, where it only releases the file.
     */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (failure == null) {
                flushBuffer();
            }
        } finally {
            active.close();
        }
    }

    private void writeFrame(long lsn, byte type, byte[] payload) throws IOException {
        int frameBytes = LogFrame.HEADER_BYTES + payload.length;
        try {
            if (activeBytes > 0 && activeBytes + frameBytes > options.maxSegmentBytes()) {
                roll();
            }
            if (frameBytes > writeBuffer.length - bufferedBytes) {
                flushBuffer();
            }
            if (frameBytes <= writeBuffer.length) {
                LogFrame.writeHeader(writeBuffer, bufferedBytes, lsn, syncedLsn, type, payload, 0, payload.length);
                System.arraycopy(payload, 0, writeBuffer, bufferedBytes + LogFrame.HEADER_BYTES, payload.length);
                bufferedBytes += frameBytes;
            } else {
                // Too big for the buffer: two writes beat copying megabytes into a fresh array.
                LogFrame.writeHeader(headerScratch, 0, lsn, syncedLsn, type, payload, 0, payload.length);
                active.append(headerScratch, 0, headerScratch.length);
                active.append(payload, 0, payload.length);
            }
        } catch (IOException e) {
            throw fail("write to " + active.name(), e);
        }
        activeBytes += frameBytes;
        dirty = true;
    }

    private void roll() throws IOException {
        // Sync the full segment before creating the next: recovery may then treat damage in any segment
        // but the last as damage to synced data, and a crash can never leave a torn segment in the middle.
        flushBuffer();
        active.sync();
        dirty = false;
        syncedLsn = lastLsn;
        active.close();
        Segment next = new Segment(LogRecovery.segmentName(lastLsn + 1), lastLsn + 1);
        LogFile file = store.open(next.name());
        if (file.size() != 0) {
            file.close();
            throw new IOException("new segment " + next.name() + " already exists with " + file.size()
                    + " bytes; refusing to append after foreign data");
        }
        // Make the new file's name durable now (fsync of the empty file syncs the directory). Otherwise
        // deleteSegmentsBelow could durably delete every older segment while this one can still vanish in a
        // crash, and the log would come back empty, restarting LSNs at 1. Found by the simulator.
        try {
            file.sync();
        } catch (IOException e) {
            file.close();
            throw e;
        }
        segments.add(next);
        active = file;
        activeBytes = 0;
    }

    private void flushBuffer() throws IOException {
        if (bufferedBytes > 0) {
            active.append(writeBuffer, 0, bufferedBytes);
            bufferedBytes = 0;
        }
    }

    private LogFailedException fail(String what, IOException cause) {
        failure = new LogFailedException(what, cause);
        return failure;
    }

    private void ensureUsable() throws LogFailedException {
        if (closed) {
            throw new IllegalStateException("the log is closed");
        }
        if (failure != null) {
            throw new LogFailedException("refusing use after an earlier failure", failure);
        }
    }
}
