package io.bulwark.sim.txn;

import io.bulwark.core.RandomSource;
import io.bulwark.txn.PartitionStateMachine;
import io.bulwark.txn.Recovery;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * One partition as the transaction layer sees it: a replicated state machine ({@link PartitionStateMachine})
 * that applies each write command once, some milliseconds after it arrives (its consensus round), in arrival
 * order give or take the jitter of concurrent rounds; answers queries at once (linearizable reads); and
 * fails over: while its leader is down nothing is answered, and a command in flight at the failover is chosen
 * or lost with equal odds, unanswered either way. A failover rebuilds the state from a snapshot image, as a
 * new leader restored from one would. Its sweeper forces the outcome of every prepared transaction overdue
 * by the partition's clock. Not thread-safe.
 */
final class SimPartition {

    static final long SWEEP_EVERY_US = 50 * BankSimulation.MS;
    /** How long past its deadline a transaction may stay prepared before the sweeper forces it. */
    static final long SWEEP_GRACE_US = 50 * BankSimulation.MS;

    final int id;
    private final BankSimulation sim;
    private final RandomSource random;
    private final long clockSkewUs;
    private final Rpc sweeper;
    private final TreeSet<io.bulwark.txn.TxnId> recovering = new TreeSet<>();
    private PartitionStateMachine state;
    private boolean up = true;
    private long incarnation;
    private long slot;

    SimPartition(BankSimulation sim, int id, long seed) {
        this.sim = sim;
        this.id = id;
        this.random = RandomSource.seeded(seed);
        this.clockSkewUs = sim.config.faults() ? (random.nextLong(61) - 30) * BankSimulation.MS : 0;
        this.state = new PartitionStateMachine();
        this.sweeper = new Rpc(sim, 1_000 + id, () -> incarnation);
    }

    PartitionStateMachine state() {
        return state;
    }

    boolean isUp() {
        return up;
    }

    long clockMs() {
        return (sim.now() + clockSkewUs) / BankSimulation.MS;
    }

    /** Applies a command directly, for loading the initial data. */
    byte[] load(byte[] command) {
        return state.apply(++slot, command);
    }

    void receive(byte[] request, boolean query, Consumer<byte[]> reply) {
        if (!up) {
            return;
        }
        if (query) {
            reply.accept(state.query(request));
            return;
        }
        long inc = incarnation;
        if (sim.faultsOn() && random.nextDouble() < 0.01) {
            // The leader dies right after accepting this command: at every step of the protocol — a prepare, a
            // resolution, a fence — the command is then chosen or lost, unanswered either way.
            String kind = io.bulwark.txn.TxnCommand.isTxnCommand(request)
                    ? io.bulwark.txn.TxnCommand.decode(request).getClass().getSimpleName() : "plain write";
            sim.count("partition failed over mid-" + kind);
            sim.after(0, () -> failover((20 + random.nextLong(200)) * BankSimulation.MS));
        }
        sim.after((1 + random.nextLong(4)) * BankSimulation.MS, () -> {
            boolean sameLeader = up && inc == incarnation;
            if (!sameLeader && random.nextDouble() < 0.5) {
                sim.count("command lost in a failover");
                return;
            }
            byte[] answer = state.apply(++slot, request);
            if (sameLeader) {
                reply.accept(answer);
            } else {
                sim.count("command chosen across a failover, unanswered");
            }
        });
    }

    /** The leader dies; a new one serves after {@code downUs}, from a snapshot image of the same state. */
    void failover(long downUs) {
        if (!up) {
            return;
        }
        up = false;
        incarnation++;
        recovering.clear();
        sim.fault("partition " + id + " fails over (" + downUs / BankSimulation.MS + " ms)");
        sim.after(downUs, this::recover);
    }

    /** Back up (also called when faults stop). */
    void recover() {
        if (up) {
            return;
        }
        byte[] image = state.snapshot();
        PartitionStateMachine restored = new PartitionStateMachine();
        restored.restore(image);
        if (!java.util.Arrays.equals(restored.snapshot(), image)) {
            sim.violation("partition " + id + " restored from its snapshot differs from the original");
        }
        state = restored;
        up = true;
        incarnation++;
        sim.count("failover restored from snapshot");
    }

    void startSweeper() {
        sim.after(random.nextLong(SWEEP_EVERY_US), this::sweep);
    }

    private void sweep() {
        if (up) {
            List<PartitionStateMachine.Overdue> overdue = state.overdue(clockMs() - SWEEP_GRACE_US / BankSimulation.MS, 8);
            for (PartitionStateMachine.Overdue o : overdue) {
                if (!recovering.add(o.txn())) {
                    continue;
                }
                Recovery r = new Recovery(o.txn(), o.home(), o.deadline(), Recovery.Mode.FORCE, List.of(id));
                sim.trace("partition " + id + " sweeper forces " + o.txn());
                sweeper.recover(r, 20, done -> {
                    recovering.remove(o.txn());
                    if (done == null) {
                        return;
                    }
                    if (done.verdict() == Recovery.Verdict.UNDECIDABLE) {
                        sim.violation("sweeper could not decide: " + done.explanation());
                        return;
                    }
                    sim.count("sweeper recovered a transaction: " + done.verdict());
                    sweeper.resolve(done.resolutions(), done.verdict() == Recovery.Verdict.COMMITTED,
                            "partition " + id + "'s sweeper");
                });
            }
        }
        if (!sim.finished()) {
            sim.after(SWEEP_EVERY_US, this::sweep);
        }
    }
}
