package io.bulwark.txn;

import io.bulwark.core.Checksums;
import io.bulwark.paxos.StateMachine;
import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.paxos.kv.KvResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What one partition's Paxos group replicates: a record per transaction that touched it (its state; on the
 * home partition also its participant list, which makes it the transaction record) and the resource the
 * transactions work on — the key-value map with its write intents, read locks and range locks
 * ({@link KvResource}, behind the participant SPI {@link TxnResource}).
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
        TxnState state;

        Record(TxnId id, TxnState state, int home, long deadline, List<Integer> participants) {
            this.id = id;
            this.state = state;
            this.home = home;
            this.deadline = deadline;
            this.participants = participants;
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
    private final KvResource kv = new KvResource();
    private final TreeMap<TxnId, Record> txns = new TreeMap<>();
    private final TreeSet<TxnId> prepared = new TreeSet<>();
    private final TreeSet<Expiry> finished = new TreeSet<>();
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
            if (!(c instanceof TxnCommand.Read) && !(c instanceof TxnCommand.Status) && !(c instanceof TxnCommand.RangeRead)
                    && !(c instanceof TxnCommand.Overdue)) {
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
        TxnId holder = kv.holderFor(command);
        if (holder != null) {
            return locked(holder).toKv();
        }
        return command instanceof KvCommand.Scan scan ? kv.map().scan(scan) : kv.map().execute(command);
    }

    private TxnResult.Locked locked(TxnId holder) {
        Record r = txns.get(holder);
        return new TxnResult.Locked(holder, r.home, r.deadline);
    }

    /** A resource's read answer: a transaction id means that transaction's intent is in the way. */
    private TxnResult answer(Object read) {
        return read instanceof TxnId holder ? locked(holder) : (TxnResult) read;
    }

    /** A transaction command. */
    public TxnResult execute(TxnCommand command) {
        if (command instanceof TxnCommand.Read r) {
            return answer(kv.read(r.key()));
        }
        if (command instanceof TxnCommand.RangeRead rr) {
            return answer(kv.rangeRead(rr));
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
                record(new Record(f.txn(), TxnState.ABORTED, -1, f.deadline(), List.of()));
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
        TxnResult.Refused refusal = kv.prepare(p);
        newestDeadline = Math.max(newestDeadline, p.deadline());
        if (refusal != null) {
            record(new Record(p.txn(), TxnState.ABORTED, p.home(), p.deadline(), p.participants()));
            evict();
            return refusal.holder() == null ? refusal
                    : new TxnResult.Refused(refusal.reason(), locked(refusal.holder().txn()));
        }
        if (p.onePhase()) {
            kv.resolve(p.txn(), true);
            record(new Record(p.txn(), TxnState.COMMITTED, p.home(), p.deadline(), p.participants()));
        } else {
            record(new Record(p.txn(), TxnState.PREPARED, p.home(), p.deadline(), p.participants()));
        }
        evict();
        return new TxnResult.Prepared();
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
            record(new Record(r.txn(), TxnState.ABORTED, -1, r.deadline(), List.of()));
            return new TxnResult.Outcome(TxnState.ABORTED, List.of());
        }
        if (rec.state == TxnState.PREPARED) {
            kv.resolve(rec.id, r.commit());
            rec.state = r.commit() ? TxnState.COMMITTED : TxnState.ABORTED;
            prepared.remove(rec.id);
            finished.add(new Expiry(rec.deadline, rec.id));
        }
        return outcome(rec);
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
        return kv.lockedKeys();
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
        return kv.map().scan(KvCommand.scan(from, null, limit));
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
        byte[] resourceImage = in.bytes();
        long deadline = in.i64();
        int n = in.count(33);
        List<Record> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            TxnId id = in.txn();
            int state = in.u8();
            if (state >= TxnState.values().length) {
                throw new IllegalStateException("partition snapshot names an unknown transaction state " + state);
            }
            int home = in.i32();
            long d = in.i64();
            int np = in.count(4);
            List<Integer> parts = new ArrayList<>(np);
            for (int j = 0; j < np; j++) {
                parts.add(in.i32());
            }
            records.add(new Record(id, TxnState.values()[state], home, d, List.copyOf(parts)));
        }
        in.end();
        kv.restore(resourceImage);
        newestDeadline = deadline;
        txns.clear();
        prepared.clear();
        finished.clear();
        for (Record r : records) {
            record(r);
        }
    }

    /** Entries of the committed map, for tests: key → value. */
    Map<String, String> dumpForTests() {
        Map<String, String> out = new TreeMap<>();
        KvResult r = kv.map().scan(KvCommand.scan(new byte[0], null, KvCommand.MAX_SCAN_LIMIT));
        for (KvResult.KeyValue e : ((KvResult.Entries) r).entries()) {
            out.put(new String(e.key(), java.nio.charset.StandardCharsets.UTF_8),
                    new String(e.value(), java.nio.charset.StandardCharsets.UTF_8));
        }
        return out;
    }
}
