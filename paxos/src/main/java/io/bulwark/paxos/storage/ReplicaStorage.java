package io.bulwark.paxos.storage;

import io.bulwark.core.storage.FileStore;
import io.bulwark.paxos.Ballot;
import io.bulwark.paxos.Codec;
import io.bulwark.paxos.Entry;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.Recovered;
import io.bulwark.paxos.SnapshotMeta;
import io.bulwark.paxos.log.LogOptions;
import io.bulwark.paxos.log.LogRecord;
import io.bulwark.paxos.log.SegmentedLog;
import io.bulwark.paxos.log.SnapshotReceiver;
import io.bulwark.paxos.log.SnapshotSource;
import io.bulwark.paxos.log.SnapshotStore;
import io.bulwark.paxos.log.StoredSnapshot;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A replica's durable state on a {@link FileStore}: the promised ballot, accepted and learned entries and
 * the chosen prefix in a {@link SegmentedLog}, and snapshots in a {@link SnapshotStore}.
 *
 * <p>{@link #persist(Ready)} writes a {@link Ready}'s promise, entries and chosen prefix, in that order,
 * and syncs once when the Ready asks for it: the group commit that lets one fsync cover a whole batch.
 * After a snapshot, {@link #compact} rewrites the few records still needed (the promise, entries after
 * the snapshot) as a checkpoint, syncs it, and deletes every older log segment, so the log does not
 * grow without bound. Any {@link IOException} from a write or sync leaves this storage unusable: the
 * replica must stop (an fsync error is never retried, because the kernel may already have dropped the
 * dirty pages it failed to write).
 *
 * <p>Not thread-safe: owned by one replica's driver.
 */
public final class ReplicaStorage implements Closeable {

    private static final byte PROMISE = 1;
    private static final byte ENTRY = 2;
    private static final byte CHOSEN = 3;

    private final SegmentedLog log;
    private final SnapshotStore snapshots;
    private final Recovered recovered;
    private long chosenWritten;
    private long lastMarkedLsn;

    private ReplicaStorage(SegmentedLog log, SnapshotStore snapshots, Recovered recovered) {
        this.log = log;
        this.snapshots = snapshots;
        this.recovered = recovered;
        this.chosenWritten = recovered.chosenIndex();
        this.lastMarkedLsn = log.lastLsn();
    }

    /** Name of the file that records which incarnation of storage this is. */
    public static final String IDENTITY_FILE = "identity";
    private static final int IDENTITY_MAGIC = 0x42574944; // "BWID"

    /**
     * Opens the storage of a new group's replica, or reopens it: a fresh store gets the bootstrap
     * incarnation. Use this only when creating a group; a replica that joins an existing group, or comes
     * back on an emptied disk, must use {@link #open(FileStore, LogOptions, long)} with a new incarnation so
     * that the group does not mistake it for the voter it replaces.
     */
    public static ReplicaStorage open(FileStore store, LogOptions options) throws IOException {
        return open(store, options, Membership.BOOTSTRAP_INCARNATION);
    }

    /**
     * Opens (or creates) the storage in {@code store} and recovers it. If the store is empty it is new
     * storage and is stamped with {@code incarnationIfNew}; otherwise its recorded incarnation is used.
     *
     * @throws io.bulwark.paxos.log.CorruptLogException if a synced log record is damaged
     * @throws io.bulwark.paxos.log.CorruptSnapshotException if the newest snapshot is damaged
     * @throws CorruptStorageException if the store holds a log or snapshot but no identity, or a damaged one
     */
    public static ReplicaStorage open(FileStore store, LogOptions options, long incarnationIfNew) throws IOException {
        long incarnation = identity(store, incarnationIfNew);
        SnapshotStore snapshots = SnapshotStore.open(store);
        Optional<StoredSnapshot> latest = snapshots.latest();
        SnapshotMeta snapshot = null;
        if (latest.isPresent()) {
            StoredSnapshot s = latest.get();
            try (SnapshotSource source = snapshots.openSource(s.index())) {
                snapshot = new SnapshotMeta(s.index(), source.sizeBytes(), source.crc32c(),
                        Codec.decodeMembership(s.metadata()));
            }
        }
        SegmentedLog log = SegmentedLog.open(store, options);
        Ballot promised = Ballot.ZERO;
        List<Entry> entries = new ArrayList<>();
        long chosen = snapshot == null ? 0 : snapshot.index();
        for (LogRecord record : log.recovered()) {
            byte[] p = record.payload();
            byte[] body = java.util.Arrays.copyOfRange(p, 1, p.length);
            switch (p[0]) {
                case PROMISE -> {
                    Ballot b = Codec.decodeBallot(body);
                    if (b.above(promised)) {
                        promised = b;
                    }
                }
                case ENTRY -> entries.add(Codec.decodeEntry(body));
                case CHOSEN -> chosen = Math.max(chosen, ByteBuffer.wrap(body).getLong());
                default -> throw new IOException("log record " + record.lsn() + " has unknown type " + p[0]);
            }
        }
        return new ReplicaStorage(log, snapshots, new Recovered(incarnation, promised, entries, chosen, snapshot));
    }

    /** Reads the store's incarnation, or stamps an empty store with {@code incarnationIfNew}. */
    private static long identity(FileStore store, long incarnationIfNew) throws IOException {
        if (store.exists(IDENTITY_FILE)) {
            byte[] b = store.readAll(IDENTITY_FILE);
            ByteBuffer buf = ByteBuffer.wrap(b);
            if (b.length != 16 || buf.getInt() != IDENTITY_MAGIC
                    || io.bulwark.core.Checksums.crc32c(b, 0, 12) != ByteBuffer.wrap(b, 12, 4).getInt()) {
                throw new CorruptStorageException("storage identity file '" + IDENTITY_FILE + "' is damaged; this replica's "
                        + "storage cannot be trusted and must be rebuilt from its peers");
            }
            return ByteBuffer.wrap(b, 4, 8).getLong();
        }
        if (!store.list().isEmpty()) {
            throw new CorruptStorageException("storage holds " + store.list() + " but no '" + IDENTITY_FILE + "' file; refusing "
                    + "to guess which replica it belongs to — rebuild it from its peers");
        }
        ByteBuffer buf = ByteBuffer.allocate(16);
        buf.putInt(IDENTITY_MAGIC).putLong(incarnationIfNew);
        buf.putInt(io.bulwark.core.Checksums.crc32c(buf.array(), 0, 12));
        store.writeAtomically(IDENTITY_FILE, buf.array());
        return incarnationIfNew;
    }

    /** What log recovery found and repaired when this storage was opened. */
    public io.bulwark.paxos.log.RecoveryReport recoveryReport() {
        return log.recoveryReport();
    }

    /** What was durable when this storage was opened. */
    public Recovered recovered() {
        return recovered;
    }

    /** Writes the Ready's durable part and syncs if it must. */
    public void persist(Ready ready) throws IOException {
        write(ready);
        if (ready.mustSync()) {
            log.sync();
        }
    }

    /**
     * Writes the Ready's durable part without syncing, for drivers that sync several Readies at once
     * (group commit) with {@link #sync()}; a Ready's {@code sendAfterSync} messages wait for that sync.
     */
    public void write(Ready ready) throws IOException {
        if (ready.promise() != null) {
            appendPromise(ready.promise());
        }
        for (Entry e : ready.entries()) {
            appendEntry(e);
        }
        if (ready.chosenIndex() > chosenWritten) {
            // The chosen prefix needs no sync: if it is lost, the replica relearns it from the leader.
            appendChosen(ready.chosenIndex());
        }
    }

    /** Makes everything written so far durable with one fsync. */
    public void sync() throws IOException {
        log.sync();
    }

    /**
     * When the log is idle, records that everything written so far is synced, so recovery can tell a
     * damaged synced record (fatal) from a torn unsynced tail (truncated). Cheap if nothing changed.
     */
    public void markIdle() throws IOException {
        if (log.lastLsn() > lastMarkedLsn) {
            log.markSynced();
            lastMarkedLsn = log.lastLsn();
        }
    }

    /**
     * Saves a snapshot of the state applied through {@code index} and returns its description.
     */
    public SnapshotMeta saveSnapshot(long index, Membership membership, byte[] state) throws IOException {
        snapshots.save(index, Codec.encode(membership), state);
        try (SnapshotSource source = snapshots.openSource(index)) {
            return new SnapshotMeta(index, source.sizeBytes(), source.crc32c(), membership);
        }
    }

    /**
     * Drops log segments made redundant by the snapshot at {@code snapshotIndex}: first the records still
     * needed ({@code promised}, the {@code live} entries after the snapshot) are rewritten and synced.
     */
    public void compact(long snapshotIndex, Ballot promised, List<Entry> live, long chosenIndex) throws IOException {
        long first = appendPromise(promised);
        for (Entry e : live) {
            if (e.slot() > snapshotIndex) {
                appendEntry(e);
            }
        }
        appendChosen(Math.max(chosenIndex, snapshotIndex));
        log.sync();
        log.deleteSegmentsBelow(first);
    }

    /** The saved snapshot with this index, for sending in chunks. */
    public SnapshotSource openSnapshot(long index) throws IOException {
        return snapshots.openSource(index);
    }

    /** The newest saved snapshot, verified. */
    public Optional<StoredSnapshot> latestSnapshot() throws IOException {
        return snapshots.latest();
    }

    /** Starts or resumes receiving a snapshot sent by a leader. */
    public SnapshotReceiver beginReceive(long index, long totalBytes, int crc32c) throws IOException {
        return snapshots.beginReceive(index, totalBytes, crc32c);
    }

    /** Log segment files currently kept (for tests and status). */
    public List<String> segmentNames() {
        return log.segmentNames();
    }

    private long appendPromise(Ballot ballot) throws IOException {
        return log.append(record(PROMISE, Codec.encode(ballot)));
    }

    private void appendEntry(Entry e) throws IOException {
        log.append(record(ENTRY, Codec.encode(e)));
    }

    private void appendChosen(long chosen) throws IOException {
        log.append(record(CHOSEN, ByteBuffer.allocate(8).putLong(chosen).array()));
        chosenWritten = chosen;
    }

    private static byte[] record(byte type, byte[] body) {
        byte[] r = new byte[body.length + 1];
        r[0] = type;
        System.arraycopy(body, 0, r, 1, body.length);
        return r;
    }

    @Override
    public void close() throws IOException {
        log.close();
    }
}
