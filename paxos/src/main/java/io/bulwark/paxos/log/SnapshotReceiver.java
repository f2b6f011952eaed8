package io.bulwark.paxos.log;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LogFile;
import java.io.Closeable;
import java.io.IOException;
import java.util.Objects;

/**
 * Receives one snapshot from a peer in chunks, from {@link SnapshotStore#beginReceive}.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Chunks arrive in order: {@link #write} requires {@code offset == receivedBytes()}; otherwise the
 *       sender must restart from {@link #receivedBytes()}.</li>
 *   <li>Chunks are not synced one by one (that would be an fsync per chunk). After a restart,
 *       {@link SnapshotStore#beginReceive} resumes from what the partial file holds; if a machine crash
 *       left garbage there, {@link #finish()} catches it with the CRC and the transfer starts over.</li>
 *   <li>{@link #finish()} verifies the CRC32C of the whole snapshot and its header; on failure it deletes
 *       the partial file and throws {@link CorruptSnapshotException}. On success it fsyncs the file, renames
 *       it to {@code snap-<index>.snap} (atomic, durable) and applies the store's retention. If that fsync
 *       fails, the partial file is deleted too: it must not be resumed (see {@link SnapshotStore}).</li>
 *   <li>{@link #close()} keeps the partial file for a later resume; {@link #abort()} deletes it.</li>
 * </ul>
 *
 * <p>Thread-safety: none.
 */
public final class SnapshotReceiver implements Closeable {

    private final SnapshotStore owner;
    private final LogFile file;
    private final long index;
    private final long totalBytes;
    private final int crc32c;
    private long receivedBytes;
    private boolean closed;

    SnapshotReceiver(SnapshotStore owner, LogFile file, long index, long totalBytes, int crc32c) {
        this.owner = owner;
        this.file = file;
        this.index = index;
        this.totalBytes = totalBytes;
        this.crc32c = crc32c;
        this.receivedBytes = file.size();
    }

    /** Index of the snapshot being received. */
    public long index() {
        return index;
    }

    /** Size of the whole encoded snapshot. */
    public long totalBytes() {
        return totalBytes;
    }

    /** Bytes received so far: the offset the next chunk must start at. */
    public long receivedBytes() {
        return receivedBytes;
    }

    /**
     * Appends the chunk that starts at {@code offset}.
     *
     * @throws IllegalArgumentException if {@code offset != receivedBytes()} or the chunk runs past
     *                                  {@link #totalBytes()}
     * @throws CorruptSnapshotException if the header, once complete, does not match the index, size and CRC
     *                                  the transfer was started with (the partial file is deleted)
     * @throws IOException              if writing fails; the receiver is then closed, and
     *                                  {@link SnapshotStore#beginReceive} resumes from what reached the file
     */
    public void write(long offset, byte[] chunk) throws IOException {
        Objects.requireNonNull(chunk, "chunk");
        ensureOpen();
        if (offset != receivedBytes) {
            throw new IllegalArgumentException("chunk starts at offset " + offset + " but " + receivedBytes
                    + " bytes of snapshot " + index + " were received; resend from offset " + receivedBytes);
        }
        if (chunk.length > totalBytes - receivedBytes) {
            throw new IllegalArgumentException("chunk of " + chunk.length + " bytes at offset " + offset
                    + " runs past the snapshot's " + totalBytes + " bytes");
        }
        try {
            file.append(chunk, 0, chunk.length);
        } catch (IOException e) {
            close();
            throw e;
        }
        long before = receivedBytes;
        receivedBytes += chunk.length;
        if (before < SnapshotStore.HEADER_BYTES && receivedBytes >= SnapshotStore.HEADER_BYTES) {
            // Check the header as soon as it is complete: a wrong stream fails now, not after a gigabyte.
            byte[] header = new byte[SnapshotStore.HEADER_BYTES];
            file.read(0, header, 0, header.length);
            String problem = SnapshotFormat.headerProblem(header, index, totalBytes);
            if (problem == null && LogFrame.getInt(header, SnapshotFormat.CRC_OFFSET) != crc32c) {
                problem = "header CRC32C " + Integer.toHexString(LogFrame.getInt(header, SnapshotFormat.CRC_OFFSET))
                        + " differs from the announced " + Integer.toHexString(crc32c);
            }
            if (problem != null) {
                abort();
                throw new CorruptSnapshotException(partialName(), problem);
            }
        }
    }

    /**
     * Verifies the received snapshot, makes it the store's snapshot at {@link #index()} and returns it.
     *
     * @throws IllegalStateException    if not all {@link #totalBytes()} were received
     * @throws CorruptSnapshotException if verification fails; the partial file is deleted and the transfer
     *                                  must start again from offset 0
     */
    public StoredSnapshot finish() throws IOException {
        ensureOpen();
        if (receivedBytes != totalBytes) {
            throw new IllegalStateException("received " + receivedBytes + " of " + totalBytes + " bytes of snapshot "
                    + index + "; send the rest before finish()");
        }
        byte[] content = new byte[(int) totalBytes];
        int read = file.read(0, content, 0, content.length);
        StoredSnapshot snapshot;
        try {
            if (read != content.length) {
                throw new CorruptSnapshotException(partialName(), "partial file holds " + Math.max(read, 0)
                        + " bytes, expected " + totalBytes);
            }
            if (LogFrame.getInt(content, SnapshotFormat.CRC_OFFSET) != crc32c) {
                throw new CorruptSnapshotException(partialName(), "header CRC32C differs from the announced one");
            }
            snapshot = SnapshotFormat.decode(partialName(), content, index);
        } catch (CorruptSnapshotException e) {
            abort();
            throw e;
        }
        // The rename must not reach the disk before the content does, or a crash could leave a named but
        // incomplete snapshot (which latest() would then, rightly, refuse).
        try {
            file.sync();
        } catch (IOException e) {
            // Never resume from this partial: after a failed fsync its pages may be clean in the cache but not
            // on disk, and a later fsync would "succeed" without writing them.
            abort();
            throw e;
        }
        close();
        FileStore store = owner.fileStore();
        store.rename(partialName(), SnapshotFormat.fileName(index));
        owner.prune();
        return snapshot;
    }

    /** Stops receiving and deletes the partial file. Idempotent. */
    public void abort() throws IOException {
        close();
        owner.fileStore().delete(partialName());
    }

    /** Stops receiving and keeps the partial file so that a later {@code beginReceive} resumes. Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed) {
            closed = true;
            file.close();
        }
    }

    private String partialName() {
        return SnapshotFormat.partialName(index);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("receiver for snapshot " + index + " is closed; call beginReceive again");
        }
    }
}
