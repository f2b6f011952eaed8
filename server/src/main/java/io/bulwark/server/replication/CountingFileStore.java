package io.bulwark.server.replication;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LogFile;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A {@link FileStore} that counts the {@link LogFile#sync()} calls made through it: the fsyncs a replica's
 * log really issues (group commits, segment rolls, idle sync markers), which is the number the group-commit
 * goal is about. Everything else is delegated unchanged. As thread-safe as the store it wraps; the counter
 * itself may be read from any thread.
 */
final class CountingFileStore implements FileStore {

    private final FileStore delegate;
    private final LongAdder syncs = new LongAdder();

    CountingFileStore(FileStore delegate) {
        this.delegate = delegate;
    }

    /** File syncs so far. */
    long syncs() {
        return syncs.sum();
    }

    @Override
    public List<String> list() throws IOException {
        return delegate.list();
    }

    @Override
    public boolean exists(String name) throws IOException {
        return delegate.exists(name);
    }

    @Override
    public LogFile open(String name) throws IOException {
        return new CountingLogFile(delegate.open(name));
    }

    @Override
    public byte[] readAll(String name) throws IOException {
        return delegate.readAll(name);
    }

    @Override
    public void writeAtomically(String name, byte[] content) throws IOException {
        delegate.writeAtomically(name, content);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        delegate.rename(from, to);
    }

    @Override
    public void delete(String name) throws IOException {
        delegate.delete(name);
    }

    @Override
    public String toString() {
        return delegate.toString();
    }

    private final class CountingLogFile implements LogFile {
        private final LogFile file;

        CountingLogFile(LogFile file) {
            this.file = file;
        }

        @Override
        public String name() {
            return file.name();
        }

        @Override
        public long size() {
            return file.size();
        }

        @Override
        public void append(byte[] data, int offset, int length) throws IOException {
            file.append(data, offset, length);
        }

        @Override
        public int read(long position, byte[] dst, int offset, int length) throws IOException {
            return file.read(position, dst, offset, length);
        }

        @Override
        public void sync() throws IOException {
            syncs.increment();
            file.sync();
        }

        @Override
        public void truncate(long size) throws IOException {
            file.truncate(size);
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }
}
