package io.bulwark.core.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A {@link FileStore} over one directory of the local file system: the real disk under a Bulwark node.
 *
 * <h2>How each promise is kept</h2>
 * <ul>
 *   <li>File data: {@link FileChannel#force(boolean) force(true)} on {@link LogFile#sync()}.</li>
 *   <li>Names (create, rename, delete): the directory itself is fsynced, via
 *       {@code FileChannel.open(dir, READ).force(true)}; without it a crash can lose a file whose data
 *       was fsynced, because the directory entry pointing at it was not.</li>
 *   <li>Platforms that cannot open a directory as a channel (Windows) make that open throw; only then
 *       is the directory sync skipped, and {@link #directorySyncSupported()} reports {@code false}.
 *       A failure of {@code force} itself on an opened directory is never tolerated.</li>
 *   <li>{@link #writeAtomically}: a temp file named {@value FileStore#RESERVED_PREFIX}*, written, fsynced,
 *       renamed over the target with an atomic move, then the directory fsynced. Temp files left by a
 *       crash are deleted by {@link #open(Path)}. Temp files are created owner-read/write only (POSIX 0600)
 *       and keep those permissions after the rename.</li>
 * </ul>
 *
 * <p>Thread-safety: the store's own methods are safe to call from several threads (each is a few
 * self-contained system calls); the {@link LogFile} handles it returns are not. One process per
 * directory: the store takes no lock, and two processes appending to one log would interleave frames.
 */
public final class LocalFileStore implements FileStore {

    /** Largest file {@link #readAll} will load: the longest Java array the JVM reliably allocates. */
    static final long MAX_READ_ALL_BYTES = Integer.MAX_VALUE - 8;

    private final Path directory;
    private final boolean directorySyncSupported;

    private LocalFileStore(Path directory, boolean directorySyncSupported) {
        this.directory = directory;
        this.directorySyncSupported = directorySyncSupported;
    }

    /**
     * Opens the store on {@code dir}, creating the directory (and its parents) if absent and deleting
     * temp files a crash left behind.
     *
     * @throws IOException if the directory cannot be created or read, or is not a directory
     */
    public static LocalFileStore open(Path dir) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Path directory = dir.toAbsolutePath().normalize();
        boolean created = !Files.exists(directory);
        Files.createDirectories(directory);
        if (!Files.isDirectory(directory)) {
            throw new IOException("file store path " + directory + " exists but is not a directory");
        }
        boolean supported = probeDirectorySync(directory);
        LocalFileStore store = new LocalFileStore(directory, supported);
        store.deleteLeftoverTempFiles();
        Path parent = directory.getParent();
        if (created && parent != null) {
            // A new directory is itself only a name in its parent: sync the parent, or the whole store
            // could vanish in a crash together with files whose data was synced.
            probeDirectorySync(parent);
        }
        return store;
    }

    /** The directory this store manages. */
    public Path directory() {
        return directory;
    }

    /**
     * Whether the platform lets the store fsync a directory. {@code false} only where opening a
     * directory as a channel throws (Windows); there, name changes rely on the file system's own
     * ordering and may be lost by a power failure.
     */
    public boolean directorySyncSupported() {
        return directorySyncSupported;
    }

    @Override
    public List<String> list() throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (!name.startsWith(RESERVED_PREFIX) && Files.isRegularFile(entry)) {
                    names.add(name);
                }
            }
        }
        Collections.sort(names);
        return names;
    }

    @Override
    public boolean exists(String name) {
        return Files.isRegularFile(resolve(name));
    }

    @Override
    public LogFile open(String name) throws IOException {
        Path path = resolve(name);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE);
        return new LocalLogFile(name, channel, this);
    }

    @Override
    public byte[] readAll(String name) throws IOException {
        Path path = resolve(name);
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size > MAX_READ_ALL_BYTES) {
                throw new IOException("file " + name + " is " + size + " bytes; readAll loads at most "
                        + MAX_READ_ALL_BYTES + " bytes, read it through open() instead");
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) size);
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, buffer.position()) < 0) {
                    break; // shrunk while reading: return what exists rather than zero padding
                }
            }
            byte[] content = new byte[buffer.position()];
            buffer.flip().get(content);
            return content;
        }
    }

    @Override
    public void writeAtomically(String name, byte[] content) throws IOException {
        Objects.requireNonNull(content, "content");
        Path target = resolve(name);
        Path temp = Files.createTempFile(directory, RESERVED_PREFIX, "");
        boolean moved = false;
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                // Without this force the rename could reach the disk before the data: after a crash the
                // name would point at an empty or partial file, the "mix" this method promises never to show.
                channel.force(true);
            }
            atomicMove(temp, target);
            moved = true;
            syncDirectory();
        } finally {
            if (!moved) {
                Files.deleteIfExists(temp);
            }
        }
    }

    @Override
    public void rename(String from, String to) throws IOException {
        Path source = resolve(from);
        Path target = resolve(to);
        if (!Files.exists(source)) {
            throw new NoSuchFileException(source.toString(), null, "cannot rename a file that does not exist");
        }
        atomicMove(source, target);
        syncDirectory();
    }

    @Override
    public void delete(String name) throws IOException {
        Files.deleteIfExists(resolve(name));
        // Synced even if nothing was deleted: an earlier delete of this name may have failed after the
        // unlink but before its directory sync, and the caller's retry must make it durable.
        syncDirectory();
    }

    @Override
    public String toString() {
        return "LocalFileStore[" + directory + "]";
    }

    void syncDirectory() throws IOException {
        if (directorySyncSupported) {
            syncDirectory(directory);
        }
    }

    private Path resolve(String name) {
        return directory.resolve(FileStore.requireValidName(name));
    }

    private static void atomicMove(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Never fall back to a copy: a non-atomic replace is exactly the torn state callers rely on us to avoid.
            throw new IOException("the file system under " + source.getParent()
                    + " cannot rename atomically; Bulwark needs atomic rename for snapshots and metadata", e);
        }
    }

    /** Fsyncs {@code directory}; returns false, without syncing, only if it cannot be opened as a channel. */
    private static boolean probeDirectorySync(Path directory) throws IOException {
        FileChannel channel;
        try {
            channel = FileChannel.open(directory, StandardOpenOption.READ);
        } catch (IOException e) {
            // Only an open failure means "unsupported"; see the class Javadoc.
            return false;
        }
        try (channel) {
            channel.force(true);
        }
        return true;
    }

    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private void deleteLeftoverTempFiles() throws IOException {
        boolean deleted = false;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(directory, RESERVED_PREFIX + "*")) {
            for (Path entry : entries) {
                deleted |= Files.deleteIfExists(entry);
            }
        }
        if (deleted) {
            syncDirectory();
        }
    }
}
