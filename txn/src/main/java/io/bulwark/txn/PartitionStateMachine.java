package io.bulwark.txn;

import io.bulwark.core.Checksums;
import io.bulwark.paxos.StateMachine;
import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.paxos.kv.KvResult;
import io.bulwark.paxos.kv.KvStateMachine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one partition's Paxos group replicates: the key-value map ({@link KvStateMachine}: values with their
 * CRC32C and a version per write) plus the partition's side of every transaction that touched it — write
 * intents, read locks, and a record per transaction (its state; on the home partition also its participant
 * list, which makes it the transaction record).
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>A prepare never waits: if another transaction holds a key it needs (a write intent on any of its keys,
 *       or a read lock on a key it writes) or a key it read has a newer version, it is refused and the
 *       transaction recorded aborted here. No waiting means no deadlock; the refusal is the retryable
 *       conflict.</li>
 *   <li>Plain operations respect the locks: a get or scan meeting a write intent, and a put, delete or
 *       compare-and-set meeting any lock, answer {@link KvResult.Locked} and do nothing, so no one reads around
 *       a transaction that may already be committed, or writes under one that read the key.</li>
 *   <li>A record is final once committed or aborted, and only a prepared one changes: commit applies its
 *       intents, abort drops them, both release its locks. A fence or an abort for a transaction that never
 *       prepared here records it aborted, so its late prepare is refused.</li>
 *   <li>Final records are kept until the newest deadline seen is {@code retentionMs} past theirs, then dropped;
 *       a prepare whose deadline is that old is refused ({@link TxnResult.Reason#TOO_LATE}) and questions
 *       about such a transaction are answered {@link TxnState#FORGOTTEN}. Deadlines come from commands, so
 *       every replica drops the same records at the same point.</li>
 * </ul>
 *
 * <p>Deterministic and not thread-safe: driven by one replica's apply loop.
 */
public final class PartitionStateMachine implements StateMachine {

    /** Default retention of finished transaction records, past the newest deadline seen: one hour. */
    public static final long DEFAULT_RETENTION_MS = 3_600_000L;

    /** One transaction as this partition knows it. */
    private static final class Record {
        final TxnId id;
        final int home;
        final long deadline;
        final List<Integer> participants;
        final List<TxnCommand.Write> writes;
        /** Keys read and not written: these hold read locks. */
        final List<byte[]> readOnlyKeys;
        /** Ranges read: locked against writes by others while prepared. Only their bounds are kept. */
        final List<TxnCommand.RangeCheck> ranges;
        TxnState state;

        Record(TxnId id, TxnState state, int home, long deadline, List<Integer> participants,
               List<TxnCommand.Write> writes, List<byte[]> readOnlyKeys, List<TxnCommand.RangeCheck> ranges) {
            this.id = id;
            this.state = state;
            this.home = home;
            this.deadline = deadline;
            this.participants = participants;
            this.writes = writes;
            this.readOnlyKeys = readOnlyKeys;
            this.ranges = ranges;
        }
    }

    /** A finished record, in the order it may be dropped. */
    private record Expiry(long deadline, TxnId id) implements Comparable<Expiry> {
        @Override
        public int compareTo(Expiry o) {
            int c = Long.compare(deadline, o.deadline);
            return c != 0 ? c : id.compareTo(o.id);
        }
    }

    /** A prepared transaction past its deadline: a candidate for recovery by the partition's driver. */
    public record Overdue(TxnId txn, int home, long deadline) {
    }

    private final long retentionMs;
    private final KvStateMachine kv = new KvStateMachine();
    private final TreeMap<TxnId, Record> txns = new TreeMap<>();
    private final TreeSet<TxnId> prepared = new TreeSet<>();
    private final TreeSet<Expiry> finished = new TreeSet<>();
    private final TreeMap<byte[], TxnId> writeLocks = new TreeMap<>(Arrays::compareUnsigned);
    private final TreeMap<byte[], TreeSet<TxnId>> readLocks = new TreeMap<>(Arrays::compareUnsigned);
    /** Ranges read by prepared transactions: no one else may write a key in them until they are resolved. */
    private final TreeMap<TxnId, List<TxnCommand.RangeCheck>> rangeLocks = new TreeMap<>();
    private long newestDeadline = Long.MIN_VALUE;

    public PartitionStateMachine() {
        this(DEFAULT_RETENTION_MS);
    }

    public PartitionStateMachine(long retentionMs) {
        if (retentionMs < 1) {
            throw new IllegalArgumentException("retention must be at least 1 ms, was " + retentionMs);
        }
        this.retentionMs = retentionMs;
    }

    @Override
    public byte[] apply(long slot, byte[] command) {
        if (TxnCommand.isTxnCommand(command)) {
            TxnCommand c;
            try {
                c = TxnCommand.decode(command);
            } catch (IllegalArgumentException e) {
                return new TxnResult.Failed("malformed transaction command: " + e.getMessage()).encode();
            }
            return execute(c).encode();
        }
        KvCommand c;
        try {
            c = KvCommand.decode(command);
        } catch (IllegalArgumentException e) {
            return new KvResult.Corrupt("malformed command: " + e.getMessage()).encode();
        }
        return execute(c).encode();
    }

    @Override
    public byte[] query(byte[] request) {
        if (TxnCommand.isTxnCommand(request)) {
            TxnCommand c = TxnCommand.decode(request);
            if (c instanceof TxnCommand.Overdue o) {
                return new TxnResult.OverdueList(overdue(o.nowMillis(), o.max())).encode();
            }
            if (!(c instanceof TxnCommand.Read) && !(c instanceof TxnCommand.Status) && !(c instanceof TxnCommand.RangeRead)) {
                throw new IllegalArgumentException("only transactional reads and status queries can be served as "
                        + "queries, got " + c.getClass().getSimpleName());
            }
            return execute(c).encode();
        }
        KvCommand c = KvCommand.decode(request);
        if (!(c instanceof KvCommand.Get) && !(c instanceof KvCommand.Scan)) {
            throw new IllegalArgumentException("only gets and scans can be served as queries, got "
                    + c.getClass().getSimpleName());
        }
        return execute(c).encode();
    }

    /** A plain KV operation, refused with {@link KvResult.Locked} where a transaction holds the key. */
    public KvResult execute(KvCommand command) {
        if (command instanceof KvCommand.Scan scan) {
            SortedMap<byte[], TxnId> held = scan.end() == null ? writeLocks.tailMap(scan.key(), true)
                    : Arrays.compareUnsigned(scan.key(), scan.end()) >= 0 ? new TreeMap<>()
                    : writeLocks.subMap(scan.key(), scan.end());
            if (!held.isEmpty()) {
                return locked(held.values().iterator().next());
            }
            return kv.scan(scan);
        }
        TxnId writer = writeLocks.get(command.key());
        if (writer != null) {
            return locked(writer);
        }
        if (!(command instanceof KvCommand.Get)) {
            TreeSet<TxnId> readers = readLocks.get(command.key());
            if (readers != null) {
                return locked(readers.first());
            }
            TxnId ranger = rangeHolder(command.key(), null);
            if (ranger != null) {
                return locked(ranger);
            }
        }
        return kv.execute(command);
    }

    /** A prepared transaction other than {@code except} whose range read covers {@code key}, or null. */
    private TxnId rangeHolder(byte[] key, TxnId except) {
        for (java.util.Map.Entry<TxnId, List<TxnCommand.RangeCheck>> e : rangeLocks.entrySet()) {
            if (e.getKey().equals(except)) {
                continue;
            }
            for (TxnCommand.RangeCheck r : e.getValue()) {
                if (r.contains(key)) {
                    return e.getKey();
                }
            }
        }
        return null;
    }

    /** The first write intent of a transaction other than {@code except} in {@code [start, end)}, or null. */
    private TxnId intentIn(byte[] start, byte[] end, TxnId except) {
        SortedMap<byte[], TxnId> held = end == null ? writeLocks.tailMap(start, true)
                : Arrays.compareUnsigned(start, end) >= 0 ? new TreeMap<>() : writeLocks.subMap(start, end);
        for (TxnId holder : held.values()) {
            if (!holder.equals(except)) {
                return holder;
            }
        }
        return null;
    }

    /** Keys and versions in {@code [start, end)}, or null if there are more than a scan returns at once. */
    private List<TxnCommand.Versioned> versionsIn(byte[] start, byte[] end) {
        KvResult r = kv.scan(new KvCommand.Scan(start, end, KvCommand.MAX_SCAN_LIMIT));
        if (!(r instanceof KvResult.Entries e) || e.resumeKey() != null) {
            return null;
        }
        List<TxnCommand.Versioned> out = new ArrayList<>(e.entries().size());
        for (KvResult.KeyValue kv : e.entries()) {
            out.add(new TxnCommand.Versioned(kv.key(), this.kv.version(kv.key())));
        }
        return out;
    }

    private static boolean sameVersions(List<TxnCommand.Versioned> a, List<TxnCommand.Versioned> b) {
        if (a == null || a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i).key(), b.get(i).key()) || a.get(i).version() != b.get(i).version()) {
                return false;
            }
        }
        return true;
    }

    private KvResult.Locked locked(TxnId holder) {
        Record r = txns.get(holder);
        return new KvResult.Locked(holder.high(), holder.low(), r.home, r.deadline);
    }

    /** A transaction command. */
    public TxnResult execute(TxnCommand command) {
        if (command instanceof TxnCommand.Read r) {
            TxnId writer = writeLocks.get(r.key());
            if (writer != null) {
                return TxnResult.Locked.of(locked(writer));
            }
            KvResult value = kv.execute(new KvCommand.Get(r.key()));
            if (value instanceof KvResult.Corrupt c) {
                return new TxnResult.Failed(c.detail());
            }
            return new TxnResult.Value(((KvResult.Found) value).value(), kv.version(r.key()));
        }
        if (command instanceof TxnCommand.RangeRead rr) {
            TxnId writer = intentIn(rr.start(), rr.end(), null);
            if (writer != null) {
                return TxnResult.Locked.of(locked(writer));
            }
            KvResult r = kv.scan(new KvCommand.Scan(rr.start(), rr.end(), rr.limit()));
            if (r instanceof KvResult.Corrupt c) {
                return new TxnResult.Failed(c.detail());
            }
            KvResult.Entries entries = (KvResult.Entries) r;
            List<TxnResult.Entry> out = new ArrayList<>(entries.entries().size());
            for (KvResult.KeyValue e : entries.entries()) {
                out.add(new TxnResult.Entry(e.key(), e.value(), kv.version(e.key())));
            }
            return new TxnResult.Range(out, entries.resumeKey());
        }
        if (command instanceof TxnCommand.Prepare p) {
            return prepare(p);
        }
        if (command instanceof TxnCommand.Resolve r) {
            return resolve(r);
        }
        if (command instanceof TxnCommand.Overdue o) {
            return new TxnResult.OverdueList(overdue(o.nowMillis(), o.max()));
        }
        if (command instanceof TxnCommand.Fence f) {
            Record r = txns.get(f.txn());
            if (r == null) {
                if (f.deadline() < horizon()) {
                    return new TxnResult.Outcome(TxnState.FORGOTTEN, List.of());
                }
                record(new Record(f.txn(), TxnState.ABORTED, -1, f.deadline(), List.of(), List.of(), List.of(), List.of()));
                return new TxnResult.Outcome(TxnState.ABORTED, List.of());
            }
            return outcome(r);
        }
        TxnCommand.Status s = (TxnCommand.Status) command;
        Record r = txns.get(s.txn());
        if (r == null) {
            return new TxnResult.Outcome(s.deadline() < horizon() ? TxnState.FORGOTTEN : TxnState.NONE, List.of());
        }
        return outcome(r);
    }

    private TxnResult prepare(TxnCommand.Prepare p) {
        Record existing = txns.get(p.txn());
        if (existing != null) {
            return existing.state == TxnState.ABORTED
                    ? new TxnResult.Refused(TxnResult.Reason.ALREADY_ABORTED, null) : new TxnResult.Prepared();
        }
        if (p.deadline() < horizon()) {
            return new TxnResult.Refused(TxnResult.Reason.TOO_LATE, null);
        }
        TxnResult.Refused refusal = check(p);
        newestDeadline = Math.max(newestDeadline, p.deadline());
        if (refusal != null) {
            record(new Record(p.txn(), TxnState.ABORTED, p.home(), p.deadline(), p.participants(), List.of(), List.of(),
                    List.of()));
            evict();
            return refusal;
        }
        TreeSet<byte[]> written = new TreeSet<>(Arrays::compareUnsigned);
        for (TxnCommand.Write w : p.writes()) {
            writeLocks.put(w.key(), p.txn());
            written.add(w.key());
        }
        List<byte[]> readOnly = new ArrayList<>();
        for (TxnCommand.ReadCheck rc : p.reads()) {
            if (!written.contains(rc.key())) {
                readLocks.computeIfAbsent(rc.key(), k -> new TreeSet<>()).add(p.txn());
                readOnly.add(rc.key());
            }
        }
        List<TxnCommand.RangeCheck> ranges = new ArrayList<>();
        for (TxnCommand.RangeCheck r : p.ranges()) {
            ranges.add(new TxnCommand.RangeCheck(r.start(), r.end(), List.of()));
        }
        if (!ranges.isEmpty()) {
            rangeLocks.put(p.txn(), ranges);
        }
        record(new Record(p.txn(), TxnState.PREPARED, p.home(), p.deadline(), p.participants(), p.writes(), readOnly,
                ranges));
        evict();
        return new TxnResult.Prepared();
    }

    /** Why {@code p} cannot prepare now, or null if it can. */
    private TxnResult.Refused check(TxnCommand.Prepare p) {
        for (TxnCommand.Write w : p.writes()) {
            if (w.value() != null && Checksums.crc32c(w.value()) != w.crc32c()) {
                return new TxnResult.Refused(TxnResult.Reason.CORRUPT_VALUE, null);
            }
            TxnId writer = writeLocks.get(w.key());
            if (writer != null) {
                return conflict(writer);
            }
            TreeSet<TxnId> readers = readLocks.get(w.key());
            if (readers != null) {
                return conflict(readers.first());
            }
            TxnId ranger = rangeHolder(w.key(), p.txn());
            if (ranger != null) {
                return conflict(ranger);
            }
        }
        for (TxnCommand.RangeCheck r : p.ranges()) {
            TxnId writer = intentIn(r.start(), r.end(), p.txn());
            if (writer != null) {
                return conflict(writer);
            }
            if (!sameVersions(versionsIn(r.start(), r.end()), r.seen())) {
                return new TxnResult.Refused(TxnResult.Reason.STALE_READ, null);
            }
        }
        for (TxnCommand.ReadCheck rc : p.reads()) {
            TxnId writer = writeLocks.get(rc.key());
            if (writer != null) {
                return conflict(writer);
            }
            if (kv.version(rc.key()) != rc.version()) {
                return new TxnResult.Refused(TxnResult.Reason.STALE_READ, null);
            }
        }
        return null;
    }

    private TxnResult.Refused conflict(TxnId holder) {
        return new TxnResult.Refused(TxnResult.Reason.CONFLICT, TxnResult.Locked.of(locked(holder)));
    }

    private TxnResult resolve(TxnCommand.Resolve r) {
        Record rec = txns.get(r.txn());
        if (rec == null) {
            if (r.deadline() < horizon()) {
                return new TxnResult.Outcome(TxnState.FORGOTTEN, List.of());
            }
            if (r.commit()) {
                // Commit is decided only once every participant prepared, and a prepared record is never dropped:
                // a commit for a transaction that never prepared here is a caller's bug; change nothing.
                return new TxnResult.Outcome(TxnState.NONE, List.of());
            }
            record(new Record(r.txn(), TxnState.ABORTED, -1, r.deadline(), List.of(), List.of(), List.of(), List.of()));
            return new TxnResult.Outcome(TxnState.ABORTED, List.of());
        }
        if (rec.state == TxnState.PREPARED) {
            release(rec);
            if (r.commit()) {
                for (TxnCommand.Write w : rec.writes) {
                    kv.writeChecked(w.key(), w.value(), w.crc32c());
                }
            }
            rec.state = r.commit() ? TxnState.COMMITTED : TxnState.ABORTED;
            prepared.remove(rec.id);
            finished.add(new Expiry(rec.deadline, rec.id));
        }
        return outcome(rec);
    }

    private void release(Record rec) {
        rangeLocks.remove(rec.id);
        for (TxnCommand.Write w : rec.writes) {
            writeLocks.remove(w.key(), rec.id);
        }
        for (byte[] k : rec.readOnlyKeys) {
            TreeSet<TxnId> readers = readLocks.get(k);
            if (readers != null) {
                readers.remove(rec.id);
                if (readers.isEmpty()) {
                    readLocks.remove(k);
                }
            }
        }
    }

    private void record(Record r) {
        txns.put(r.id, r);
        if (r.state == TxnState.PREPARED) {
            prepared.add(r.id);
        } else {
            finished.add(new Expiry(r.deadline, r.id));
        }
    }

    private static TxnResult.Outcome outcome(Record r) {
        return new TxnResult.Outcome(r.state, r.participants);
    }

    private long horizon() {
        return newestDeadline == Long.MIN_VALUE ? Long.MIN_VALUE : newestDeadline - retentionMs;
    }

    private void evict() {
        long horizon = horizon();
        while (!finished.isEmpty() && finished.first().deadline() < horizon) {
            txns.remove(finished.pollFirst().id());
        }
    }

    /** Prepared transactions whose deadline is before {@code nowMs}, oldest first: candidates for recovery. */
    public List<Overdue> overdue(long nowMs, int max) {
        List<Overdue> out = new ArrayList<>();
        for (TxnId id : prepared) {
            Record r = txns.get(id);
            if (r.deadline < nowMs) {
                out.add(new Overdue(id, r.home, r.deadline));
                if (out.size() == max) {
                    break;
                }
            }
        }
        return out;
    }

    /** Number of prepared (unresolved) transactions here. */
    public int preparedCount() {
        return prepared.size();
    }

    /** Number of keys locked by a write intent or a read lock, plus transactions holding range locks. */
    public int lockedKeys() {
        TreeSet<byte[]> keys = new TreeSet<>(Arrays::compareUnsigned);
        keys.addAll(writeLocks.keySet());
        keys.addAll(readLocks.keySet());
        return keys.size() + rangeLocks.size();
    }

    /** Number of transaction records held (prepared and final). */
    public int recordCount() {
        return txns.size();
    }

    /** This partition's state of {@code txn} (NONE if no record), for tests and checkers. */
    public TxnState stateOf(TxnId txn) {
        Record r = txns.get(txn);
        return r == null ? TxnState.NONE : r.state;
    }

    /** The committed map, for checkers: every key with its value, damaged values failing the scan. */
    public KvResult committed(byte[] from, int limit) {
        return kv.scan(KvCommand.scan(from, null, limit));
    }

    @Override
    public byte[] snapshot() {
        Bytes b = new Bytes();
        b.bytes(kv.snapshot());
        b.i64(newestDeadline);
        b.i32(txns.size());
        for (Record r : txns.values()) {
            b.txn(r.id).u8(r.state.ordinal()).i32(r.home).i64(r.deadline);
            b.i32(r.participants.size());
            for (int p : r.participants) {
                b.i32(p);
            }
            b.i32(r.writes.size());
            for (TxnCommand.Write w : r.writes) {
                b.bytes(w.key()).bytes(w.value()).i32(w.crc32c());
            }
            b.i32(r.readOnlyKeys.size());
            for (byte[] k : r.readOnlyKeys) {
                b.bytes(k);
            }
            b.i32(r.ranges.size());
            for (TxnCommand.RangeCheck range : r.ranges) {
                b.bytes(range.start()).bytes(range.end());
            }
        }
        byte[] body = b.toArray();
        return new Bytes().i32(Checksums.crc32c(body)).bytes(body).toArray();
    }

    @Override
    public void restore(byte[] snapshot) {
        Bytes.Reader outer = new Bytes.Reader(snapshot, 0);
        int crc = outer.i32();
        byte[] body = outer.bytes();
        outer.end();
        if (body == null || Checksums.crc32c(body) != crc) {
            throw new IllegalStateException("partition snapshot failed its checksum; refusing to restore damaged state");
        }
        Bytes.Reader in = new Bytes.Reader(body, 0);
        byte[] kvImage = in.bytes();
        long deadline = in.i64();
        int n = in.count(33);
        List<Record> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            TxnId id = in.txn();
            TxnState state = TxnState.values()[in.u8()];
            int home = in.i32();
            long d = in.i64();
            int np = in.count(4);
            List<Integer> parts = new ArrayList<>(np);
            for (int j = 0; j < np; j++) {
                parts.add(in.i32());
            }
            int nw = in.count(12);
            List<TxnCommand.Write> writes = new ArrayList<>(nw);
            for (int j = 0; j < nw; j++) {
                writes.add(new TxnCommand.Write(in.bytes(), in.bytes(), in.i32()));
            }
            int nr = in.count(4);
            List<byte[]> reads = new ArrayList<>(nr);
            for (int j = 0; j < nr; j++) {
                reads.add(in.bytes());
            }
            int ng = in.count(8);
            List<TxnCommand.RangeCheck> ranges = new ArrayList<>(ng);
            for (int j = 0; j < ng; j++) {
                ranges.add(new TxnCommand.RangeCheck(in.bytes(), in.bytes(), List.of()));
            }
            records.add(new Record(id, state, home, d, List.copyOf(parts), List.copyOf(writes), List.copyOf(reads),
                    List.copyOf(ranges)));
        }
        in.end();
        kv.restore(kvImage);
        newestDeadline = deadline;
        txns.clear();
        prepared.clear();
        finished.clear();
        writeLocks.clear();
        readLocks.clear();
        rangeLocks.clear();
        for (Record r : records) {
            record(r);
            if (r.state == TxnState.PREPARED && !r.ranges.isEmpty()) {
                rangeLocks.put(r.id, r.ranges);
            }
            if (r.state == TxnState.PREPARED) {
                for (TxnCommand.Write w : r.writes) {
                    writeLocks.put(w.key(), r.id);
                }
                for (byte[] k : r.readOnlyKeys) {
                    readLocks.computeIfAbsent(k, x -> new TreeSet<>()).add(r.id);
                }
            }
        }
    }

    /** Entries of the committed map, for tests: key → value. */
    Map<String, String> dumpForTests() {
        Map<String, String> out = new TreeMap<>();
        KvResult r = kv.scan(KvCommand.scan(new byte[0], null, KvCommand.MAX_SCAN_LIMIT));
        for (KvResult.KeyValue e : ((KvResult.Entries) r).entries()) {
            out.put(new String(e.key(), java.nio.charset.StandardCharsets.UTF_8),
                    new String(e.value(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }
}
