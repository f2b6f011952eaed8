package io.bulwark.txn;

import io.bulwark.paxos.kv.KvResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A partition's answer to a {@link TxnCommand}. {@link Locked} and {@link Failed} share their encodings with
 * {@link KvResult.Locked} and {@link KvResult.Corrupt}, so one decoder reads what plain and transactional
 * operations answer alike. Immutable.
 */
public sealed interface TxnResult {

    /** A transactional read: the value (null: absent) and its version. */
    record Value(byte[] value, long version) implements TxnResult {
    }

    /** One key of a range read. */
    record Entry(byte[] key, byte[] value, long version) {
    }

    /**
     * A range read's answer: the entries in key order, and the first key not returned if the read stopped at its
     * limit ({@code null}: the range is complete).
     */
    record Range(List<Entry> entries, byte[] resumeKey) implements TxnResult {
        public Range {
            entries = List.copyOf(entries);
        }
    }

    /** The key is held by another, unfinished transaction; nothing was done. */
    record Locked(TxnId txn, int home, long deadline) implements TxnResult {
        public Locked {
            Objects.requireNonNull(txn, "txn");
        }

        /** The same holder as a plain operation reports it. */
        public static Locked of(KvResult.Locked l) {
            return new Locked(new TxnId(l.txnHigh(), l.txnLow()), l.home(), l.deadline());
        }

        KvResult.Locked toKv() {
            return new KvResult.Locked(txn.high(), txn.low(), home, deadline);
        }
    }

    /** The prepare succeeded (now or earlier): this partition's vote is yes and its locks are held. */
    record Prepared() implements TxnResult {
    }

    /** Why a partition voted no. */
    enum Reason {
        /** Another transaction holds one of the keys. */
        CONFLICT,
        /** A key read by the transaction has been written since. */
        STALE_READ,
        /** The transaction was aborted here earlier (fenced by a recovery, or refused before). */
        ALREADY_ABORTED,
        /** The transaction's deadline is older than the partition keeps records for. */
        TOO_LATE,
        /** A written value failed its checksum on arrival. */
        CORRUPT_VALUE
    }

    /**
     * The prepare was refused and the transaction is recorded aborted here; {@code holder} names the
     * transaction in the way when the reason is {@link Reason#CONFLICT}.
     */
    record Refused(Reason reason, Locked holder) implements TxnResult {
        public Refused {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** A resolve's, fence's or status query's answer: the state here; the home record adds the participants. */
    record Outcome(TxnState state, List<Integer> participants) implements TxnResult {
        public Outcome {
            Objects.requireNonNull(state, "state");
            participants = List.copyOf(participants);
        }
    }

    /** The answer to {@link TxnCommand.Overdue}. */
    record OverdueList(List<PartitionStateMachine.Overdue> overdue) implements TxnResult {
        public OverdueList {
            overdue = List.copyOf(overdue);
        }
    }

    /** A malformed request or damaged stored data: nothing was done, nothing is returned as data. */
    record Failed(String detail) implements TxnResult {
    }

    /** The binary form. */
    default byte[] encode() {
        if (this instanceof Locked l) {
            return l.toKv().encode();
        }
        if (this instanceof Failed f) {
            return new KvResult.Corrupt(f.detail()).encode();
        }
        Bytes b = new Bytes();
        if (this instanceof Value v) {
            b.u8(16).bytes(v.value()).i64(v.version());
        } else if (this instanceof Prepared) {
            b.u8(17);
        } else if (this instanceof Refused r) {
            b.u8(18).u8(r.reason().ordinal()).u8(r.holder() == null ? 0 : 1);
            if (r.holder() != null) {
                b.txn(r.holder().txn()).i32(r.holder().home()).i64(r.holder().deadline());
            }
        } else if (this instanceof Range r) {
            b.u8(21).i32(r.entries().size());
            for (Entry e : r.entries()) {
                b.bytes(e.key()).bytes(e.value()).i64(e.version());
            }
            b.bytes(r.resumeKey());
        } else if (this instanceof OverdueList l) {
            b.u8(20).i32(l.overdue().size());
            for (PartitionStateMachine.Overdue o : l.overdue()) {
                b.txn(o.txn()).i32(o.home()).i64(o.deadline());
            }
        } else {
            Outcome o = (Outcome) this;
            b.u8(19).u8(o.state().ordinal()).i32(o.participants().size());
            for (int p : o.participants()) {
                b.i32(p);
            }
        }
        return b.toArray();
    }

    /** Decodes what {@link #encode()} produced; malformed input → {@link IllegalArgumentException}. */
    static TxnResult decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new IllegalArgumentException("empty transaction result");
        }
        int tag = bytes[0] & 0xff;
        if (tag < TxnCommand.FIRST_OP) {
            KvResult kv = KvResult.decode(bytes);
            if (kv instanceof KvResult.Locked l) {
                return Locked.of(l);
            }
            if (kv instanceof KvResult.Corrupt c) {
                return new Failed(c.detail());
            }
            throw new IllegalArgumentException("a " + kv.getClass().getSimpleName()
                    + " answer where a transaction result was expected");
        }
        Bytes.Reader in = new Bytes.Reader(bytes, 1);
        TxnResult r = switch (tag) {
            case 16 -> new Value(in.bytes(), in.i64());
            case 17 -> new Prepared();
            case 18 -> {
                int reason = in.u8();
                if (reason >= Reason.values().length) {
                    throw new IllegalArgumentException("unknown refusal reason " + reason);
                }
                Locked holder = in.u8() == 1 ? new Locked(in.txn(), in.i32(), in.i64()) : null;
                yield new Refused(Reason.values()[reason], holder);
            }
            case 19 -> {
                int state = in.u8();
                if (state >= TxnState.values().length) {
                    throw new IllegalArgumentException("unknown transaction state " + state);
                }
                int n = in.count(4);
                List<Integer> parts = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    parts.add(in.i32());
                }
                yield new Outcome(TxnState.values()[state], parts);
            }
            case 20 -> {
                int n = in.count(28);
                List<PartitionStateMachine.Overdue> list = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    list.add(new PartitionStateMachine.Overdue(in.txn(), in.i32(), in.i64()));
                }
                yield new OverdueList(list);
            }
            case 21 -> {
                int n = in.count(16);
                List<Entry> entries = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    entries.add(new Entry(in.bytes(), in.bytes(), in.i64()));
                }
                yield new Range(entries, in.bytes());
            }
            default -> throw new IllegalArgumentException("unknown transaction result tag " + tag);
        };
        in.end();
        return r;
    }
}
