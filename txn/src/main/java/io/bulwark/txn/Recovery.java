package io.bulwark.txn;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Finds, and if asked forces, the outcome of a transaction from the partitions' replicated states alone — what
 * anyone who meets an unfinished transaction (a reader blocked by its intent, a partition's sweeper, the
 * coordinator that lost an answer) runs. Pure state machine: its driver sends the requests and feeds back the
 * answers. Not thread-safe.
 *
 * <h2>The rule</h2>
 * A transaction is committed if and only if every participant named in its home record has prepared (parallel
 * commit). So: ask home. A final home record is the answer. A prepared one names the participants: ask each;
 * all prepared (or committed) → committed; any aborted → aborted. In {@link Mode#FORCE} the questions are
 * {@link TxnCommand.Fence}s, which record "aborted" wherever the transaction has not prepared, so the answer is
 * always final — which is why only a transaction past its deadline (presumed abandoned) is forced. In
 * {@link Mode#CHECK} they are {@link TxnCommand.Status} queries that disturb nothing, and "not prepared yet"
 * means the transaction is still running ({@link Verdict#PENDING}).
 *
 * <p>{@link TxnState#FORGOTTEN} anywhere the answer would depend on it gives {@link Verdict#UNDECIDABLE}:
 * recovery never guesses.
 */
public final class Recovery {

    /** Whether questions may change state. */
    public enum Mode {
        /** Status queries only; a running transaction is left alone. */
        CHECK,
        /** Fences: a participant that has not prepared never will; the outcome is always decided. */
        FORCE
    }

    /** Where recovery stands. */
    public enum Verdict {
        /** Questions are outstanding. */
        ASKING,
        /** Committed: send {@link #resolutions()}. */
        COMMITTED,
        /** Aborted: send {@link #resolutions()}. */
        ABORTED,
        /** Still running (CHECK mode only): try again later, or force once past the deadline. */
        PENDING,
        /** A participant has forgotten the transaction; the outcome cannot be known from the replicas. */
        UNDECIDABLE
    }

    private final TxnId txn;
    private final int home;
    private final long deadline;
    private final Mode mode;
    private final TreeSet<Integer> alsoResolve;
    private final TreeMap<Integer, TxnState> answers = new TreeMap<>();
    private List<Integer> participants = List.of();
    private boolean askedParticipants;
    private Verdict verdict = Verdict.ASKING;
    private String why = "";

    /**
     * @param alsoResolve partitions known to hold the transaction's state (where it was met) that get the
     *                    resolution even if the home record does not name them (a home that never saw the
     *                    prepare has no list)
     */
    public Recovery(TxnId txn, int home, long deadline, Mode mode, Collection<Integer> alsoResolve) {
        this.txn = txn;
        this.home = home;
        this.deadline = deadline;
        this.mode = mode;
        this.alsoResolve = new TreeSet<>(alsoResolve);
    }

    public TxnId txn() {
        return txn;
    }

    public Verdict verdict() {
        return verdict;
    }

    /** Why the verdict is what it is, for logs and errors. */
    public String explanation() {
        return why;
    }

    /** The first question: to the home partition. */
    public List<Commit.Request> start() {
        return List.of(ask(home));
    }

    private Commit.Request ask(int partition) {
        TxnCommand q = mode == Mode.FORCE ? new TxnCommand.Fence(txn, deadline) : new TxnCommand.Status(txn, deadline);
        return new Commit.Request(partition, q);
    }

    /** The question for {@code partition} again, after a lost answer (fences and queries are idempotent). */
    public Commit.Request askAgain(int partition) {
        return ask(partition);
    }

    /** Partitions whose answer is outstanding. */
    public List<Integer> waitingFor() {
        if (verdict != Verdict.ASKING) {
            return List.of();
        }
        if (!askedParticipants) {
            return List.of(home);
        }
        List<Integer> out = new ArrayList<>();
        for (int p : participants) {
            if (!answers.containsKey(p)) {
                out.add(p);
            }
        }
        return out;
    }

    /** Feeds one answer; returns further questions to send (possibly none). */
    public List<Commit.Request> onAnswer(int partition, TxnResult answer) {
        if (verdict != Verdict.ASKING || answers.containsKey(partition)) {
            return List.of();
        }
        if (!(answer instanceof TxnResult.Outcome o)) {
            throw new IllegalArgumentException("a recovery question was answered with " + answer);
        }
        if (!askedParticipants) {
            if (partition != home) {
                return List.of();
            }
            return onHome(o);
        }
        if (!participants.contains(partition)) {
            return List.of();
        }
        answers.put(partition, o.state());
        switch (o.state()) {
            case ABORTED -> decide(Verdict.ABORTED, "participant " + partition + " aborted it");
            case FORGOTTEN -> decide(Verdict.UNDECIDABLE, "participant " + partition + " has forgotten it");
            case NONE -> {
                if (mode == Mode.CHECK) {
                    decide(Verdict.PENDING, "participant " + partition + " has not prepared yet");
                } else {
                    throw new IllegalStateException("a fence was answered NONE by partition " + partition);
                }
            }
            case PREPARED, COMMITTED -> {
                if (answers.size() == participants.size()) {
                    decide(Verdict.COMMITTED, "every participant prepared");
                }
            }
        }
        return List.of();
    }

    private List<Commit.Request> onHome(TxnResult.Outcome o) {
        answers.put(home, o.state());
        participants = o.participants();
        switch (o.state()) {
            case COMMITTED -> decide(Verdict.COMMITTED, "its home record is committed");
            case ABORTED -> decide(Verdict.ABORTED, "its home record is aborted");
            case FORGOTTEN -> decide(Verdict.UNDECIDABLE, "its home partition has forgotten it");
            case NONE -> {
                if (mode == Mode.CHECK) {
                    decide(Verdict.PENDING, "its home partition has not prepared yet");
                } else {
                    throw new IllegalStateException("a fence was answered NONE by home partition " + home);
                }
            }
            case PREPARED -> {
                if (participants.isEmpty()) {
                    // Only the home's own prepare carries the list, so a prepared home always has one.
                    throw new IllegalStateException("home partition " + home + " prepared " + txn
                            + " without a participant list");
                }
                askedParticipants = true;
                List<Commit.Request> out = new ArrayList<>();
                for (int p : participants) {
                    if (p != home) {
                        out.add(ask(p));
                    }
                }
                if (out.isEmpty()) {
                    decide(Verdict.COMMITTED, "its only participant, home, prepared");
                }
                return out;
            }
        }
        return List.of();
    }

    private void decide(Verdict v, String reason) {
        verdict = v;
        why = "transaction " + txn + ": " + reason;
    }

    /** The resolutions to send for a COMMITTED or ABORTED verdict: every partition known to hold state, home last. */
    public List<Commit.Request> resolutions() {
        if (verdict != Verdict.COMMITTED && verdict != Verdict.ABORTED) {
            throw new IllegalStateException("no outcome to resolve: " + verdict);
        }
        TreeSet<Integer> targets = new TreeSet<>(participants);
        targets.addAll(alsoResolve);
        return resolutions(txn, deadline, home, targets, verdict == Verdict.COMMITTED);
    }

    static List<Commit.Request> resolutions(TxnId txn, long deadline, int home, Collection<Integer> targets,
                                            boolean commit) {
        List<Commit.Request> out = new ArrayList<>();
        TxnCommand.Resolve r = new TxnCommand.Resolve(txn, commit, deadline);
        for (int p : new TreeSet<>(targets)) {
            if (p != home) {
                out.add(new Commit.Request(p, r));
            }
        }
        out.add(new Commit.Request(home, r));
        return out;
    }
}
