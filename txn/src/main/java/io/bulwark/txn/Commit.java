package io.bulwark.txn;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The coordinator of one transaction's commit, as a pure state machine (its driver sends what it returns and
 * feeds it the answers). Parallel commit: every participant's prepare is sent at once; the transaction is
 * committed the moment the last one is chosen — the home record, with its participant list, and every
 * participant's durable vote are then enough for anyone to find the outcome — so the client is answered
 * after one consensus round, and the intents are resolved afterwards. One refusal aborts it.
 *
 * <p>If some prepare's answer never comes (the driver gave up), the outcome is decided by running a forcing
 * {@link Recovery}: the coordinator may not guess. Not thread-safe.
 */
public final class Commit {

    /** A message for the driver to send: {@code command} to partition {@code partition}'s leader. */
    public record Request(int partition, TxnCommand command) {
    }

    /** Where the commit stands. */
    public enum Phase {
        /** Waiting for prepare answers. */
        PREPARING,
        /** Every participant prepared: committed (the client may be told). */
        COMMITTED,
        /** Some participant refused: aborted. */
        ABORTED
    }

    private final TxnId id;
    private final int home;
    private final long deadline;
    private final TreeMap<Integer, TxnCommand.Prepare> prepares;
    private final TreeSet<Integer> waiting;
    private Phase phase = Phase.PREPARING;
    private TxnResult.Refused refusal;
    private String failure;

    Commit(TxnId id, int home, long deadline, SortedMap<Integer, TxnCommand.Prepare> prepares) {
        this.id = id;
        this.home = home;
        this.deadline = deadline;
        this.prepares = new TreeMap<>(prepares);
        this.waiting = new TreeSet<>(prepares.keySet());
    }

    public TxnId id() {
        return id;
    }

    public int home() {
        return home;
    }

    public long deadline() {
        return deadline;
    }

    public Phase phase() {
        return phase;
    }

    /** The partitions that prepare, home included, in order. */
    public List<Integer> participants() {
        return List.copyOf(prepares.keySet());
    }

    /** Partitions whose prepare answer has not arrived. */
    public List<Integer> waitingFor() {
        return List.copyOf(waiting);
    }

    /** The refusal that aborted the transaction, if that is why. */
    public TxnResult.Refused refusal() {
        return refusal;
    }

    /** A participant's error that aborted the transaction (damaged or malformed data), if that is why. */
    public String failure() {
        return failure;
    }

    /** Every prepare, to send at once. */
    public List<Request> prepares() {
        List<Request> out = new ArrayList<>();
        for (Map.Entry<Integer, TxnCommand.Prepare> e : prepares.entrySet()) {
            out.add(new Request(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** The prepare for one partition, to resend after a lost answer (prepares are idempotent). */
    public Request prepareFor(int partition) {
        TxnCommand.Prepare p = prepares.get(partition);
        if (p == null) {
            throw new IllegalArgumentException("partition " + partition + " is not a participant of " + id);
        }
        return new Request(partition, p);
    }

    /** Feeds one partition's answer to its prepare; returns the phase after it. */
    public Phase onPrepareAnswer(int partition, TxnResult answer) {
        if (!prepares.containsKey(partition)) {
            throw new IllegalArgumentException("partition " + partition + " is not a participant of " + id);
        }
        if (phase != Phase.PREPARING || !waiting.contains(partition)) {
            return phase;
        }
        if (answer instanceof TxnResult.Prepared) {
            waiting.remove(partition);
            if (waiting.isEmpty()) {
                phase = Phase.COMMITTED;
            }
        } else if (answer instanceof TxnResult.Refused r) {
            refusal = r;
            phase = Phase.ABORTED;
        } else if (answer instanceof TxnResult.Failed f) {
            failure = f.detail();
            phase = Phase.ABORTED;
        } else {
            throw new IllegalArgumentException("a prepare was answered with " + answer);
        }
        return phase;
    }

    /**
     * The resolutions to send once decided: none after a committed one-phase commit (the single participant
     * applied it with its vote); otherwise to every participant, the home record last (any order is safe;
     * home last keeps the record unfinished until every intent it knows of is resolved, so a helper that reads
     * it finished finds nothing left to do).
     */
    public List<Request> resolutions() {
        if (phase == Phase.PREPARING) {
            throw new IllegalStateException("transaction " + id + " is not decided yet");
        }
        if (phase == Phase.COMMITTED && prepares.size() == 1) {
            return List.of();
        }
        return Recovery.resolutions(id, deadline, home, prepares.keySet(), phase == Phase.COMMITTED);
    }

    /**
     * The resolutions for an outcome decided elsewhere (by a forcing {@link Recovery} after a lost answer): the
     * caller vouches for {@code commit}.
     */
    public List<Request> resolutionsFor(boolean commit) {
        if (phase != Phase.PREPARING && (phase == Phase.COMMITTED) != commit) {
            throw new IllegalStateException("transaction " + id + " is " + phase + ", not " + (commit ? "committed" : "aborted"));
        }
        if (commit && prepares.size() == 1) {
            return List.of();
        }
        return Recovery.resolutions(id, deadline, home, prepares.keySet(), commit);
    }
}
