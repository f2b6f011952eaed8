package io.bulwark.core.storage;

import java.io.IOException;
import java.util.List;

/**
 * A {@link FileStore} that runs a hook before every {@link LogFile#sync()} of its files and delegates
 * everything else unchanged: how drivers count the fsyncs their logs really issue, and how tests inject an
 * fsync failure into a real store. If the hook throws, the sync does not happen and the exception is what
 * the caller sees. As thread-safe as the wrapped store and the hook.
 */
public final class SyncHookFileStore implements FileStore {

    /** Called with the file's name before each sync; throwing fails that sync. */
    @FunctionalInterface
    public interface SyncHook {
        void beforeSync(String fileName) throws IOException;
    }

    private final FileStore delegate;
    private final SyncHook hook;

    public SyncHookFileStore(FileStore delegate, SyncHook hook) {
        this.delegate = delegate;
        this.hook = hook;
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
        return new HookedLogFile(delegate.open(name));
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

    private final class HookedLogFile implements LogFile {
        private final LogFile file;

        HookedLogFile(LogFile file) {
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
            hook.beforeSync(file.name());
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
