package io.bulwark.sim.txn;

import io.bulwark.txn.Commit;
import io.bulwark.txn.Recovery;
import io.bulwark.txn.TxnCommand;
import io.bulwark.txn.TxnResult;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * A simulated caller's request machinery: sends a command to a partition, resends the same bytes every
 * {@link #RETRY_US} until an answer arrives or the attempts run out (every transaction command is idempotent),
 * and ignores everything once its owner has crashed. Also runs a {@link Recovery} to its verdict. Not
 * thread-safe.
 */
final class Rpc {

    static final long RETRY_US = 30 * BankSimulation.MS;

    private final BankSimulation sim;
    private final int endpoint;
    private final LongSupplier incarnation;

    Rpc(BankSimulation sim, int endpoint, LongSupplier incarnation) {
        this.sim = sim;
        this.endpoint = endpoint;
        this.incarnation = incarnation;
    }

    int endpoint() {
        return endpoint;
    }

    /** Sends until answered; {@code onGiveUp} after {@code maxAttempts} unanswered sends. */
    void call(int partition, TxnCommand command, int maxAttempts, Consumer<TxnResult> onAnswer, Runnable onGiveUp) {
        long inc = incarnation.getAsLong();
        boolean query = command instanceof TxnCommand.Read || command instanceof TxnCommand.Status;
        byte[] bytes = command.encode();
        boolean[] done = {false};
        Runnable[] attempt = new Runnable[1];
        int[] sent = {0};
        attempt[0] = () -> {
            if (done[0] || inc != incarnation.getAsLong()) {
                return;
            }
            if (sent[0] == maxAttempts) {
                done[0] = true;
                onGiveUp.run();
                return;
            }
            sent[0]++;
            sim.send(endpoint, partition, bytes, query, answer -> {
                if (done[0] || inc != incarnation.getAsLong()) {
                    return;
                }
                done[0] = true;
                onAnswer.accept(TxnResult.decode(answer));
            });
            sim.after(RETRY_US, attempt[0]);
        };
        attempt[0].run();
    }

    /**
     * Runs {@code recovery} to a verdict; {@code done} gets it, or null if some partition never answered
     * within {@code maxAttempts} sends (the caller tries again later).
     */
    void recover(Recovery recovery, int maxAttempts, Consumer<Recovery> done) {
        boolean[] finished = {false};
        for (Commit.Request r : recovery.start()) {
            ask(recovery, r, maxAttempts, finished, done);
        }
    }

    private void ask(Recovery recovery, Commit.Request r, int maxAttempts, boolean[] finished, Consumer<Recovery> done) {
        call(r.partition(), r.command(), maxAttempts, answer -> {
            if (finished[0]) {
                return;
            }
            if (!(answer instanceof TxnResult.Outcome)) {
                sim.violation("recovery question " + r.command() + " answered " + answer);
                return;
            }
            List<Commit.Request> more = recovery.onAnswer(r.partition(), answer);
            for (Commit.Request m : more) {
                ask(recovery, m, maxAttempts, finished, done);
            }
            if (recovery.verdict() != Recovery.Verdict.ASKING) {
                finished[0] = true;
                done.accept(recovery);
            }
        }, () -> {
            if (!finished[0]) {
                finished[0] = true;
                done.accept(null);
            }
        });
    }

    /**
     * Sends every resolution (fire and forget, with retries) and checks each answer agrees with the decision:
     * a partition that answers the other outcome means two deciders disagreed — atomicity is broken.
     */
    void resolve(List<Commit.Request> resolutions, boolean commit, String who) {
        for (Commit.Request r : resolutions) {
            call(r.partition(), r.command(), 8, answer -> {
                if (!(answer instanceof TxnResult.Outcome o)
                        || o.state() != (commit ? io.bulwark.txn.TxnState.COMMITTED : io.bulwark.txn.TxnState.ABORTED)) {
                    sim.violation(who + " resolved " + ((TxnCommand.Resolve) r.command()).txn() + " as "
                            + (commit ? "committed" : "aborted") + " but partition " + r.partition() + " answered " + answer);
                }
            }, () -> sim.count("resolution unanswered, left to helpers"));
        }
    }
}
