package io.bulwark.paxos.storage;

import io.bulwark.core.storage.FileStore;
import io.bulwark.paxos.Ballot;
import io.bulwark.paxos.Codec;
import io.bulwark.paxos.Entry;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.Recovered;
import io.bulwark.paxos.log.LogOptions;
import io.bulwark.paxos.log.LogRecord;
import io.bulwark.paxos.log.RecoveryReport;
import io.bulwark.paxos.log.SegmentedLog;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One write-ahead log shared by every Paxos group a node hosts (one replica per partition), so that one
 * fsync makes a whole batch durable for all of them: a node with 16 partitions syncs once per group commit,
 * not 16 times, which is what the disk and a 2-core machine can afford (the "multi-Raft" log engines of
 * TiKV and CockroachDB make the same choice).
 *
 * <p>Every record is {@code [u32 group][u8 type][body]} in a {@link SegmentedLog} (CRC32C per record, torn
 * unsynced tails cut, damaged synced records fatal). Types: the group's incarnation and initial membership
 * (written when the group is created, before any other record of it), a promise, an accepted or learned
 * entry, the chosen prefix, and the group's removal (its replica left the group; a later creation record
 * starts it afresh). Recovery
 * reads the log once and splits it by group; {@link #group} hands out a per-group view whose
 * {@link Group#write} appends that group's part of a {@link Ready}; {@link #sync} covers every group.
 *
 * <p>Not yet: snapshots and compaction (segments would be deletable only once every group has compacted
 * past them); the log grows with the commands written.
 *
 * <p>Not thread-safe: owned by one sync thread.
 */
public final class SharedLog implements Closeable {

    private static final byte INCARNATION = 0;
    private static final byte PROMISE = 1;
    private static final byte ENTRY = 2;
    private static final byte CHOSEN = 3;
    private static final byte REMOVED = 4;

    private final SegmentedLog log;
    private final Map<Integer, Recovered> recovered;
    private final Map<Integer, Membership> initialMemberships;
    private final Set<Integer> recoveredAtOpen;
    private final boolean wasEmpty;
    private final Map<Integer, Group> groups = new TreeMap<>();
    private long lastMarkedLsn;

    private SharedLog(SegmentedLog log, Map<Integer, Recovered> recovered, Map<Integer, Membership> initial) {
        this.log = log;
        this.recovered = recovered;
        this.initialMemberships = initial;
        this.recoveredAtOpen = Collections.unmodifiableSet(new java.util.TreeSet<>(recovered.keySet()));
        this.wasEmpty = log.recovered().isEmpty();
        this.lastMarkedLsn = log.lastLsn();
    }

    /**
     * Opens (or creates) the log in {@code store} and recovers every group in it.
     *
     * @throws io.bulwark.paxos.log.CorruptLogException if a synced record is damaged
     * @throws CorruptStorageException if a group's records come before its incarnation record
     */
    public static SharedLog open(FileStore store, LogOptions options) throws IOException {
        SegmentedLog log = SegmentedLog.open(store, options);
        Map<Integer, long[]> incarnations = new TreeMap<>();
        Map<Integer, Membership> initial = new TreeMap<>();
        Map<Integer, Ballot> promised = new TreeMap<>();
        Map<Integer, List<Entry>> entries = new TreeMap<>();
        Map<Integer, Long> chosen = new TreeMap<>();
        for (LogRecord record : log.recovered()) {
            byte[] p = record.payload();
            if (p.length < 5) {
                throw new CorruptStorageException("shared log record " + record.lsn() + " of " + p.length
                        + " bytes has no group header");
            }
            ByteBuffer buf = ByteBuffer.wrap(p);
            int group = buf.getInt();
            byte type = buf.get();
            byte[] body = java.util.Arrays.copyOfRange(p, 5, p.length);
            if (type == INCARNATION) {
                // A (re)creation: whatever the group held before belongs to a replica that left.
                incarnations.put(group, new long[] {ByteBuffer.wrap(body).getLong()});
                promised.remove(group);
                entries.remove(group);
                chosen.remove(group);
                initial.remove(group);
                if (body.length > 8) {
                    initial.put(group, Codec.decodeMembership(java.util.Arrays.copyOfRange(body, 8, body.length)));
                }
                continue;
            }
            if (type == REMOVED) {
                incarnations.remove(group);
                promised.remove(group);
                entries.remove(group);
                chosen.remove(group);
                initial.remove(group);
                continue;
            }
            if (!incarnations.containsKey(group)) {
                throw new CorruptStorageException("shared log record " + record.lsn() + " of group " + group
                        + " precedes the group's incarnation record; the log cannot be trusted");
            }
            switch (type) {
                case PROMISE -> {
                    Ballot b = Codec.decodeBallot(body);
                    Ballot now = promised.getOrDefault(group, Ballot.ZERO);
                    if (b.above(now)) {
                        promised.put(group, b);
                    }
                }
                case ENTRY -> entries.computeIfAbsent(group, g -> new ArrayList<>()).add(Codec.decodeEntry(body));
                case CHOSEN -> chosen.merge(group, ByteBuffer.wrap(body).getLong(), Math::max);
                default -> throw new CorruptStorageException("shared log record " + record.lsn() + " has unknown type "
                        + type);
            }
        }
        Map<Integer, Recovered> recovered = new TreeMap<>();
        for (Map.Entry<Integer, long[]> e : incarnations.entrySet()) {
            int g = e.getKey();
            recovered.put(g, new Recovered(e.getValue()[0], promised.getOrDefault(g, Ballot.ZERO),
                    entries.getOrDefault(g, List.of()), chosen.getOrDefault(g, 0L), null));
        }
        return new SharedLog(log, recovered, initial);
    }

    /** The groups the log holds records of, as found at open. */
    public Set<Integer> recoveredGroups() {
        return recoveredAtOpen;
    }

    /** True if the log held no record at all when opened: a new node, as opposed to one whose groups all left. */
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
        Recovered r = recovered.remove(group);
        Membership initial = initialMemberships.remove(group);
        if (r == null) {
            byte[] m = initialIfNew == null ? new byte[0] : Codec.encode(initialIfNew);
            log.append(record(group, INCARNATION, ByteBuffer.allocate(8 + m.length).putLong(incarnationIfNew).put(m)
                    .array()));
            r = Recovered.fresh(incarnationIfNew);
            initial = initialIfNew;
        }
        Group g = new Group(group, r, initial);
        groups.put(group, g);
        return g;
    }

    /**
     * Records that this node's replica of {@code group} left it: a restart does not recover the group, and
     * its view is closed. Needs a {@link #sync} like any other record.
     */
    public void removeGroup(int group) throws IOException {
        groups.remove(group);
        recovered.remove(group);
        initialMemberships.remove(group);
        log.append(record(group, REMOVED, new byte[0]));
    }

    /** The initial membership recorded for a recovered group, or null (read before its view is taken). */
    public Membership recordedMembership(int group) {
        return initialMemberships.get(group);
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

    /** One group's part of the shared log. Not thread-safe: used by the log's owner thread. */
    public final class Group {
        private final int id;
        private final Recovered recovered;
        private final Membership initialMembership;
        private long chosenWritten;

        private Group(int id, Recovered recovered, Membership initialMembership) {
            this.id = id;
            this.recovered = recovered;
            this.initialMembership = initialMembership;
            this.chosenWritten = recovered.chosenIndex();
        }

        /** The membership recorded when the group was created here, or null if none was. */
        public Membership initialMembership() {
            return initialMembership;
        }

        public int id() {
            return id;
        }

        /** What was durable for this group when the log was opened. */
        public Recovered recovered() {
            return recovered;
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
    }
}
