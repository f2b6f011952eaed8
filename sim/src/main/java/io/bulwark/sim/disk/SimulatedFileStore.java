package io.bulwark.sim.disk;

import io.bulwark.core.RandomSource;
import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LogFile;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The simulator's disk: an in-memory {@link FileStore} in which every file has <em>visible</em> content
 * (what reads return) and <em>durable</em> content (what survives {@link #crash}).
 *
 * <h2>Semantics</h2>
 * <ul>
 *   <li>{@link LogFile#append} and {@link LogFile#truncate} change the visible content at once;
 *       {@link LogFile#sync()} makes the file's visible content durable, and its existence durable if it
 *       was created by {@link #open}.</li>
 *   <li>{@link #writeAtomically}, {@link #rename} and {@link #delete} are durable and atomic at once. This
 *       models a file system with atomic rename plus the directory fsync that {@code LocalFileStore} does.</li>
 *   <li>{@link #crash(RandomSource)} (the machine) and {@link #crashProcess()} (only the process): see there.
 *       Open handles die with either; using one throws.</li>
 *   <li>{@link #failNextSync()} / {@link #failSyncAfter(int)}: that sync throws {@link IOException} and, as on
 *       Linux, the file's unsynced bytes are lost: gone at the next crash, and zeros on disk if a later sync of
 *       the same file through a <em>new</em> handle "succeeds" (the kernel reported the error once and marked
 *       the pages clean: PostgreSQL's fsyncgate). The failed handle itself refuses further writes and syncs,
 *       as the {@link LogFile} contract requires.</li>
 *   <li>{@link #flipBit}: silent corruption of durable content (and of the visible content where the two
 *       are the same bytes).</li>
 * </ul>
 *
 * <p>Limits: total size of all files is capped ({@link #DEFAULT_CAPACITY_BYTES} by default); an append or
 * write beyond it throws {@link IOException} "no space left on device", which is itself a useful fault.
 *
 * <p>Determinism: randomness only from the {@link RandomSource} handed to {@link #crash}; files are visited in
 * name order. Thread-safety: none; the simulator is single-threaded.
 */
public final class SimulatedFileStore implements FileStore {

    /** Sector size for torn writes: the unit a drive writes atomically, or tears. */
    public static final int SECTOR_BYTES = 512;
    /** Default capacity: 1 GiB, far more than a simulated replica needs, small enough to catch runaway growth. */
    public static final long DEFAULT_CAPACITY_BYTES = 1L << 30;
    /** Probability that a crash which persists part of a file's unsynced tail tears its last sector. */
    public static final double TORN_SECTOR_PROBABILITY = 0.5;
    /** Probability that a pending truncation reached the disk before the crash. */
    public static final double TRUNCATION_PERSISTED_PROBABILITY = 0.5;

    private final TreeMap<String, SimulatedFile> files = new TreeMap<>();
    private final long capacityBytes;
    /** Incremented by every crash; handles opened in an earlier epoch belong to a dead process. */
    private long epoch;
    private long syncCount;
    /** Successful syncs left before the next one fails; -1 means no failure is planned. */
    private long syncsBeforeFailure = -1;

    /** An empty disk of {@link #DEFAULT_CAPACITY_BYTES}. */
    public SimulatedFileStore() {
        this(DEFAULT_CAPACITY_BYTES);
    }

    /** An empty disk holding at most {@code capacityBytes} bytes in all files together. */
    public SimulatedFileStore(long capacityBytes) {
        if (capacityBytes < 0) {
            throw new IllegalArgumentException("capacityBytes must not be negative, was " + capacityBytes);
        }
        this.capacityBytes = capacityBytes;
    }

    // ---------------------------------------------------------------- FileStore

    @Override
    public List<String> list() {
        return new ArrayList<>(files.keySet());
    }

    @Override
    public boolean exists(String name) {
        return files.containsKey(FileStore.requireValidName(name));
    }

    @Override
    public LogFile open(String name) {
        FileStore.requireValidName(name);
        SimulatedFile file = files.computeIfAbsent(name, n -> new SimulatedFile(new byte[0], false));
        return new SimulatedLogFile(name, file, epoch);
    }

    @Override
    public byte[] readAll(String name) throws IOException {
        return existing(name).visibleContent();
    }

    @Override
    public void writeAtomically(String name, byte[] content) throws IOException {
        FileStore.requireValidName(name);
        Objects.requireNonNull(content, "content");
        SimulatedFile old = files.get(name);
        reserve(content.length - (old == null ? 0 : footprint(old)));
        // A new inode, like the temp file a real implementation renames over the old one.
        files.put(name, new SimulatedFile(content, true));
    }

    @Override
    public void rename(String from, String to) throws IOException {
        FileStore.requireValidName(to);
        SimulatedFile file = existing(from);
        files.remove(from);
        files.put(to, file);
        // The directory was fsynced: the entry survives a crash even if the file never was synced.
        file.existenceDurable = true;
    }

    @Override
    public void delete(String name) {
        files.remove(FileStore.requireValidName(name));
    }

    // ---------------------------------------------------------------- faults

    /**
     * Crashes the machine. Every file reverts to its durable content, except that a file's unsynced
     * appended tail may be partly persisted:
     * <ul>
     *   <li>a prefix of the pending bytes survives: none (probability 1/4), all (1/4), or a uniformly random
     *       length (1/2);</li>
     *   <li>if the prefix is not empty, with probability {@value #TORN_SECTOR_PROBABILITY} its last
     *       {@value #SECTOR_BYTES}-byte sector is torn: the bytes of that sector that belong to the prefix
     *       become random garbage. Bytes that were already durable are never damaged by a torn write;</li>
     *   <li>a pending truncation reached the disk with probability {@value #TRUNCATION_PERSISTED_PROBABILITY};
     *       if it did not, the file is exactly its durable content;</li>
     *   <li>files whose existence never became durable disappear; a file whose sync failed keeps only its
     *       durable content.</li>
     * </ul>
     * All handles opened before the crash become unusable.
     */
    public void crash(RandomSource random) {
        Objects.requireNonNull(random, "random");
        epoch++;
        var entries = files.entrySet().iterator();
        while (entries.hasNext()) {
            SimulatedFile file = entries.next().getValue();
            if (!file.existenceDurable) {
                entries.remove();
                continue;
            }
            file.resetTo(contentAfterCrash(file, random));
        }
    }

    /**
     * Kills the process but not the machine: every open handle dies, while the operating system keeps its
     * page cache, so visible content stays visible and nothing becomes durable that was not. A restarted
     * process can thus read bytes that a later {@link #crash} would still lose.
     */
    public void crashProcess() {
        epoch++;
    }

    private static byte[] contentAfterCrash(SimulatedFile file, RandomSource random) {
        if (file.poisoned || !file.hasUnsyncedChanges()) {
            return file.durableContent();
        }
        boolean truncationPending = file.durableSuffix.length > 0;
        if (truncationPending && random.nextDouble() >= TRUNCATION_PERSISTED_PROBABILITY) {
            return file.durableContent();
        }
        int base = file.sharedLength;
        int pending = file.length - base;
        int persisted = switch ((int) random.nextLong(4)) {
            case 0 -> 0;
            case 1 -> pending;
            default -> (int) random.nextLong(pending + 1L);
        };
        byte[] content = Arrays.copyOf(file.data, base + persisted);
        if (persisted > 0 && random.nextDouble() < TORN_SECTOR_PROBABILITY) {
            int end = base + persisted;
            int sectorStart = ((end - 1) / SECTOR_BYTES) * SECTOR_BYTES;
            for (int i = Math.max(sectorStart, base); i < end; i++) {
                content[i] = (byte) random.nextLong();
            }
        }
        return content;
    }

    /**
     * Flips bit {@code bitIndex} (bit {@code bitIndex % 8} of byte {@code bitIndex / 8}) of the durable
     * content of {@code name}.
     *
     * @throws NoSuchFileException      if the file does not exist
     * @throws IllegalArgumentException if the bit is outside the durable content
     */
    public void flipBit(String name, long bitIndex) throws IOException {
        SimulatedFile file = existing(name);
        if (bitIndex < 0 || bitIndex >= 8L * file.durableLength()) {
            throw new IllegalArgumentException("bit " + bitIndex + " is outside the " + file.durableLength()
                    + " durable bytes of " + name);
        }
        file.flipDurableBit(bitIndex);
    }

    /** The next {@link LogFile#sync()} of any file fails. */
    public void failNextSync() {
        failSyncAfter(0);
    }

    /** After {@code successfulSyncs} more successful syncs, the next one fails (once). */
    public void failSyncAfter(int successfulSyncs) {
        if (successfulSyncs < 0) {
            throw new IllegalArgumentException("successfulSyncs must not be negative, was " + successfulSyncs);
        }
        syncsBeforeFailure = successfulSyncs;
    }

    /** Cancels a planned sync failure. */
    public void clearSyncFailure() {
        syncsBeforeFailure = -1;
    }

    // ---------------------------------------------------------------- inspection

    /** Number of {@link LogFile#sync()} calls that succeeded. */
    public long syncCount() {
        return syncCount;
    }

    /** Names of the files that would survive a crash, sorted. */
    public Set<String> durableNames() {
        Set<String> names = new TreeSet<>();
        files.forEach((name, file) -> {
            if (file.existenceDurable) {
                names.add(name);
            }
        });
        return names;
    }

    /**
     * The durable content of {@code name}: what a crash that persists no unsynced byte would leave.
     *
     * @throws NoSuchFileException if the file does not exist or its existence is not durable
     */
    public byte[] durableContent(String name) throws IOException {
        SimulatedFile file = existing(name);
        if (!file.existenceDurable) {
            throw new NoSuchFileException(name, null, "file exists but was never synced");
        }
        return file.durableContent();
    }

    /** Whether {@code name} has appends or truncations that a crash could lose. */
    public boolean hasUnsyncedChanges(String name) throws IOException {
        return existing(name).hasUnsyncedChanges();
    }

    /**
     * An independent deep copy of every file, visible and durable content and pending faults alike, for
     * forking a run. Handles, planned sync failures and the sync count are not copied.
     */
    public SimulatedFileStore copy() {
        SimulatedFileStore copy = new SimulatedFileStore(capacityBytes);
        files.forEach((name, file) -> copy.files.put(name, file.copy()));
        return copy;
    }

    /**
     * A new store holding exactly what is durable here (no unsynced byte, no never-synced file): what a
     * restarted replica may be given. This store is not changed.
     */
    public SimulatedFileStore durableCopy() {
        SimulatedFileStore copy = new SimulatedFileStore(capacityBytes);
        files.forEach((name, file) -> {
            if (file.existenceDurable) {
                copy.files.put(name, new SimulatedFile(file.durableContent(), true));
            }
        });
        return copy;
    }

    @Override
    public String toString() {
        return "SimulatedFileStore[files=" + files.size() + ", syncCount=" + syncCount + ", epoch=" + epoch + "]";
    }

    // ---------------------------------------------------------------- internals

    private SimulatedFile existing(String name) throws NoSuchFileException {
        SimulatedFile file = files.get(FileStore.requireValidName(name));
        if (file == null) {
            throw new NoSuchFileException(name);
        }
        return file;
    }

    private static long footprint(SimulatedFile file) {
        return Math.max(file.length, file.durableLength());
    }

    private void reserve(long extraBytes) throws IOException {
        if (extraBytes <= 0) {
            return;
        }
        long used = 0;
        for (SimulatedFile file : files.values()) {
            used += footprint(file);
        }
        if (used + extraBytes > capacityBytes) {
            throw new IOException("simulated ENOSPC: no space left on device (" + used + " of " + capacityBytes
                    + " bytes used, " + extraBytes + " more requested)");
        }
    }

    /** A handle on one file; dies with a crash. Not thread-safe. */
    private final class SimulatedLogFile implements LogFile {

        private final String name;
        private final SimulatedFile file;
        private final long openedInEpoch;
        private boolean closed;
        /** Set by a failed sync: the {@link LogFile} contract makes this handle refuse later syncs. */
        private boolean failed;

        SimulatedLogFile(String name, SimulatedFile file, long openedInEpoch) {
            this.name = name;
            this.file = file;
            this.openedInEpoch = openedInEpoch;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public long size() {
            return file.length;
        }

        @Override
        public void append(byte[] data, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, data.length);
            checkUsable();
            if ((long) file.length + length > Integer.MAX_VALUE - 8) {
                throw new IOException("simulated EFBIG: " + name + " would exceed the simulated maximum file size");
            }
            reserve(Math.max(0, file.length + (long) length - footprint(file)));
            file.append(data, offset, length);
        }

        @Override
        public int read(long position, byte[] dst, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, dst.length);
            checkOpen();
            if (position < 0) {
                throw new IllegalArgumentException("read position must not be negative, was " + position);
            }
            if (position >= file.length) {
                return -1;
            }
            int n = (int) Math.min(length, file.length - position);
            System.arraycopy(file.data, (int) position, dst, offset, n);
            return n;
        }

        @Override
        public void sync() throws IOException {
            checkUsable();
            if (syncsBeforeFailure == 0) {
                syncsBeforeFailure = -1;
                failed = true;
                file.failSync();
                throw new IOException("simulated EIO: fsync of " + name + " failed; its unsynced data is lost");
            }
            if (syncsBeforeFailure > 0) {
                syncsBeforeFailure--;
            }
            file.sync();
            syncCount++;
        }

        @Override
        public void truncate(long size) throws IOException {
            if (size < 0 || size > file.length) {
                throw new IllegalArgumentException("truncate size must be in [0, " + file.length + "] for " + name
                        + ", was " + size);
            }
            checkUsable();
            file.truncate((int) size);
        }

        @Override
        public void close() {
            closed = true;
        }

        private void checkUsable() throws IOException {
            if (failed) {
                throw new IOException("file handle for " + name + " had a failed fsync; it accepts no more writes"
                        + " or syncs (its unsynced data may be lost)");
            }
            checkOpen();
        }

        private void checkOpen() throws IOException {
            if (closed) {
                throw new IOException("file handle for " + name + " is closed");
            }
            if (openedInEpoch != epoch) {
                throw new IOException("file handle for " + name + " was opened before a simulated crash;"
                        + " the process that owned it is dead");
            }
        }
    }
}
