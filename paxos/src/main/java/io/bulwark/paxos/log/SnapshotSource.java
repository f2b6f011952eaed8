package io.bulwark.paxos.log;

import io.bulwark.core.storage.LogFile;
import java.io.Closeable;
import java.io.IOException;

/**
 * A saved snapshot file opened for streaming to a peer, from {@link SnapshotStore#openSource(long)}.
 * The sender passes {@link #index()}, {@link #sizeBytes()} and {@link #crc32c()} to the peer's
 * {@link SnapshotStore#beginReceive}, then sends chunks read with {@link #read} from the peer's
 * {@link SnapshotReceiver#receivedBytes()} onwards.
 *
 * <p>Thread-safety: none. Close it when done; it holds an open file.
 */
public final class SnapshotSource implements Closeable {

    private final LogFile file;
    private final long index;
    private final long sizeBytes;
    private final int crc32c;

    SnapshotSource(LogFile file, long index, long sizeBytes, int crc32c) {
        this.file = file;
        this.index = index;
        this.sizeBytes = sizeBytes;
        this.crc32c = crc32c;
    }

    /** The snapshot's index. */
    public long index() {
        return index;
    }

    /** Size of the encoded snapshot: the receiver's {@code totalBytes}. */
    public long sizeBytes() {
        return sizeBytes;
    }

    /** The CRC32C from the snapshot's header: the receiver's {@code crc32c}. */
    public int crc32c() {
        return crc32c;
    }

    /**
     * Reads up to {@code length} bytes of the encoded snapshot at {@code offsetBytes} into
     * {@code dst[dstOffset..]}; fills the range unless the snapshot ends first.
     *
     * @return bytes read, or -1 if {@code offsetBytes >= sizeBytes()}
     */
    public int read(long offsetBytes, byte[] dst, int dstOffset, int length) throws IOException {
        return file.read(offsetBytes, dst, dstOffset, length);
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
