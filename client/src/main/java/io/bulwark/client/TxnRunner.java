package io.bulwark.client;

import io.bulwark.txn.Commit;
import io.bulwark.txn.Recovery;
import io.bulwark.txn.TxnCommand;
import io.bulwark.txn.TxnResult;
import io.bulwark.txn.TxnState;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Drives the pure transaction machines ({@link Commit}, {@link Recovery}) over the client's retrying requests:
 * sends their questions, feeds back the answers, and helps transactions that are in the way. Thread-safe (each
 * machine is fed under its own lock).
 */
final class TxnRunner {

    /**
     * How long past its deadline a transaction must be before a helper forces it: room for clock differences
     * between its owner and the helper. Only liveness depends on it.
     */
    static final long FORCE_GRACE_MS = 1_000;
    /**
     * A transaction still preparing usually finishes within a consensus round or two: the first wait is about
     * that long, and each further wait for the same holder doubles, up to {@link #MAX_WAIT_NANOS}, so a slow
     * holder is not asked about every millisecond until its deadline.
     */
    private static final long MIN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final BulwarkClient client;

    TxnRunner(BulwarkClient client) {
        this.client = client;
    }

    /** One request of a transaction machine: status queries are reads, everything else goes through the log. */
    CompletableFuture<TxnResult> call(Commit.Request r) {
        boolean query = r.command() instanceof TxnCommand.Status || r.command() instanceof TxnCommand.Read;
        return client.raw(r.partition(), !query, r.command().encode()).thenCompose(body -> {
            TxnResult result;
            try {
                result = TxnResult.decode(body);
            } catch (IllegalArgumentException e) {
                return CompletableFuture.failedFuture(new BulwarkException("partition " + r.partition()
                        + " sent a malformed transaction answer: " + e.getMessage()));
            }
            if (result instanceof TxnResult.Failed f) {
                return CompletableFuture.failedFuture(new CorruptValueException("partition " + r.partition() + ": "
                        + f.detail()));
            }
            return CompletableFuture.completedFuture(result);
        });
    }

    /**
     * Helps the transaction holding a key: finds its outcome (forcing it once it is past its deadline) and
     * resolves it where it was met; if it is still running, waits a little. Completes when the caller should
     * try again.
     */
    CompletableFuture<Void> help(TxnResult.Locked holder, int foundAt) {
        return help(holder, foundAt, 0);
    }

    /** {@link #help(TxnResult.Locked, int)} for the {@code waits}-th time in a row for this holder. */
    CompletableFuture<Void> help(TxnResult.Locked holder, int foundAt, int waits) {
        boolean force = System.currentTimeMillis() > holder.deadline() + FORCE_GRACE_MS;
        Recovery r = new Recovery(holder.txn(), holder.home(), holder.deadline(),
                force ? Recovery.Mode.FORCE : Recovery.Mode.CHECK, List.of(foundAt));
        return recover(r).thenCompose(done -> switch (done.verdict()) {
            case COMMITTED, ABORTED -> resolve(done.resolutions(), done.verdict() == Recovery.Verdict.COMMITTED);
            case PENDING -> {
                long wait = Math.min(MAX_WAIT_NANOS, MIN_WAIT_NANOS << Math.min(waits, 10));
                yield client.delay(wait / 2 + ThreadLocalRandom.current().nextLong(wait / 2 + 1));
            }
            default -> CompletableFuture.failedFuture(new BulwarkException("cannot finish a transaction in the way: "
                    + done.explanation()));
        });
    }

    /** Runs {@code recovery} to a verdict. Fails if a partition cannot be reached within the request timeout. */
    CompletableFuture<Recovery> recover(Recovery recovery) {
        CompletableFuture<Recovery> done = new CompletableFuture<>();
        for (Commit.Request q : recovery.start()) {
            ask(recovery, q, done);
        }
        return done;
    }

    private void ask(Recovery recovery, Commit.Request q, CompletableFuture<Recovery> done) {
        call(q).whenComplete((answer, error) -> {
            if (error != null) {
                done.completeExceptionally(error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error);
                return;
            }
            List<Commit.Request> more;
            synchronized (recovery) {
                more = recovery.onAnswer(q.partition(), answer);
                if (recovery.verdict() != Recovery.Verdict.ASKING) {
                    done.complete(recovery);
                    return;
                }
            }
            for (Commit.Request m : more) {
                ask(recovery, m, done);
            }
        });
    }

    /**
     * Sends every resolution and completes when all were applied; a resolution answered with the other outcome
     * means the protocol broke, and fails loudly.
     */
    CompletableFuture<Void> resolve(List<Commit.Request> resolutions, boolean commit) {
        List<CompletableFuture<TxnResult>> all = new ArrayList<>();
        for (Commit.Request r : resolutions) {
            all.add(call(r).thenCompose(answer -> {
                TxnState expected = commit ? TxnState.COMMITTED : TxnState.ABORTED;
                if (answer instanceof TxnResult.Outcome o && o.state() != expected && o.state() != TxnState.FORGOTTEN) {
                    return CompletableFuture.failedFuture(new IllegalStateException("partition " + r.partition()
                            + " resolved " + ((TxnCommand.Resolve) r.command()).txn() + " as " + o.state()
                            + " where it was decided " + expected));
                }
                return CompletableFuture.completedFuture(answer);
            }));
        }
        return CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0]));
    }

    /**
     * Sends every prepare at once and feeds the answers to {@code commit}; completes with the decided phase. If
     * some prepare cannot be answered within the request timeout, the outcome is forced by recovery: this
     * completes with its verdict's phase, or fails with {@link TransactionOutcomeUnknownException} if even that
     * cannot reach the partitions.
     */
    CompletableFuture<Commit.Phase> prepareAll(Commit commit) {
        CompletableFuture<Commit.Phase> decided = new CompletableFuture<>();
        AtomicBoolean forcing = new AtomicBoolean();
        for (Commit.Request p : commit.prepares()) {
            call(p).whenComplete((answer, error) -> {
                if (error != null) {
                    if (forcing.compareAndSet(false, true)) {
                        force(commit, decided, error);
                    }
                    return;
                }
                synchronized (commit) {
                    if (decided.isDone() || forcing.get()) {
                        return;
                    }
                    Commit.Phase phase = commit.onPrepareAnswer(p.partition(), answer);
                    if (phase != Commit.Phase.PREPARING) {
                        decided.complete(phase);
                    }
                }
            });
        }
        return decided;
    }

    private void force(Commit commit, CompletableFuture<Commit.Phase> decided, Throwable cause) {
        Recovery r = new Recovery(commit.id(), commit.home(), commit.deadline(), Recovery.Mode.FORCE,
                commit.participants());
        recover(r).whenComplete((done, error) -> {
            if (error != null || done.verdict() == Recovery.Verdict.UNDECIDABLE) {
                decided.completeExceptionally(new TransactionOutcomeUnknownException("transaction " + commit.id()
                        + ": a prepare was not answered (" + rootMessage(cause) + ") and its outcome could not be "
                        + "forced (" + (error != null ? rootMessage(error) : done.explanation()) + "); the cluster "
                        + "will finish it, committed or aborted, once its partitions are reachable", cause));
                return;
            }
            decided.complete(done.verdict() == Recovery.Verdict.COMMITTED ? Commit.Phase.COMMITTED : Commit.Phase.ABORTED);
        });
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }
}
