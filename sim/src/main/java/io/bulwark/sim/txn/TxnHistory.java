package io.bulwark.sim.txn;

import io.bulwark.txn.TxnId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;

/**
 * What the bank's clients did: per transaction, what it read (the values it validated at commit), what it
 * wrote, when it started and finished in virtual time, and what its client was told. Not thread-safe.
 */
final class TxnHistory {

    /** What the client that ran a transaction was told. */
    enum Told {
        /** Still running, or its client crashed before hearing the outcome. */
        NOTHING,
        COMMITTED,
        ABORTED
    }

    /** One transaction. Values are {@code "<balance>:<writer>"}, unique per write. */
    static final class Txn {
        final TxnId id;
        final int client;
        final boolean readOnly;
        final long invokedUs;
        long completedUs = -1;
        Told told = Told.NOTHING;
        final TreeMap<String, String> reads = new TreeMap<>();
        final TreeMap<String, String> writes = new TreeMap<>();
        /** Which partitions it prepared on (for the final atomicity check). */
        final List<Integer> participants = new ArrayList<>();
        int home = -1;

        Txn(TxnId id, int client, boolean readOnly, long invokedUs) {
            this.id = id;
            this.client = client;
            this.readOnly = readOnly;
            this.invokedUs = invokedUs;
        }

        @Override
        public String toString() {
            return (readOnly ? "audit " : "transfer ") + id + " by client " + client + " reads " + reads + " writes "
                    + writes + " told " + told;
        }
    }

    private final TreeMap<TxnId, Txn> txns = new TreeMap<>();

    Txn begin(TxnId id, int client, boolean readOnly, long nowUs) {
        Txn t = new Txn(id, client, readOnly, nowUs);
        txns.put(id, t);
        return t;
    }

    void told(Txn t, Told told, long nowUs) {
        if (t.told != Told.NOTHING) {
            throw new IllegalStateException(t.id + " was told twice");
        }
        t.told = told;
        t.completedUs = nowUs;
    }

    List<Txn> all() {
        return Collections.unmodifiableList(new ArrayList<>(txns.values()));
    }

    int size() {
        return txns.size();
    }
}
