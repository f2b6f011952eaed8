package io.bulwark.txn;

import io.bulwark.core.Checksums;
import io.bulwark.paxos.kv.KvCommand;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A transaction operation on one partition. Encoded with a first byte of {@value #FIRST_OP} or more, so that a
 * partition tells them from plain {@link KvCommand}s by that byte alone. Every one is idempotent by
 * transaction id: a duplicate, a retry through another session, or a late copy changes nothing the first did
 * not. Immutable.
 *
 * <p>{@code deadline} everywhere is the owner's promise to have finished by then, in milliseconds on the
 * owner's clock. Safety never depends on it: it only tells helpers when an unfinished transaction may be
 * presumed abandoned, and partitions when a finished record may be dropped.
 */
public sealed interface TxnCommand {

    /** Lowest operation byte of a transaction command; plain KV operations use lower ones. */
    int FIRST_OP = 16;

    /** Most keys one transaction reads plus writes on one partition. */
    int MAX_KEYS = 10_000;

    /** A key read with the version it had: the prepare checks it is still the current one. */
    record ReadCheck(byte[] key, long version) {
        public ReadCheck {
            checkKey(key);
        }
    }

    /** A key and the version a range read saw. */
    record Versioned(byte[] key, long version) {
        public Versioned {
            checkKey(key);
        }
    }

    /**
     * A range read: the keys in {@code [start, end)} ({@code end} null: unbounded) were exactly {@code seen}, with
     * those versions. The prepare checks the range still holds exactly that — no key changed, none appeared
     * (a phantom), none vanished — and locks the range against writes until the transaction is resolved.
     */
    record RangeCheck(byte[] start, byte[] end, List<Versioned> seen) {
        public RangeCheck {
            Objects.requireNonNull(start, "start");
            seen = List.copyOf(seen);
        }

        /** True if {@code key} lies in the range. */
        public boolean contains(byte[] key) {
            return Arrays.compareUnsigned(key, start) >= 0 && (end == null || Arrays.compareUnsigned(key, end) < 0);
        }
    }

    /** A key written ({@code value} null: deleted) with the writer's CRC32C of the value. */
    record Write(byte[] key, byte[] value, int crc32c) {
        public Write {
            checkKey(key);
        }

        public static Write put(byte[] key, byte[] value) {
            Objects.requireNonNull(value, "value");
            return new Write(key, value, Checksums.crc32c(value));
        }

        public static Write delete(byte[] key) {
            return new Write(key, null, 0);
        }
    }

    /** A transactional read (a query, not replicated): the value and its version, or who holds the key. */
    record Read(byte[] key) implements TxnCommand {
        public Read {
            checkKey(key);
        }
    }

    /**
     * A transactional range read (a query): the keys in {@code [start, end)} with their values and versions, at
     * most {@code limit}; refused with {@link TxnResult.Locked} if another transaction's write intent lies in it.
     */
    record RangeRead(byte[] start, byte[] end, int limit) implements TxnCommand {
        public RangeRead {
            Objects.requireNonNull(start, "start");
            if (limit < 1 || limit > KvCommand.MAX_SCAN_LIMIT) {
                throw new IllegalArgumentException("scan limit must be in [1, " + KvCommand.MAX_SCAN_LIMIT + "], was " + limit);
            }
        }
    }

    /**
     * The partition's vote: check {@code reads} are current and no other transaction holds any key, then lock
     * them (read locks; write intents for {@code writes}) and record the transaction as prepared — or refuse
     * and record it aborted. The home partition's prepare also carries {@code participants} (every partition
     * that prepares, home included): with it the record alone tells anyone how to find the outcome. A
     * transaction with a single participant commits in the same step (one-phase commit): its vote is the
     * decision, so it is recorded committed at once and needs no resolution.
     */
    record Prepare(TxnId txn, int home, long deadline, List<Integer> participants, List<ReadCheck> reads,
                   List<Write> writes, List<RangeCheck> ranges) implements TxnCommand {
        public Prepare(TxnId txn, int home, long deadline, List<Integer> participants, List<ReadCheck> reads,
                       List<Write> writes) {
            this(txn, home, deadline, participants, reads, writes, List.of());
        }

        public Prepare {
            Objects.requireNonNull(txn, "txn");
            participants = List.copyOf(participants);
            reads = List.copyOf(reads);
            writes = List.copyOf(writes);
            ranges = List.copyOf(ranges);
            if (reads.isEmpty() && writes.isEmpty() && ranges.isEmpty()) {
                throw new IllegalArgumentException("a prepare must read or write at least one key");
            }
            if (reads.size() + writes.size() > MAX_KEYS) {
                throw new IllegalArgumentException("a transaction may touch at most " + MAX_KEYS
                        + " keys of one partition, this one touches " + (reads.size() + writes.size()));
            }
            TreeSet<byte[]> seen = new TreeSet<>(Arrays::compareUnsigned);
            for (Write w : writes) {
                if (!seen.add(w.key())) {
                    throw new IllegalArgumentException("a key is written twice in one prepare");
                }
            }
            TreeSet<byte[]> read = new TreeSet<>(Arrays::compareUnsigned);
            for (ReadCheck r : reads) {
                if (!read.add(r.key())) {
                    throw new IllegalArgumentException("a key is read twice in one prepare");
                }
            }
            if (!participants.isEmpty() && !participants.contains(home)) {
                throw new IllegalArgumentException("the home partition " + home + " must be among the participants "
                        + participants);
            }
        }

        /** True on the home partition: it carries the participant list. */
        public boolean carriesRecord() {
            return !participants.isEmpty();
        }

        /** True if this partition is the only participant: a yes vote commits. */
        public boolean onePhase() {
            return participants.size() == 1;
        }
    }

    /** The outcome, applied here: a prepared transaction's writes take effect (commit) or are dropped. */
    record Resolve(TxnId txn, boolean commit, long deadline) implements TxnCommand {
        public Resolve {
            Objects.requireNonNull(txn, "txn");
        }
    }

    /**
     * Recovery's fence: if the transaction has not prepared here it never will (recorded as aborted); the
     * answer is the state after that.
     */
    record Fence(TxnId txn, long deadline) implements TxnCommand {
        public Fence {
            Objects.requireNonNull(txn, "txn");
        }
    }

    /** The state here, changing nothing (a query). */
    record Status(TxnId txn, long deadline) implements TxnCommand {
        public Status {
            Objects.requireNonNull(txn, "txn");
        }
    }

    /**
     * Prepared transactions here whose deadline is before {@code nowMillis} (the asker's clock), at most
     * {@code max}, oldest first: what a partition's sweeper asks its own leader (a query).
     */
    record Overdue(long nowMillis, int max) implements TxnCommand {
        public Overdue {
            if (max < 1 || max > 10_000) {
                throw new IllegalArgumentException("max must be in [1, 10000], was " + max);
            }
        }
    }

    /** True if {@code command} encodes a transaction command rather than a plain KV one. */
    static boolean isTxnCommand(byte[] command) {
        return command.length > 0 && (command[0] & 0xff) >= FIRST_OP;
    }

    /** The binary form. */
    default byte[] encode() {
        Bytes b = new Bytes();
        if (this instanceof Read r) {
            b.u8(16).bytes(r.key());
        } else if (this instanceof Prepare p) {
            b.u8(17).txn(p.txn()).i32(p.home()).i64(p.deadline()).i32(p.participants().size());
            for (int part : p.participants()) {
                b.i32(part);
            }
            b.i32(p.reads().size());
            for (ReadCheck r : p.reads()) {
                b.bytes(r.key()).i64(r.version());
            }
            b.i32(p.writes().size());
            for (Write w : p.writes()) {
                b.bytes(w.key()).bytes(w.value()).i32(w.crc32c());
            }
            b.i32(p.ranges().size());
            for (RangeCheck r : p.ranges()) {
                b.bytes(r.start()).bytes(r.end()).i32(r.seen().size());
                for (Versioned v : r.seen()) {
                    b.bytes(v.key()).i64(v.version());
                }
            }
        } else if (this instanceof Resolve r) {
            b.u8(18).txn(r.txn()).u8(r.commit() ? 1 : 0).i64(r.deadline());
        } else if (this instanceof Fence f) {
            b.u8(19).txn(f.txn()).i64(f.deadline());
        } else if (this instanceof RangeRead r) {
            b.u8(22).bytes(r.start()).bytes(r.end()).i32(r.limit());
        } else if (this instanceof Overdue o) {
            b.u8(21).i64(o.nowMillis()).i32(o.max());
        } else {
            Status s = (Status) this;
            b.u8(20).txn(s.txn()).i64(s.deadline());
        }
        return b.toArray();
    }

    /** Decodes what {@link #encode()} produced; malformed input → {@link IllegalArgumentException}. */
    static TxnCommand decode(byte[] bytes) {
        if (bytes.length == 0) {
            throw new IllegalArgumentException("empty transaction command");
        }
        Bytes.Reader in = new Bytes.Reader(bytes, 1);
        TxnCommand c = switch (bytes[0] & 0xff) {
            case 16 -> new Read(in.bytes());
            case 17 -> decodePrepare(in);
            case 18 -> new Resolve(in.txn(), in.u8() == 1, in.i64());
            case 19 -> new Fence(in.txn(), in.i64());
            case 20 -> new Status(in.txn(), in.i64());
            case 21 -> new Overdue(in.i64(), in.i32());
            case 22 -> new RangeRead(in.bytes(), in.bytes(), in.i32());
            default -> throw new IllegalArgumentException("unknown transaction operation " + (bytes[0] & 0xff));
        };
        in.end();
        return c;
    }

    private static Prepare decodePrepare(Bytes.Reader in) {
        TxnId txn = in.txn();
        int home = in.i32();
        long deadline = in.i64();
        int np = in.count(4);
        List<Integer> participants = new ArrayList<>(np);
        for (int i = 0; i < np; i++) {
            participants.add(in.i32());
        }
        int nr = in.count(12);
        List<ReadCheck> reads = new ArrayList<>(nr);
        for (int i = 0; i < nr; i++) {
            reads.add(new ReadCheck(in.bytes(), in.i64()));
        }
        int nw = in.count(12);
        List<Write> writes = new ArrayList<>(nw);
        for (int i = 0; i < nw; i++) {
            writes.add(new Write(in.bytes(), in.bytes(), in.i32()));
        }
        int ng = in.count(12);
        List<RangeCheck> ranges = new ArrayList<>(ng);
        for (int i = 0; i < ng; i++) {
            byte[] start = in.bytes();
            byte[] end = in.bytes();
            int nv = in.count(12);
            List<Versioned> seen = new ArrayList<>(nv);
            for (int j = 0; j < nv; j++) {
                seen.add(new Versioned(in.bytes(), in.i64()));
            }
            ranges.add(new RangeCheck(start, end, seen));
        }
        return new Prepare(txn, home, deadline, participants, reads, writes, ranges);
    }

    private static void checkKey(byte[] key) {
        if (key == null || key.length == 0 || key.length > KvCommand.MAX_KEY_BYTES) {
            throw new IllegalArgumentException("keys must be 1.." + KvCommand.MAX_KEY_BYTES + " bytes, was "
                    + (key == null ? "null" : key.length));
        }
    }
}
