package io.bulwark.paxos.storage;

import io.bulwark.core.storage.FileStore;
import io.bulwark.paxos.Ballot;
import io.bulwark.paxos.Codec;
import io.bulwark.paxos.Entry;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.Recovered;
import io.bulwark.paxos.SnapshotMeta;
import io.bulwark.paxos.log.CorruptSnapshotException;
import io.bulwark.paxos.log.LogOptions;
import io.bulwark.paxos.log.LogRecord;
import io.bulwark.paxos.log.RecoveryReport;
import io.bulwark.paxos.log.SegmentedLog;
import io.bulwark.paxos.log.SnapshotSource;
import io.bulwark.paxos.log.SnapshotStore;
import io.bulwark.paxos.log.StoredSnapshot;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One write-ahead log shared by every Paxos group a node hosts (one replica per partition), so that one
 * fsync makes a whole batch durable for all of them: a node with 16 partitions syncs once per group commit,
 * not 16 times, which is what the disk and a 2-core machine can afford (the "multi-Raft" log engines of
 * TiKV and CockroachDB make the same choice), plus one snapshot store per group in the same directory.
 *
 * <h2>Records</h2>
 * Every record is {@code [u32 group][u8 type][body]} in a {@link SegmentedLog} (CRC32C per record, torn
 * unsynced tails cut, damaged synced records fatal). Types: the group's incarnation and initial membership
 * (written when the group is created, before any other record of it), a promise, an accepted or learned
 * entry, the chosen prefix, the group's removal (its replica left the group; a later creation record starts
 * it afresh), and a <em>checkpoint</em>: the group's identity (incarnation, initial membership), its promise,
 * its chosen prefix and the index its newest durable snapshot covers, followed by the entries it still holds
 * above that index. A checkpoint re-states everything of the group that recovery needs besides the snapshot,
 * so every earlier record of the group becomes redundant.
 *
 * <h2>Snapshots and compaction</h2>
 * A driver saves a group's snapshot in {@link Group#snapshots()} (atomic, fsynced, CRC-checked; files named
 * {@code g<group>-<incarnation>-snap-<index>.snap}), then appends {@link Group#writeCheckpoint} and syncs.
 * Each group keeps the log from the older of its two newest durable checkpoints (or from its creation), so
 * that if its newest snapshot file is found damaged, the one before it plus the log still rebuild the state.
 * {@link #deleteCompactedSegments} deletes, oldest first, every segment below what every live group keeps;
 * removed groups keep nothing. A group with little traffic would hold the oldest segment forever, so
 * {@link #groupsHoldingOldestSegment} names the groups a driver should checkpoint early.
 *
 * <h2>Recovery</h2>
 * {@link #open} reads the log once and splits it by group. For each group it takes the newest snapshot that
 * verifies and that the kept log continues without a gap (at or above the newest checkpoint's index, or
 * older if the log still holds every entry in between), sets aside damaged newer files
 * ({@code .snap.corrupt}), and hands out the entries above it. If no snapshot qualifies and the log alone
 * does not reach back to slot 1, it stops with a {@link CorruptStorageException} that says so: acknowledged
 * data is never silently lost. Snapshot files of groups the log does not hold (removed groups, earlier
 * incarnations) are deleted.
 *
 * <p>Not thread-safe: the log is owned by one sync thread. A group's {@link Group#snapshots()} store may be
 * owned by another thread (one at a time); it shares only the stateless file store with the log.
 */
public final class SharedLog implements Closeable {

    private static final byte INCARNATION = 0;
    private static final byte PROMISE = 1;
    private static final byte ENTRY = 2;
    private static final byte CHOSEN = 3;
    private static final byte REMOVED = 4;
    private static final byte CHECKPOINT = 5;
    /** Where an encoded entry ({@link Codec#encode(Entry)}: slot, 12-byte ballot, chosen flag, value) keeps its flag. */
    private static final int ENTRY_CHOSEN_OFFSET = 8 + 12;

    private final FileStore store;
    private final SegmentedLog log;
    private final Map<Integer, Opened> recovered;
    private final Set<Integer> recoveredAtOpen;
    private final boolean wasEmpty;
    private final Map<Integer, Group> groups = new TreeMap<>();
    /** What each live group still needs from the log. */
    private final Map<Integer, Retention> retention = new TreeMap<>();
    private long lastMarkedLsn;

    /** What recovery found for one group, until its view is taken. */
    private record Opened(Recovered recovered, Membership initial, StoredSnapshot snapshot) {
    }

    private SharedLog(FileStore store, SegmentedLog log, Map<Integer, Opened> recovered,
                      Map<Integer, Retention> retention) {
        this.store = store;
        this.log = log;
        this.recovered = recovered;
        this.recoveredAtOpen = Collections.unmodifiableSet(new TreeSet<>(recovered.keySet()));
        this.retention.putAll(retention);
        // The active segment's name carries the next LSN, so a log whose records were all compacted away is
        // still not mistaken for a new node's.
        this.wasEmpty = log.lastLsn() == 0;
        this.lastMarkedLsn = log.lastLsn();
    }

    /** One group's records as recovery reads them. */
    private static final class Scan {
        final long firstLsn;
        boolean identified;
        long incarnation;
        Membership initial;
        Ballot promised = Ballot.ZERO;
        /**
         * One encoded entry per slot, as the replica keeps them: a later record wins unless it would un-choose a
         * slot. Decoded only above the snapshot recovery starts from, so a restart pays for what it replays.
         */
        final TreeMap<Long, byte[]> entries = new TreeMap<>();
        long chosen;
        /** {lsn, snapshot index} of the identity record (index 0) and each checkpoint, in LSN order. */
        final List<long[]> anchors = new ArrayList<>();

        Scan(long firstLsn) {
            this.firstLsn = firstLsn;
        }
    }

    /**
     * Opens (or creates) the log in {@code store} and recovers every group in it, each from its newest usable
     * snapshot and the records above it.
     *
     * @throws io.bulwark.paxos.log.CorruptLogException if a synced record is damaged
     * @throws CorruptStorageException if a group's records lack its identity, or a group's state cannot be
     *                                 rebuilt because its snapshots are damaged and the log no longer reaches
     *                                 back far enough, or snapshot files exist beside an empty log
     */
    public static SharedLog open(FileStore store, LogOptions options) throws IOException {
        SegmentedLog log = SegmentedLog.open(store, options);
        try {
            return recover(store, log);
        } catch (IOException | RuntimeException e) {
            log.close();
            throw e;
        }
    }

    private static SharedLog recover(FileStore store, SegmentedLog log) throws IOException {
        Map<Integer, Scan> scans = new TreeMap<>();
        for (LogRecord record : log.recovered()) {
            byte[] p = record.payload();
            if (p.length < 5) {
                throw new CorruptStorageException("shared log record " + record.lsn() + " of " + p.length
                        + " bytes has no group header");
            }
            ByteBuffer buf = ByteBuffer.wrap(p);
            int group = buf.getInt();
            byte type = buf.get();
            byte[] body = Arrays.copyOfRange(p, 5, p.length);
            switch (type) {
                case INCARNATION -> {
                    // A (re)creation: whatever the group held before belongs to a replica that left.
                    Scan s = new Scan(record.lsn());
                    s.identified = true;
                    s.incarnation = ByteBuffer.wrap(body).getLong();
                    if (body.length > 8) {
                        s.initial = Codec.decodeMembership(Arrays.copyOfRange(body, 8, body.length));
                    }
                    s.anchors.add(new long[] {record.lsn(), 0});
                    scans.put(group, s);
                }
                case REMOVED -> scans.remove(group);
                case CHECKPOINT -> {
                    // The group's earlier records, its creation among them, may have been compacted away: records
                    // seen before this one without an identity are its own (no removal came in between).
                    Scan s = scans.computeIfAbsent(group, g -> new Scan(record.lsn()));
                    Checkpoint c = Checkpoint.decode(body);
                    if (s.identified && s.incarnation != c.incarnation) {
                        throw new CorruptStorageException("shared log record " + record.lsn() + ": checkpoint of group "
                                + group + " names incarnation " + c.incarnation + " but the group was created with "
                                + s.incarnation + "; the log cannot be trusted");
                    }
                    s.identified = true;
                    s.incarnation = c.incarnation;
                    if (c.initial != null) {
                        s.initial = c.initial;
                    }
                    if (c.promised.above(s.promised)) {
                        s.promised = c.promised;
                    }
                    s.chosen = Math.max(s.chosen, Math.max(c.chosen, c.snapshotIndex));
                    s.anchors.add(new long[] {record.lsn(), c.snapshotIndex});
                }
                case PROMISE -> {
                    Scan s = scans.computeIfAbsent(group, g -> new Scan(record.lsn()));
                    Ballot b = Codec.decodeBallot(body);
                    if (b.above(s.promised)) {
                        s.promised = b;
                    }
                }
                case ENTRY -> {
                    Scan s = scans.computeIfAbsent(group, g -> new Scan(record.lsn()));
                    if (body.length <= ENTRY_CHOSEN_OFFSET) {
                        throw new CorruptStorageException("shared log record " + record.lsn() + ": entry of "
                                + body.length + " bytes is too short");
                    }
                    long slot = ByteBuffer.wrap(body).getLong();
                    byte[] existing = s.entries.get(slot);
                    // Checkpoints re-state entries the log already holds; keep one per slot, as the replica would.
                    if (existing == null || existing[ENTRY_CHOSEN_OFFSET] != 1 || body[ENTRY_CHOSEN_OFFSET] == 1) {
                        s.entries.put(slot, body);
                    }
                }
                case CHOSEN -> {
                    Scan s = scans.computeIfAbsent(group, g -> new Scan(record.lsn()));
                    s.chosen = Math.max(s.chosen, ByteBuffer.wrap(body).getLong());
                }
                default -> throw new CorruptStorageException("shared log record " + record.lsn() + " has unknown type "
                        + type);
            }
        }
        Map<Integer, Opened> recovered = new TreeMap<>();
        Map<Integer, Retention> retention = new TreeMap<>();
        for (Map.Entry<Integer, Scan> e : scans.entrySet()) {
            int g = e.getKey();
            Scan s = e.getValue();
            if (!s.identified) {
                throw new CorruptStorageException("shared log: group " + g + " has records from LSN " + s.firstLsn
                        + " on but neither its creation record nor a checkpoint; the head of the log is missing and"
                        + " it cannot be trusted — rebuild this node's replicas from their peers");
            }
            recoverGroup(store, g, s, recovered, retention);
        }
        collectOrphanSnapshots(store, recovered, log.lastLsn() == 0);
        return new SharedLog(store, log, recovered, retention);
    }

    /** Picks the group's base snapshot and what it needs from the log (see the class Javadoc). */
    private static void recoverGroup(FileStore store, int g, Scan s, Map<Integer, Opened> recovered,
                                     Map<Integer, Retention> retention) throws IOException {
        long compactedTo = 0;
        for (long[] anchor : s.anchors) {
            compactedTo = Math.max(compactedTo, anchor[1]);
        }
        SnapshotStore snapshots = SnapshotStore.open(new GroupFileStore(store, g, s.incarnation));
        List<Long> saved = snapshots.savedIndexes();
        List<String> problems = new ArrayList<>();
        List<Long> damaged = new ArrayList<>();
        StoredSnapshot base = null;
        for (int i = saved.size() - 1; i >= 0 && base == null; i--) {
            long index = saved.get(i);
            if (index < compactedTo && !logCovers(s.entries, index + 1, compactedTo)) {
                problems.add("snapshot " + index + " is older than the log's compaction point " + compactedTo);
                continue;
            }
            try {
                base = snapshots.load(index);
            } catch (CorruptSnapshotException corrupt) {
                problems.add(corrupt.fileName() + ": " + corrupt.reason());
                damaged.add(index);
            }
        }
        long baseIndex = base == null ? 0 : base.index();
        if (base == null && compactedTo > 0 && !logCovers(s.entries, 1, compactedTo)) {
            throw new CorruptStorageException("group " + g + ": no usable snapshot, and the log was compacted up to "
                    + "index " + compactedTo + " so it cannot rebuild the state alone ("
                    + (problems.isEmpty() ? "no snapshot file found" : String.join("; ", problems))
                    + "). Refusing to start with a gap in acknowledged data: rebuild this node's replica of group "
                    + g + " from its peers");
        }
        for (long index : damaged) {
            if (index > baseIndex) {
                snapshots.setAside(index); // newer than what we use: out of the way of saves and retention
            }
        }
        SnapshotMeta meta = null;
        if (base != null) {
            try (SnapshotSource source = snapshots.openSource(baseIndex)) {
                meta = new SnapshotMeta(baseIndex, source.sizeBytes(), source.crc32c(),
                        Codec.decodeMembership(base.metadata()));
            }
        }
        List<Entry> live = new ArrayList<>();
        for (byte[] body : s.entries.tailMap(baseIndex, false).values()) {
            live.add(Codec.decodeEntry(body));
        }
        Recovered r = new Recovered(s.incarnation, s.promised, live, Math.max(s.chosen, baseIndex), meta);
        recovered.put(g, new Opened(r, s.initial, base));
        // Keep the log from the older of the two newest anchors; if recovery had to reach further back than that,
        // keep everything the group has until two new checkpoints are durable.
        Retention keep = new Retention();
        int from = Math.max(0, s.anchors.size() - 2);
        if (baseIndex < s.anchors.get(from)[1]) {
            keep.add(s.firstLsn, 0);
        } else {
            for (int i = from; i < s.anchors.size(); i++) {
                keep.add(s.anchors.get(i)[0], s.anchors.get(i)[1]);
            }
        }
        retention.put(g, keep);
    }

    /** True if {@code entries} hold every slot in {@code [from, to]}. */
    private static boolean logCovers(TreeMap<Long, byte[]> entries, long from, long to) {
        return from > to || entries.subMap(from, true, to, true).size() == to - from + 1;
    }

    /** Deletes snapshot files of groups the log does not hold, or of their earlier incarnations. */
    private static void collectOrphanSnapshots(FileStore store, Map<Integer, Opened> recovered, boolean logWasEmpty)
            throws IOException {
        List<String> orphans = new ArrayList<>();
        for (String name : store.list()) {
            GroupFileStore.Owner owner = GroupFileStore.ownerOf(name);
            if (owner == null) {
                continue;
            }
            Opened o = recovered.get(owner.group());
            if (o == null || o.recovered().incarnation() != owner.incarnation()) {
                orphans.add(name);
            }
        }
        if (orphans.isEmpty()) {
            return;
        }
        if (logWasEmpty) {
            // A log that never held a record beside group snapshots: the log files were lost, not compacted.
            throw new CorruptStorageException("the shared log is empty but the directory holds group snapshot files "
                    + orphans.subList(0, Math.min(3, orphans.size())) + (orphans.size() > 3 ? " and more" : "")
                    + "; the log segments are missing. Refusing to start as a new node over them: restore the "
                    + "log or rebuild this node from its peers on an empty directory");
        }
        for (String name : orphans) {
            store.delete(name);
        }
    }

    /** The groups the log holds records of, as found at open. */
    public Set<Integer> recoveredGroups() {
        return recoveredAtOpen;
    }

    /**
     * True if the log held no record at all when opened: a new node, as opposed to one whose groups all left
     * (even if compaction deleted every record since).
     */
    public boolean wasEmpty() {
        return wasEmpty;
    }

    /** What log recovery found and repaired when the log was opened. */
    public RecoveryReport recoveryReport() {
        return log.recoveryReport();
    }

    /**
     * The view of group {@code group}: its recovered state, or — for a group the log has never seen — fresh
     * state stamped with {@code incarnationIfNew} (recorded in the log before anything else of the group).
     *
     * @throws IllegalStateException if the view was already handed out
     */
    public Group group(int group, long incarnationIfNew) throws IOException {
        return group(group, incarnationIfNew, null);
    }

    /**
     * As {@link #group(int, long)}; a new group also records {@code initialIfNew}, the membership its replica
     * starts with (null: none recorded, the caller knows it), so that a restart before the replica has
     * learned any membership change from its log starts it with the same one.
     */
    public Group group(int group, long incarnationIfNew, Membership initialIfNew) throws IOException {
        if (groups.containsKey(group)) {
            throw new IllegalStateException("group " + group + " already has a view of the shared log");
        }
        Opened o = recovered.remove(group);
        Group g;
        if (o == null) {
            byte[] m = initialIfNew == null ? new byte[0] : Codec.encode(initialIfNew);
            long lsn = log.append(record(group, INCARNATION, ByteBuffer.allocate(8 + m.length)
                    .putLong(incarnationIfNew).put(m).array()));
            Retention keep = new Retention();
            keep.add(lsn, 0);
            retention.put(group, keep);
            GroupFileStore files = new GroupFileStore(store, group, incarnationIfNew);
            files.deleteAll(); // nothing of a new incarnation can exist; be sure no stray file is ever loaded
            g = new Group(group, Recovered.fresh(incarnationIfNew), initialIfNew, null, files);
        } else {
            g = new Group(group, o.recovered(), o.initial(), o.snapshot(),
                    new GroupFileStore(store, group, o.recovered().incarnation()));
        }
        groups.put(group, g);
        return g;
    }

    /**
     * Records that this node's replica of {@code group} left it: a restart does not recover the group, its
     * view is closed, and it no longer keeps any segment. Needs a {@link #sync} like any other record; its
     * snapshot files are deleted with {@link Group#discardSnapshots()} once that sync is done (or at the next
     * open).
     */
    public void removeGroup(int group) throws IOException {
        groups.remove(group);
        recovered.remove(group);
        retention.remove(group);
        log.append(record(group, REMOVED, new byte[0]));
    }

    /** The initial membership recorded for a recovered group, or null (read before its view is taken). */
    public Membership recordedMembership(int group) {
        Opened o = recovered.get(group);
        return o == null ? null : o.initial();
    }

    /** Makes everything written so far, by every group, durable with one fsync. */
    public void sync() throws IOException {
        log.sync();
    }

    /** When the log is idle: records that everything written so far is synced (see {@link SegmentedLog}). */
    public void markIdle() throws IOException {
        if (log.lastLsn() > lastMarkedLsn) {
            log.markSynced();
            lastMarkedLsn = log.lastLsn();
        }
    }

    /**
     * Deletes, oldest first, every segment all of whose records are below what every live group still needs
     * (counting only checkpoints that are already synced). Each deletion is durable before the next.
     *
     * @return how many segment files were deleted
     * @throws IOException if a deletion fails; the log stays usable and a later call retries
     */
    public int deleteCompactedSegments() throws IOException {
        long keepFrom = log.syncedLsn() + 1;
        for (Retention r : retention.values()) {
            keepFrom = Math.min(keepFrom, r.keepFrom(log.syncedLsn()));
        }
        int before = log.segmentNames().size();
        log.deleteSegmentsBelow(keepFrom);
        return before - log.segmentNames().size();
    }

    /**
     * The live groups that keep the oldest segment from being deleted: a driver whose log has grown too large
     * asks these to checkpoint early. Empty if there is only the active segment.
     */
    public Set<Integer> groupsHoldingOldestSegment() {
        List<Long> firsts = log.segmentFirstLsns();
        Set<Integer> holding = new TreeSet<>();
        if (firsts.size() < 2) {
            return holding;
        }
        for (Map.Entry<Integer, Retention> e : retention.entrySet()) {
            if (e.getValue().keepFrom(log.syncedLsn()) < firsts.get(1)) {
                holding.add(e.getKey());
            }
        }
        return holding;
    }

    /** Log segment files (tests and status). */
    public List<String> segmentNames() {
        return log.segmentNames();
    }

    @Override
    public void close() throws IOException {
        log.close();
    }

    private static byte[] record(int group, byte type, byte[] body) {
        return ByteBuffer.allocate(5 + body.length).putInt(group).put(type).put(body).array();
    }

    /**
     * The LSNs of one live group's identity and checkpoint records, oldest first, with the snapshot index each
     * stands for. The group needs the log from the older of its two newest durable ones.
     */
    private static final class Retention {
        private final ArrayDeque<long[]> anchors = new ArrayDeque<>();

        void add(long lsn, long snapshotIndex) {
            anchors.addLast(new long[] {lsn, snapshotIndex});
        }

        /** First LSN still needed, counting anchors synced by {@code syncedLsn}; MAX_VALUE if none is yet. */
        long keepFrom(long syncedLsn) {
            int durable = 0;
            for (long[] a : anchors) {
                if (a[0] <= syncedLsn) {
                    durable++;
                }
            }
            // Anchors are in LSN order, so the durable ones come first.
            while (durable > 2) {
                anchors.removeFirst();
                durable--;
            }
            return durable == 0 ? Long.MAX_VALUE : anchors.peekFirst()[0];
        }
    }

    /** The body of a checkpoint record. */
    private record Checkpoint(long incarnation, long snapshotIndex, long chosen, Ballot promised, Membership initial) {

        byte[] encode() {
            byte[] m = initial == null ? new byte[0] : Codec.encode(initial);
            return ByteBuffer.allocate(24 + 12 + m.length).putLong(incarnation).putLong(snapshotIndex).putLong(chosen)
                    .put(Codec.encode(promised)).put(m).array();
        }

        static Checkpoint decode(byte[] body) throws CorruptStorageException {
            if (body.length < 36) {
                throw new CorruptStorageException("checkpoint record of " + body.length + " bytes is shorter than 36");
            }
            ByteBuffer b = ByteBuffer.wrap(body);
            long incarnation = b.getLong();
            long index = b.getLong();
            long chosen = b.getLong();
            Ballot promised = Codec.decodeBallot(Arrays.copyOfRange(body, 24, 36));
            Membership initial = body.length > 36 ? Codec.decodeMembership(Arrays.copyOfRange(body, 36, body.length))
                    : null;
            return new Checkpoint(incarnation, index, chosen, promised, initial);
        }
    }

    /** One group's part of the shared log. Not thread-safe: used by the log's owner thread (see each method). */
    public final class Group {
        private final int id;
        private final Recovered recovered;
        private final Membership initialMembership;
        private final GroupFileStore files;
        private final SnapshotStore snapshots;
        private StoredSnapshot recoveredSnapshot;
        private long chosenWritten;

        private Group(int id, Recovered recovered, Membership initialMembership, StoredSnapshot recoveredSnapshot,
                      GroupFileStore files) {
            this.id = id;
            this.recovered = recovered;
            this.initialMembership = initialMembership;
            this.recoveredSnapshot = recoveredSnapshot;
            this.files = files;
            this.snapshots = SnapshotStore.open(files);
            this.chosenWritten = recovered.chosenIndex();
        }

        /** The membership recorded when the group was created here, or null if none was. */
        public Membership initialMembership() {
            return initialMembership;
        }

        public int id() {
            return id;
        }

        /** The incarnation of this replica's storage. */
        public long incarnation() {
            return recovered.incarnation();
        }

        /** What was durable for this group when the log was opened; its snapshot, if any, is {@link #recoveredSnapshot()}. */
        public Recovered recovered() {
            return recovered;
        }

        /**
         * The verified snapshot {@link #recovered()} starts from (the state machine must be restored from it
         * before the entries above it are applied), or null; null too after {@link #releaseRecoveredSnapshot()}.
         */
        public StoredSnapshot recoveredSnapshot() {
            return recoveredSnapshot;
        }

        /** Drops the reference to the recovered snapshot's bytes once the state machine holds them. */
        public void releaseRecoveredSnapshot() {
            recoveredSnapshot = null;
        }

        /**
         * The group's snapshot store: save snapshots here, send them from here, receive a leader's here. It may be
         * used from a thread other than the log's owner (one thread at a time).
         */
        public SnapshotStore snapshots() {
            return snapshots;
        }

        /**
         * Deletes every snapshot file of this group's incarnation; for after the group's removal is durable. Call
         * from the thread that owns {@link #snapshots()}.
         */
        public void discardSnapshots() throws IOException {
            files.deleteAll();
        }

        /** Appends the Ready's durable part (promise, entries, chosen prefix) without syncing. */
        public void write(Ready ready) throws IOException {
            if (groups.get(id) != this) {
                return; // removed: a Ready staged before the removal has nothing left to write to
            }
            if (ready.promise() != null) {
                log.append(record(id, PROMISE, Codec.encode(ready.promise())));
            }
            for (Entry e : ready.entries()) {
                log.append(record(id, ENTRY, Codec.encode(e)));
            }
            if (ready.chosenIndex() > chosenWritten) {
                // Needs no sync of its own: a lost chosen prefix is relearned from the leader.
                log.append(record(id, CHOSEN, ByteBuffer.allocate(8).putLong(ready.chosenIndex()).array()));
                chosenWritten = ready.chosenIndex();
            }
        }

        /**
         * Appends a checkpoint without syncing: the group's durable snapshot covers every slot up to
         * {@code snapshotIndex} (0: no snapshot yet, the checkpoint only moves the group's records forward), and
         * {@code promised}, {@code live} (its entries; those at or below the snapshot are skipped) and
         * {@code chosenIndex} are what the replica holds now. Once a later {@link #sync} covers it, every earlier
         * record of the group but those the previous checkpoint needs may be deleted. The snapshot must be
         * durable in {@link #snapshots()} before this is called: recovery refuses a checkpoint it finds no usable
         * snapshot for (unless the log still reaches back to slot 1).
         */
        public void writeCheckpoint(long snapshotIndex, Ballot promised, List<Entry> live, long chosenIndex)
                throws IOException {
            if (groups.get(id) != this) {
                return;
            }
            long chosen = Math.max(chosenIndex, snapshotIndex);
            long lsn = log.append(record(id, CHECKPOINT, new Checkpoint(recovered.incarnation(), snapshotIndex, chosen,
                    promised, initialMembership).encode()));
            for (Entry e : live) {
                if (e.slot() > snapshotIndex) {
                    log.append(record(id, ENTRY, Codec.encode(e)));
                }
            }
            chosenWritten = Math.max(chosenWritten, chosen);
            Retention keep = retention.get(id);
            if (keep != null) {
                keep.add(lsn, snapshotIndex);
            }
        }
    }
}
