package io.bulwark.client;

import io.bulwark.txn.Commit;
import io.bulwark.txn.TxnBuffer;
import io.bulwark.txn.TxnCommand;
import io.bulwark.txn.TxnId;
import io.bulwark.txn.TxnResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A serializable transaction over any keys of the cluster, from {@link BulwarkClient#begin()}.
 *
 * <p>Reads go to the partitions as they are made (each sees the latest committed value; a value written
 * earlier in this transaction is read back from the transaction itself; a key read twice reads the same value
 * twice). Writes are buffered here and sent only at {@link #commit()}, which prepares every partition touched
 * at once — each replicates its vote with its write intents — and returns as soon as every prepare is chosen
 * (one consensus round); the intents are resolved in the background. The commit is refused with the retryable
 * {@link TransactionConflictException} if another transaction holds a key it needs or wrote one it read since;
 * nothing is applied then. A transaction that only reads commits by checking nothing it read has changed, and
 * takes no locks.
 *
 * <p>Misuse — any call after commit or rollback, commit past the deadline — is refused with
 * {@link TransactionStateException}. Not thread-safe: one thread at a time.
 */
public final class Transaction implements AutoCloseable {

    private enum State { OPEN, COMMITTED, ROLLED_BACK, FAILED }

    private final BulwarkClient client;
    private final TxnRunner runner;
    private final TxnId id;
    private final long deadlineMillis;
    private final TxnBuffer buffer = new TxnBuffer();
    private State state = State.OPEN;

    Transaction(BulwarkClient client, TxnRunner runner, TxnId id, long deadlineMillis) {
        this.client = client;
        this.runner = runner;
        this.id = id;
        this.deadlineMillis = deadlineMillis;
    }

    /** This transaction's id (as shown in errors, status and logs). */
    public String id() {
        return id.toString();
    }

    /** This transaction's id in the protocol's form (for {@link BulwarkClient#transactionCommand} queries). */
    public TxnId txnId() {
        return id;
    }

    /** When the transaction must have committed by, in epoch milliseconds; after it, the cluster may abort it. */
    public long deadlineMillis() {
        return deadlineMillis;
    }

    /** The value of {@code key} as this transaction sees it, or null if it has none. */
    public byte[] get(byte[] key) {
        checkOpen("get");
        TxnCommand.Write mine = buffer.bufferedWrite(key);
        if (mine != null) {
            return mine.value() == null ? null : mine.value().clone();
        }
        TxnBuffer.Seen seen = buffer.seen(key);
        if (seen != null) {
            return seen.value() == null ? null : seen.value().clone();
        }
        int partition = client.partitionOf(key);
        TxnResult.Value v = join(read(partition, new TxnCommand.Read(checkedKey(key))));
        buffer.recordRead(key, v.value(), v.version());
        return v.value() == null ? null : v.value().clone();
    }

    /**
     * The values of several keys as this transaction sees them (null for a key with none), in the order given,
     * read from their partitions in parallel.
     */
    public List<byte[]> getAll(List<byte[]> keys) {
        checkOpen("get");
        List<CompletableFuture<TxnResult.Value>> pending = new ArrayList<>();
        for (byte[] key : keys) {
            checkedKey(key);
            boolean known = buffer.bufferedWrite(key) != null || buffer.seen(key) != null;
            pending.add(known ? null : read(client.partitionOf(key), new TxnCommand.Read(key)));
        }
        List<byte[]> out = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            if (pending.get(i) != null) {
                TxnResult.Value v = join(pending.get(i));
                buffer.recordRead(keys.get(i), v.value(), v.version());
            }
            out.add(get(keys.get(i)));
        }
        return out;
    }

    private CompletableFuture<TxnResult.Value> read(int partition, TxnCommand.Read read) {
        return query(partition, read).thenCompose(r -> r instanceof TxnResult.Value v ? CompletableFuture.completedFuture(v)
                : CompletableFuture.failedFuture(new BulwarkException("a transactional read was answered " + r)));
    }

    /** A transactional query, helping (then retrying past) any transaction whose intent is in the way. */
    private CompletableFuture<TxnResult> query(int partition, TxnCommand q) {
        return query(partition, q, null, 0);
    }

    private CompletableFuture<TxnResult> query(int partition, TxnCommand q, TxnId lastHolder, int waits) {
        return runner.call(new Commit.Request(partition, q)).thenCompose(r -> {
            if (r instanceof TxnResult.Locked l) {
                if (System.currentTimeMillis() > deadlineMillis) {
                    return CompletableFuture.failedFuture(new TransactionConflictException("transaction " + id
                            + " passed its deadline waiting for transaction " + l.txn() + ", which holds a key it reads"));
                }
                int n = l.txn().equals(lastHolder) ? waits + 1 : 0;
                return runner.help(l, partition, n).thenCompose(x -> query(partition, q, l.txn(), n));
            }
            return CompletableFuture.completedFuture(r);
        });
    }

    /**
     * The keys in {@code [start, end)} across every partition, in unsigned byte order, at most {@code limit}, as
     * this transaction sees them (its own buffered writes included). Serializable, phantoms included: every
     * partition's range is checked again at commit — a key written, added or removed in it since fails the
     * commit with {@link TransactionConflictException} — and stays locked against writers until the
     * transaction is resolved. Every partition becomes a participant of the commit.
     *
     * @param start first key, or an empty array for the first key
     * @param end   exclusive end, or null for no bound
     */
    public List<io.bulwark.paxos.kv.KvResult.KeyValue> scan(byte[] start, byte[] end, int limit) {
        checkOpen("scan");
        if (start == null || start.length > io.bulwark.paxos.kv.KvCommand.MAX_KEY_BYTES
                || (end != null && end.length > io.bulwark.paxos.kv.KvCommand.MAX_KEY_BYTES)) {
            throw new InvalidRequestException("scan bounds must be 0.." + io.bulwark.paxos.kv.KvCommand.MAX_KEY_BYTES + " bytes");
        }
        if (limit < 1 || limit > io.bulwark.paxos.kv.KvCommand.MAX_SCAN_LIMIT) {
            throw new InvalidRequestException("scan limit must be in [1, " + io.bulwark.paxos.kv.KvCommand.MAX_SCAN_LIMIT
                    + "], was " + limit);
        }
        int partitions = client.topology().partitions();
        List<CompletableFuture<TxnResult>> parts = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            parts.add(query(p, new TxnCommand.RangeRead(start.clone(), end == null ? null : end.clone(), limit)));
        }
        java.util.TreeMap<byte[], byte[]> merged = new java.util.TreeMap<>(java.util.Arrays::compareUnsigned);
        byte[] complete = end; // keys below this are complete in every partition's answer
        for (int p = 0; p < partitions; p++) {
            TxnResult r = join(parts.get(p));
            if (!(r instanceof TxnResult.Range range)) {
                throw new BulwarkException("a transactional scan was answered " + r);
            }
            List<TxnCommand.Versioned> seen = new ArrayList<>();
            for (TxnResult.Entry e : range.entries()) {
                seen.add(new TxnCommand.Versioned(e.key(), e.version()));
                buffer.recordRead(e.key(), e.value(), e.version());
                merged.put(e.key(), e.value());
            }
            byte[] rangeEnd = range.resumeKey() != null ? range.resumeKey() : end;
            buffer.recordRange(p, new TxnCommand.RangeCheck(start.clone(), rangeEnd == null ? null : rangeEnd.clone(), seen));
            if (range.resumeKey() != null && (complete == null
                    || java.util.Arrays.compareUnsigned(range.resumeKey(), complete) < 0)) {
                complete = range.resumeKey();
            }
        }
        for (TxnCommand.Write w : buffer.writesIn(start, end)) {
            if (w.value() == null) {
                merged.remove(w.key());
            } else {
                merged.put(w.key(), w.value());
            }
        }
        List<io.bulwark.paxos.kv.KvResult.KeyValue> out = new ArrayList<>();
        for (java.util.Map.Entry<byte[], byte[]> e : merged.entrySet()) {
            if (out.size() == limit || (complete != null && java.util.Arrays.compareUnsigned(e.getKey(), complete) >= 0)) {
                break;
            }
            out.add(new io.bulwark.paxos.kv.KvResult.KeyValue(e.getKey().clone(), e.getValue().clone()));
        }
        checkSize();
        return out;
    }

    /** Sets {@code key} to {@code value} when the transaction commits. */
    public void put(byte[] key, byte[] value) {
        checkOpen("put");
        checkedKey(key);
        BulwarkClient.checkWritable(key);
        if (value == null) {
            throw new InvalidRequestException("value must not be null (use delete to remove a key)");
        }
        if (value.length > BulwarkClient.MAX_VALUE_BYTES) {
            throw new InvalidRequestException("value of " + value.length + " bytes exceeds " + BulwarkClient.MAX_VALUE_BYTES);
        }
        buffer.write(key, value);
        checkSize();
    }

    /** Removes {@code key} when the transaction commits. */
    public void delete(byte[] key) {
        checkOpen("delete");
        checkedKey(key);
        BulwarkClient.checkWritable(key);
        buffer.write(key, null);
        checkSize();
    }

    /**
     * Commits: every write takes effect, atomically across partitions, or none does.
     *
     * @throws TransactionConflictException if another transaction got in the way (nothing applied; retry)
     * @throws TransactionStateException if already committed, rolled back, or past the deadline
     * @throws TransactionOutcomeUnknownException if the partitions could not be reached to learn the outcome
     */
    public void commit() {
        checkOpen("commit");
        if (System.currentTimeMillis() >= deadlineMillis) {
            state = State.FAILED;
            throw new TransactionStateException("transaction " + id + " is past its deadline; nothing was applied");
        }
        try {
            if (buffer.readOnly()) {
                validateReads();
            } else {
                commitWrites();
            }
            state = State.COMMITTED;
        } catch (RuntimeException e) {
            state = State.FAILED;
            throw e;
        }
    }

    private void commitWrites() {
        Commit c = buffer.toCommit(id, deadlineMillis, client::partitionOf);
        Commit.Phase phase = join(runner.prepareAll(c));
        List<Commit.Request> resolutions = c.resolutionsFor(phase == Commit.Phase.COMMITTED);
        // Intents are resolved in the background; a lost resolution is finished by whoever meets the intent.
        runner.resolve(resolutions, phase == Commit.Phase.COMMITTED);
        if (phase == Commit.Phase.ABORTED) {
            if (c.failure() != null) {
                throw new CorruptValueException("transaction " + id + " aborted: " + c.failure());
            }
            TxnResult.Refused why = c.refusal();
            throw new TransactionConflictException("transaction " + id + " aborted, nothing applied: "
                    + (why == null ? "its outcome was forced while a prepare went unanswered"
                    : describe(why)));
        }
    }

    private static String describe(TxnResult.Refused r) {
        return switch (r.reason()) {
            case CONFLICT -> "transaction " + r.holder().txn() + " holds a key it needs";
            case STALE_READ -> "a key it read was written by someone else since";
            case ALREADY_ABORTED -> "it was aborted by a helper (it took too long)";
            case TOO_LATE -> "its deadline is older than the cluster keeps records for";
            case CORRUPT_VALUE -> "a value was damaged on its way";
        };
    }

    private void validateReads() {
        List<byte[]> keys = buffer.readKeys();
        List<CompletableFuture<TxnResult.Value>> checks = new ArrayList<>();
        for (byte[] k : keys) {
            checks.add(read(client.partitionOf(k), new TxnCommand.Read(k)));
        }
        List<CompletableFuture<TxnResult>> rangeChecks = new ArrayList<>();
        List<TxnCommand.RangeCheck> ranges = new ArrayList<>();
        for (java.util.Map.Entry<Integer, List<TxnCommand.RangeCheck>> e : buffer.ranges().entrySet()) {
            for (TxnCommand.RangeCheck r : e.getValue()) {
                ranges.add(r);
                rangeChecks.add(query(e.getKey(), new TxnCommand.RangeRead(r.start(), r.end(),
                        io.bulwark.paxos.kv.KvCommand.MAX_SCAN_LIMIT)));
            }
        }
        for (int i = 0; i < keys.size(); i++) {
            if (join(checks.get(i)).version() != buffer.readVersion(keys.get(i))) {
                throw new TransactionConflictException("read-only transaction " + id + ": a key it read was written "
                        + "since; its reads were not a consistent snapshot");
            }
        }
        for (int i = 0; i < ranges.size(); i++) {
            TxnResult now = join(rangeChecks.get(i));
            if (!(now instanceof TxnResult.Range r) || r.resumeKey() != null || !sameKeysAndVersions(r, ranges.get(i))) {
                throw new TransactionConflictException("read-only transaction " + id + ": a range it scanned changed "
                        + "since; its reads were not a consistent snapshot");
            }
        }
    }

    private static boolean sameKeysAndVersions(TxnResult.Range now, TxnCommand.RangeCheck then) {
        if (now.entries().size() != then.seen().size()) {
            return false;
        }
        for (int i = 0; i < now.entries().size(); i++) {
            if (!java.util.Arrays.equals(now.entries().get(i).key(), then.seen().get(i).key())
                    || now.entries().get(i).version() != then.seen().get(i).version()) {
                return false;
            }
        }
        return true;
    }

    /** Abandons the transaction; nothing it wrote is applied. A no-op after a failed commit. */
    public void rollback() {
        if (state == State.COMMITTED) {
            throw new TransactionStateException("transaction " + id + " is committed; it cannot be rolled back");
        }
        if (state == State.ROLLED_BACK) {
            throw new TransactionStateException("transaction " + id + " is already rolled back");
        }
        state = State.ROLLED_BACK;
    }

    /** Rolls back unless committed (for try-with-resources). */
    @Override
    public void close() {
        if (state == State.OPEN) {
            state = State.ROLLED_BACK;
        }
    }

    private void checkOpen(String what) {
        if (state != State.OPEN) {
            throw new TransactionStateException("cannot " + what + ": transaction " + id + " is "
                    + state.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' '));
        }
    }

    private void checkSize() {
        if (buffer.size() > TxnCommand.MAX_KEYS) {
            throw new InvalidRequestException("a transaction may touch at most " + TxnCommand.MAX_KEYS + " keys");
        }
    }

    private static byte[] checkedKey(byte[] key) {
        if (key == null || key.length == 0 || key.length > io.bulwark.paxos.kv.KvCommand.MAX_KEY_BYTES) {
            throw new InvalidRequestException("keys must be 1.." + io.bulwark.paxos.kv.KvCommand.MAX_KEY_BYTES
                    + " bytes, was " + (key == null ? "null" : key.length));
        }
        return key;
    }

    private static <T> T join(CompletableFuture<T> f) {
        return BulwarkClient.join(f);
    }
}
