package io.bulwark.txn;

import io.bulwark.core.Checksums;
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
 * The key-value map as a transactional resource: the committed values ({@link KvStateMachine}: each with its
 * CRC32C and a version unique per write), and for every prepared transaction its write intents, its read
 * locks on the keys it read, and its locks on the ranges it scanned. Plain operations consult the locks
 * ({@link #holderFor}) so that none reads around an intent or writes under a read.
 *
 * <p>Deterministic and not thread-safe: driven by one replica's apply loop, through {@link PartitionStateMachine}.
 */
public final class KvResource implements TxnResource {

    /** What a prepared transaction holds here. */
    private record Held(List<TxnCommand.Write> writes, List<byte[]> readOnlyKeys, List<TxnCommand.RangeCheck> ranges) {
    }

    private final KvStateMachine kv = new KvStateMachine();
    private final TreeMap<TxnId, Held> held = new TreeMap<>();
    private final TreeMap<byte[], TxnId> writeLocks = new TreeMap<>(Arrays::compareUnsigned);
    private final TreeMap<byte[], TreeSet<TxnId>> readLocks = new TreeMap<>(Arrays::compareUnsigned);

    /** The committed map (reads, scans, plain writes once {@link #holderFor} allowed them). */
    KvStateMachine map() {
        return kv;
    }

    /**
     * The transaction whose lock stands in the way of a plain operation, or null: a get or scan meets write
     * intents; a put, delete or compare-and-set also meets read locks and range locks.
     */
    TxnId holderFor(KvCommand command) {
        if (command instanceof KvCommand.Scan scan) {
            return intentIn(scan.key(), scan.end(), null);
        }
        TxnId writer = writeLocks.get(command.key());
        if (writer != null || command instanceof KvCommand.Get) {
            return writer;
        }
        TreeSet<TxnId> readers = readLocks.get(command.key());
        if (readers != null) {
            return readers.first();
        }
        return rangeHolder(command.key(), null);
    }

    /** A transactional read: the value and version, or the transaction whose intent holds the key. */
    Object read(byte[] key) {
        TxnId writer = writeLocks.get(key);
        if (writer != null) {
            return writer;
        }
        KvResult value = kv.execute(new KvCommand.Get(key));
        if (value instanceof KvResult.Corrupt c) {
            return new TxnResult.Failed(c.detail());
        }
        return new TxnResult.Value(((KvResult.Found) value).value(), kv.version(key));
    }

    /** A transactional range read: the entries with versions, or the transaction whose intent lies in the range. */
    Object rangeRead(TxnCommand.RangeRead rr) {
        TxnId writer = intentIn(rr.start(), rr.end(), null);
        if (writer != null) {
            return writer;
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

    @Override
    public TxnResult.Refused prepare(TxnCommand.Prepare p) {
        TxnResult.Refused refusal = check(p);
        if (refusal != null) {
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
        held.put(p.txn(), new Held(p.writes(), List.copyOf(readOnly), List.copyOf(ranges)));
        return null;
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

    /** A conflict with {@code holder}; the partition fills in its home and deadline. */
    private static TxnResult.Refused conflict(TxnId holder) {
        return new TxnResult.Refused(TxnResult.Reason.CONFLICT, new TxnResult.Locked(holder, -1, 0));
    }

    @Override
    public void resolve(TxnId txn, boolean commit) {
        Held h = held.remove(txn);
        if (h == null) {
            return;
        }
        for (TxnCommand.Write w : h.writes()) {
            writeLocks.remove(w.key(), txn);
        }
        for (byte[] k : h.readOnlyKeys()) {
            TreeSet<TxnId> readers = readLocks.get(k);
            if (readers != null) {
                readers.remove(txn);
                if (readers.isEmpty()) {
                    readLocks.remove(k);
                }
            }
        }
        if (commit) {
            for (TxnCommand.Write w : h.writes()) {
                kv.writeChecked(w.key(), w.value(), w.crc32c());
            }
        }
    }

    /** A prepared transaction other than {@code except} whose range read covers {@code key}, or null. */
    private TxnId rangeHolder(byte[] key, TxnId except) {
        for (Map.Entry<TxnId, Held> e : held.entrySet()) {
            if (e.getKey().equals(except)) {
                continue;
            }
            for (TxnCommand.RangeCheck r : e.getValue().ranges()) {
                if (r.contains(key)) {
                    return e.getKey();
                }
            }
        }
        return null;
    }

    /** The first write intent of a transaction other than {@code except} in {@code [start, end)}, or null. */
    private TxnId intentIn(byte[] start, byte[] end, TxnId except) {
        SortedMap<byte[], TxnId> range = end == null ? writeLocks.tailMap(start, true)
                : Arrays.compareUnsigned(start, end) >= 0 ? new TreeMap<>() : writeLocks.subMap(start, end);
        for (TxnId holder : range.values()) {
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
        for (KvResult.KeyValue entry : e.entries()) {
            out.add(new TxnCommand.Versioned(entry.key(), kv.version(entry.key())));
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

    /** Keys under a write intent or read lock, plus transactions holding range locks. */
    int lockedKeys() {
        TreeSet<byte[]> keys = new TreeSet<>(Arrays::compareUnsigned);
        keys.addAll(writeLocks.keySet());
        keys.addAll(readLocks.keySet());
        int ranges = 0;
        for (Held h : held.values()) {
            ranges += h.ranges().isEmpty() ? 0 : 1;
        }
        return keys.size() + ranges;
    }

    @Override
    public byte[] snapshot() {
        Bytes b = new Bytes();
        b.bytes(kv.snapshot());
        b.i32(held.size());
        for (Map.Entry<TxnId, Held> e : held.entrySet()) {
            Held h = e.getValue();
            b.txn(e.getKey()).i32(h.writes().size());
            for (TxnCommand.Write w : h.writes()) {
                b.bytes(w.key()).bytes(w.value()).i32(w.crc32c());
            }
            b.i32(h.readOnlyKeys().size());
            for (byte[] k : h.readOnlyKeys()) {
                b.bytes(k);
            }
            b.i32(h.ranges().size());
            for (TxnCommand.RangeCheck r : h.ranges()) {
                b.bytes(r.start()).bytes(r.end());
            }
        }
        return b.toArray();
    }

    @Override
    public void restore(byte[] image) {
        Bytes.Reader in = new Bytes.Reader(image, 0);
        byte[] kvImage = in.bytes();
        int n = in.count(28);
        TreeMap<TxnId, Held> restored = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            TxnId id = in.txn();
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
            restored.put(id, new Held(List.copyOf(writes), List.copyOf(reads), List.copyOf(ranges)));
        }
        in.end();
        kv.restore(kvImage);
        held.clear();
        writeLocks.clear();
        readLocks.clear();
        held.putAll(restored);
        for (Map.Entry<TxnId, Held> e : held.entrySet()) {
            for (TxnCommand.Write w : e.getValue().writes()) {
                writeLocks.put(w.key(), e.getKey());
            }
            for (byte[] k : e.getValue().readOnlyKeys()) {
                readLocks.computeIfAbsent(k, x -> new TreeSet<>()).add(e.getKey());
            }
        }
    }
}
