package io.bulwark.paxos.log;

import io.bulwark.core.Invariants;
import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LogFile;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Snapshot files of one replica: saved whole and atomically, verified on load, streamed to peers in
 * chunks, and received from peers in resumable chunks.
 *
 * <h2>Files</h2>
 * {@code snap-<index, 20 digits>.snap}: a 28-byte header (magic {@code BWSN}, format version, index,
 * metadata and state lengths, CRC32C of every other byte of the file), then metadata, then state.
 * {@code snap-<index>.partial}: a snapshot being received. {@code snap-<index>.snap.corrupt}: one that failed
 * verification and was {@linkplain #setAside set aside}. Other names in the store are ignored, so the
 * write-ahead log can share it.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #save} is atomic and durable when it returns; then all but the newest
 *       {@value #RETAINED_SNAPSHOTS} snapshots are deleted (two, so an operator has something to inspect
 *       if the newest turns out damaged).</li>
 *   <li>{@link #latest()} verifies the newest snapshot and throws {@link CorruptSnapshotException} if it is
 *       damaged. It does not fall back to the older one: log records between the two may already have been
 *       deleted, so the older snapshot could silently miss acknowledged writes.</li>
 *   <li>Sending: {@link #openSource(long)} gives size, CRC and positional reads of a saved file.
 *       Receiving: {@link #beginReceive} / {@link SnapshotReceiver}, resumable across restarts.</li>
 *   <li>Snapshots are limited to {@code maxSnapshotBytes} encoded bytes (default 1 GiB) because they are
 *       loaded into memory whole.</li>
 * </ul>
 *
 * <p>Thread-safety: none; the replica's driver owns it.
 */
public final class SnapshotStore {

    /** How many verified-on-save snapshots are kept. */
    public static final int RETAINED_SNAPSHOTS = 2;
    /** Default cap on a snapshot's encoded size. */
    public static final int DEFAULT_MAX_SNAPSHOT_BYTES = 1 << 30;
    /** Largest cap allowed: the longest byte array the JVM reliably allocates. */
    public static final int MAX_SNAPSHOT_BYTES_LIMIT = Integer.MAX_VALUE - 8;
    /** Bytes a snapshot file adds to metadata and state. */
    public static final int HEADER_BYTES = SnapshotFormat.HEADER_BYTES;

    private static final String SNAPSHOT_SUFFIX = ".snap";
    private static final String PARTIAL_SUFFIX = ".partial";
    private static final String CORRUPT_SUFFIX = ".corrupt";

    private final FileStore store;
    private final int maxSnapshotBytes;

    private SnapshotStore(FileStore store, int maxSnapshotBytes) {
        this.store = store;
        this.maxSnapshotBytes = maxSnapshotBytes;
    }

    /** A snapshot store over {@code store} with the default 1 GiB cap. Does no I/O. */
    public static SnapshotStore open(FileStore store) {
        return open(store, DEFAULT_MAX_SNAPSHOT_BYTES);
    }

    /**
     * A snapshot store over {@code store} whose snapshots may be at most {@code maxSnapshotBytes} encoded
     * bytes ({@value #HEADER_BYTES} to {@value #MAX_SNAPSHOT_BYTES_LIMIT}). Does no I/O.
     */
    public static SnapshotStore open(FileStore store, int maxSnapshotBytes) {
        Objects.requireNonNull(store, "store");
        if (maxSnapshotBytes < HEADER_BYTES || maxSnapshotBytes > MAX_SNAPSHOT_BYTES_LIMIT) {
            throw new IllegalArgumentException("maxSnapshotBytes must be in [" + HEADER_BYTES + ", "
                    + MAX_SNAPSHOT_BYTES_LIMIT + "], was " + maxSnapshotBytes);
        }
        return new SnapshotStore(store, maxSnapshotBytes);
    }

    /** The file a snapshot at {@code index} is saved in. */
    public static String fileName(long index) {
        Invariants.requireNonNegative(index, "snapshot index");
        return SnapshotFormat.fileName(index);
    }

    /**
     * The exact bytes {@link #save} writes for {@code snapshot}, for senders that hold a snapshot in memory.
     * Its CRC for {@link #beginReceive} is {@link #headerCrc32c(byte[])}.
     */
    public static byte[] encode(StoredSnapshot snapshot) {
        return SnapshotFormat.encode(Objects.requireNonNull(snapshot, "snapshot"));
    }

    /** The CRC32C stored in the header of encoded snapshot bytes: the {@code crc32c} that receivers expect. */
    public static int headerCrc32c(byte[] encoded) {
        if (encoded.length < HEADER_BYTES) {
            throw new IllegalArgumentException("encoded snapshot must be at least " + HEADER_BYTES + " bytes");
        }
        return LogFrame.getInt(encoded, SnapshotFormat.CRC_OFFSET);
    }

    /**
     * Saves a snapshot atomically and durably, then deletes all but the newest {@value #RETAINED_SNAPSHOTS}.
     * Saving the same index again replaces it.
     *
     * @throws IllegalArgumentException if the index is negative or below the newest saved snapshot's, or the
     *                                  snapshot exceeds {@code maxSnapshotBytes}
     * @throws IOException              if writing fails (nothing is half-written) or, after the new snapshot is
     *                                  durable, deleting an old one fails
     */
    public void save(long index, byte[] metadata, byte[] state) throws IOException {
        StoredSnapshot snapshot = new StoredSnapshot(index, metadata, state);
        long totalBytes = (long) HEADER_BYTES + metadata.length + state.length;
        if (totalBytes > maxSnapshotBytes) {
            throw new IllegalArgumentException("snapshot of " + totalBytes + " bytes exceeds maxSnapshotBytes "
                    + maxSnapshotBytes);
        }
        requireNotOlderThanNewest(index);
        store.writeAtomically(SnapshotFormat.fileName(index), SnapshotFormat.encode(snapshot));
        prune();
    }

    /**
     * The newest snapshot, verified; empty if none was ever saved.
     *
     * @throws CorruptSnapshotException if the newest snapshot fails verification (see the class Javadoc for
     *                                  why there is no fallback)
     */
    public Optional<StoredSnapshot> latest() throws IOException {
        OptionalLong newest = latestIndex();
        if (newest.isEmpty()) {
            return Optional.empty();
        }
        long index = newest.getAsLong();
        String name = SnapshotFormat.fileName(index);
        long sizeBytes;
        try (LogFile file = store.open(name)) {
            sizeBytes = file.size();
        }
        if (sizeBytes > maxSnapshotBytes) {
            throw new CorruptSnapshotException(name, "file is " + sizeBytes + " bytes, above maxSnapshotBytes "
                    + maxSnapshotBytes);
        }
        return Optional.of(SnapshotFormat.decode(name, store.readAll(name), index));
    }

    /**
     * The snapshot saved at {@code index}, verified. For drivers that choose among the saved snapshots
     * themselves because they know which log records are still kept (see the class Javadoc: falling back to
     * an older snapshot is safe only if the log still holds every record after it).
     *
     * @throws NoSuchFileException      if there is no snapshot at {@code index}
     * @throws CorruptSnapshotException if it fails verification
     */
    public StoredSnapshot load(long index) throws IOException {
        String name = fileName(index);
        if (!store.exists(name)) {
            throw new NoSuchFileException(name, null, "no snapshot saved at index " + index);
        }
        long sizeBytes;
        try (LogFile file = store.open(name)) {
            sizeBytes = file.size();
        }
        if (sizeBytes > maxSnapshotBytes) {
            throw new CorruptSnapshotException(name, "file is " + sizeBytes + " bytes, above maxSnapshotBytes "
                    + maxSnapshotBytes);
        }
        return SnapshotFormat.decode(name, store.readAll(name), index);
    }

    /** Indexes of the saved snapshots by file name, oldest first, without reading or verifying them. */
    public List<Long> savedIndexes() throws IOException {
        return indexes(SNAPSHOT_SUFFIX);
    }

    /**
     * Renames the snapshot at {@code index} to {@code snap-<index>.snap.corrupt}, out of the way of
     * {@link #latest()}, {@link #save} and retention, but kept for an operator to inspect. No error if absent.
     */
    public void setAside(long index) throws IOException {
        String name = fileName(index);
        if (store.exists(name)) {
            store.rename(name, name + CORRUPT_SUFFIX);
        }
    }

    /** Index of the newest saved snapshot by file name, without reading or verifying it. */
    public OptionalLong latestIndex() throws IOException {
        List<Long> saved = indexes(SNAPSHOT_SUFFIX);
        return saved.isEmpty() ? OptionalLong.empty() : OptionalLong.of(saved.get(saved.size() - 1));
    }

    /**
     * Opens the saved snapshot at {@code index} for streaming to a peer. Its header is checked; the body is
     * not (the receiver checks the CRC of everything).
     *
     * @throws NoSuchFileException      if there is no snapshot at {@code index}
     * @throws CorruptSnapshotException if its header is damaged
     */
    public SnapshotSource openSource(long index) throws IOException {
        String name = fileName(index);
        if (!store.exists(name)) {
            throw new NoSuchFileException(name, null, "no snapshot saved at index " + index);
        }
        LogFile file = store.open(name);
        try {
            long sizeBytes = file.size();
            byte[] header = new byte[HEADER_BYTES];
            if (sizeBytes < HEADER_BYTES || file.read(0, header, 0, HEADER_BYTES) != HEADER_BYTES) {
                throw new CorruptSnapshotException(name, "only " + sizeBytes + " bytes, shorter than the header");
            }
            String problem = SnapshotFormat.headerProblem(header, index, sizeBytes);
            if (problem != null) {
                throw new CorruptSnapshotException(name, problem);
            }
            return new SnapshotSource(file, index, sizeBytes, LogFrame.getInt(header, SnapshotFormat.CRC_OFFSET));
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /**
     * Starts (or resumes) receiving the snapshot at {@code index} from a peer, into
     * {@code snap-<index>.partial}. If a partial file for the same index, size and CRC exists, reception
     * resumes at its {@link SnapshotReceiver#receivedBytes()}; any other partial file is discarded.
     *
     * @param totalBytes size of the encoded snapshot ({@link SnapshotSource#sizeBytes()})
     * @param crc32c     the CRC32C in the snapshot's header ({@link SnapshotSource#crc32c()}), which covers every
     *                   byte of the encoded snapshot except itself
     * @throws IllegalArgumentException if the index is negative or older than the newest saved snapshot, or
     *                                  {@code totalBytes} is outside [{@value #HEADER_BYTES}, maxSnapshotBytes]
     */
    public SnapshotReceiver beginReceive(long index, long totalBytes, int crc32c) throws IOException {
        Invariants.requireNonNegative(index, "snapshot index");
        if (totalBytes < HEADER_BYTES || totalBytes > maxSnapshotBytes) {
            throw new IllegalArgumentException("totalBytes must be in [" + HEADER_BYTES + ", " + maxSnapshotBytes
                    + "], was " + totalBytes);
        }
        requireNotOlderThanNewest(index);
        for (long other : indexes(PARTIAL_SUFFIX)) {
            if (other != index) {
                store.delete(SnapshotFormat.partialName(other)); // a limit on disk use: one transfer at a time
            }
        }
        LogFile file = store.open(SnapshotFormat.partialName(index));
        try {
            if (file.size() > 0 && !canResume(file, index, totalBytes, crc32c)) {
                file.truncate(0);
            }
            return new SnapshotReceiver(this, file, index, totalBytes, crc32c);
        } catch (IOException | RuntimeException e) {
            file.close();
            throw e;
        }
    }

    FileStore fileStore() {
        return store;
    }

    /** Deletes all but the newest snapshots, and partial files that a saved snapshot made obsolete. */
    void prune() throws IOException {
        List<Long> saved = indexes(SNAPSHOT_SUFFIX);
        for (int i = 0; i < saved.size() - RETAINED_SNAPSHOTS; i++) {
            store.delete(SnapshotFormat.fileName(saved.get(i)));
        }
        if (!saved.isEmpty()) {
            long newest = saved.get(saved.size() - 1);
            for (long partial : indexes(PARTIAL_SUFFIX)) {
                if (partial <= newest) {
                    store.delete(SnapshotFormat.partialName(partial));
                }
            }
        }
    }

    private static boolean canResume(LogFile file, long index, long totalBytes, int crc32c) throws IOException {
        if (file.size() < HEADER_BYTES || file.size() > totalBytes) {
            return false; // too short to tell whose bytes these are, or impossible: start over
        }
        byte[] header = new byte[HEADER_BYTES];
        if (file.read(0, header, 0, HEADER_BYTES) != HEADER_BYTES) {
            return false;
        }
        return SnapshotFormat.headerProblem(header, index, totalBytes) == null
                && LogFrame.getInt(header, SnapshotFormat.CRC_OFFSET) == crc32c;
    }

    private void requireNotOlderThanNewest(long index) throws IOException {
        OptionalLong newest = latestIndex();
        if (newest.isPresent() && newest.getAsLong() > index) {
            // Retention would delete it at once, and the log below the newer snapshot may already be gone.
            throw new IllegalArgumentException("snapshot index " + index + " is older than the newest saved snapshot "
                    + newest.getAsLong());
        }
    }

    private List<Long> indexes(String suffix) throws IOException {
        List<Long> result = new ArrayList<>();
        for (String name : store.list()) {
            long index = SnapshotFormat.parseIndex(name, suffix);
            if (index >= 0) {
                result.add(index); // list() is sorted and names are zero-padded, so indexes ascend
            }
        }
        return result;
    }
}
