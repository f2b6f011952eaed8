package io.bulwark.core.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * {@link LogFile} over a {@link FileChannel} opened read+write (not {@code APPEND}: positional writes
 * at a tracked end are well defined, and truncate keeps working). Not thread-safe.
 */
final class LocalLogFile implements LogFile {

    private final String name;
    private final FileChannel channel;
    private final LocalFileStore store;
    private long sizeBytes;
    private boolean directorySynced;
    /** Set by a failed append or sync; see {@link LogFile}: later syncs must not report false success. */
    private IOException failure;

    LocalLogFile(String name, FileChannel channel, LocalFileStore store) throws IOException {
        this.name = name;
        this.channel = channel;
        this.store = store;
        this.sizeBytes = channel.size();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long size() {
        return sizeBytes;
    }

    @Override
    public void append(byte[] data, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, data.length);
        checkUsable();
        ByteBuffer buffer = ByteBuffer.wrap(data, offset, length);
        long position = sizeBytes;
        try {
            while (buffer.hasRemaining()) {
                position += channel.write(buffer, position);
            }
        } catch (IOException e) {
            failure = e;
            throw e;
        }
        sizeBytes = position;
    }

    @Override
    public int read(long position, byte[] dst, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, dst.length);
        if (position < 0) {
            throw new IllegalArgumentException("read position must not be negative, was " + position);
        }
        if (position >= sizeBytes) {
            return -1;
        }
        int wanted = (int) Math.min(length, sizeBytes - position);
        ByteBuffer buffer = ByteBuffer.wrap(dst, offset, wanted);
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position + buffer.position() - offset);
            if (n < 0) {
                break;
            }
        }
        return buffer.position() - offset;
    }

    @Override
    public void sync() throws IOException {
        checkUsable();
        try {
            channel.force(true);
            if (!directorySynced) {
                // The file may have been created by open(); its name is durable only once the directory is.
                store.syncDirectory();
                directorySynced = true;
            }
        } catch (IOException e) {
            failure = e;
            throw e;
        }
    }

    @Override
    public void truncate(long size) throws IOException {
        if (size < 0 || size > sizeBytes) {
            throw new IllegalArgumentException("truncate size must be in [0, " + sizeBytes + "] for " + name
                    + ", was " + size);
        }
        checkUsable();
        try {
            channel.truncate(size);
        } catch (IOException e) {
            failure = e;
            throw e;
        }
        sizeBytes = size;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    private void checkUsable() throws IOException {
        if (failure != null) {
            throw new IOException("file " + name + " had an earlier I/O failure (" + failure.getMessage()
                    + "); its unsynced data may be lost, so it accepts no more writes or syncs", failure);
        }
    }
}
