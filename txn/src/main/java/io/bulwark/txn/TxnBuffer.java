package io.bulwark.txn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * A transaction's client-side state before commit: what it read (value and version per key, the first read
 * of a key is the one validated) and what it will write (the last write of a key wins; reads of a key it
 * wrote see that write). Builds the {@link Commit} that prepares it on every partition it touched. Pure; not
 * thread-safe.
 */
public final class TxnBuffer {

    /** What a read saw. */
    public record Seen(byte[] value, long version) {
    }

    private final TreeMap<byte[], Seen> reads = new TreeMap<>(Arrays::compareUnsigned);
    private final TreeMap<byte[], TxnCommand.Write> writes = new TreeMap<>(Arrays::compareUnsigned);
    private final TreeMap<Integer, List<TxnCommand.RangeCheck>> ranges = new TreeMap<>();
    /** Keys in the order first written: the first one's partition is the home. */
    private byte[] firstWritten;

    /** The buffered write of {@code key}, if any (its value null for a delete). */
    public TxnCommand.Write bufferedWrite(byte[] key) {
        return writes.get(key);
    }

    /** What an earlier read of {@code key} saw, if any. */
    public Seen seen(byte[] key) {
        return reads.get(key);
    }

    /** Records a read; a second read of the same key keeps the first version (that is what commit checks). */
    public void recordRead(byte[] key, byte[] value, long version) {
        reads.putIfAbsent(key.clone(), new Seen(value, version));
    }

    /**
     * Records a range read on {@code partition}: {@code [start, end)} held exactly {@code seen}. Commit checks the
     * range still does (no phantom) and locks it.
     */
    public void recordRange(int partition, TxnCommand.RangeCheck range) {
        ranges.computeIfAbsent(partition, p -> new ArrayList<>()).add(range);
    }

    /** Range reads by partition, for validating a read-only transaction. */
    public Map<Integer, List<TxnCommand.RangeCheck>> ranges() {
        return java.util.Collections.unmodifiableMap(ranges);
    }

    /** Buffers a put ({@code value} non-null) or delete ({@code value} null). */
    public void write(byte[] key, byte[] value) {
        TxnCommand.Write w = value == null ? TxnCommand.Write.delete(key.clone())
                : TxnCommand.Write.put(key.clone(), value.clone());
        if (firstWritten == null) {
            firstWritten = w.key();
        }
        writes.put(w.key(), w);
    }

    /** Buffered writes to keys in {@code [start, end)} ({@code end} null: unbounded), in key order. */
    public List<TxnCommand.Write> writesIn(byte[] start, byte[] end) {
        java.util.SortedMap<byte[], TxnCommand.Write> range = end == null ? writes.tailMap(start, true)
                : Arrays.compareUnsigned(start, end) >= 0 ? new TreeMap<>() : writes.subMap(start, end);
        return new ArrayList<>(range.values());
    }

    /** True if nothing is written: commit only validates the reads. */
    public boolean readOnly() {
        return writes.isEmpty();
    }

    /** Keys read, in key order. */
    public List<byte[]> readKeys() {
        return new ArrayList<>(reads.keySet());
    }

    /** The version a read saw for {@code key}. */
    public long readVersion(byte[] key) {
        Seen s = reads.get(key);
        if (s == null) {
            throw new IllegalArgumentException("key was not read by this transaction");
        }
        return s.version();
    }

    /** Number of keys read plus written, plus range reads. */
    public int size() {
        int n = reads.size() + writes.size();
        for (List<TxnCommand.RangeCheck> r : ranges.values()) {
            n += r.size();
        }
        return n;
    }

    /**
     * The commit of a transaction that writes: one prepare per partition touched, the home (the partition of
     * the first key written) carrying the participant list.
     */
    public Commit toCommit(TxnId id, long deadline, ToIntFunction<byte[]> partitionOf) {
        if (writes.isEmpty()) {
            throw new IllegalStateException("a read-only transaction has nothing to prepare; validate its reads");
        }
        TreeMap<Integer, List<TxnCommand.ReadCheck>> readsBy = new TreeMap<>();
        TreeMap<Integer, List<TxnCommand.Write>> writesBy = new TreeMap<>();
        for (Map.Entry<byte[], Seen> e : reads.entrySet()) {
            readsBy.computeIfAbsent(partitionOf.applyAsInt(e.getKey()), p -> new ArrayList<>())
                    .add(new TxnCommand.ReadCheck(e.getKey(), e.getValue().version()));
        }
        for (TxnCommand.Write w : writes.values()) {
            writesBy.computeIfAbsent(partitionOf.applyAsInt(w.key()), p -> new ArrayList<>()).add(w);
        }
        int home = partitionOf.applyAsInt(firstWritten);
        java.util.TreeSet<Integer> participants = new java.util.TreeSet<>(readsBy.keySet());
        participants.addAll(writesBy.keySet());
        participants.addAll(ranges.keySet());
        List<Integer> all = List.copyOf(participants);
        TreeMap<Integer, TxnCommand.Prepare> prepares = new TreeMap<>();
        for (int p : all) {
            prepares.put(p, new TxnCommand.Prepare(id, home, deadline, p == home ? all : List.of(),
                    readsBy.getOrDefault(p, List.of()), writesBy.getOrDefault(p, List.of()),
                    ranges.getOrDefault(p, List.of())));
        }
        return new Commit(id, home, deadline, prepares);
    }
}
