package io.bulwark.core.storage;

import java.io.Closeable;
import java.io.IOException;

/**
 * An open, append-only file: the write-ahead log's segments and partial snapshots are written through it.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #append} and {@link #truncate} are visible to {@link #read} and {@link #size()} at once,
 *       but durable only after {@link #sync()} returns.</li>
 *   <li>After a crash, bytes appended since the last successful sync may be missing, partly present,
 *       or (in the last sector written) garbage. Callers must checksum what they write.</li>
 *   <li>If {@link #sync()} throws, the unsynced data may already be lost even though it is still
 *       visible (Linux marks the pages clean after a failed writeback). Implementations make every
 *       later {@code sync()} on the handle fail too, so a retry can never report false success.</li>
 *   <li>After an {@link IOException} from {@link #append}, the bytes past the previous size are
 *       unspecified; callers should stop using the handle.</li>
 * </ul>
 *
 * <p>Thread-safety: not thread-safe; one thread owns a handle.
 */
public interface LogFile extends Closeable {

    /** The file's name in its {@link FileStore}. */
    String name();

    /** Current visible size in bytes, including appended but unsynced bytes. */
    long size();

    /** Appends {@code data[offset, offset + length)} at the end of the file. */
    void append(byte[] data, int offset, int length) throws IOException;

    /**
     * Reads up to {@code length} bytes starting at {@code position} into {@code dst[offset..]}.
     * Fills the whole range unless the end of the file comes first.
     *
     * @return the number of bytes read, or -1 if {@code position >= size()}
     */
    int read(long position, byte[] dst, int offset, int length) throws IOException;

    /** Makes every byte appended (and every truncation) so far durable before returning. */
    void sync() throws IOException;

    /**
     * Shortens the file to {@code size} bytes; durable after the next {@link #sync()}.
     *
     * @throws IllegalArgumentException if {@code size} is negative or larger than {@link #size()}
     */
    void truncate(long size) throws IOException;
}
