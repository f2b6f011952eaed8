package io.bulwark.sim.txn;

import io.bulwark.core.RandomSource;
import io.bulwark.txn.PartitionStateMachine;
import io.bulwark.txn.Recovery;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * One partition as the transaction layer sees it, with its sweeper, which forces the outcome of every prepared
 * transaction overdue by the partition's clock (asking its own leader, as a node's sweeper does). What
 * replicates the {@link PartitionStateMachine} is a {@link Backend}: either a model of a replicated state machine
 * ({@link Modelled}) or a real simulated Paxos group of three replicas with disks ({@link PaxosGroup}). Not
 * thread-safe.
 */
final class SimPartition {

    static final long SWEEP_EVERY_US = 50 * BankSimulation.MS;
    /** How long past its deadline a transaction may stay prepared before the sweeper forces it. */
    static final long SWEEP_GRACE_US = 50 * BankSimulation.MS;

    /** What replicates the partition's state machine. */
    interface Backend {
        /** A request arriving at the partition's leader; {@code reply} only if it is answered. */
        void receive(byte[] request, boolean query, Consumer<byte[]> reply);

        /** The replicated state as its most up-to-date copy holds it, for the final checks. */
        PartitionStateMachine state();

        /** Faults stop. */
        void quiet();
    }

    final int id;
    private final BankSimulation sim;
    private final RandomSource random;
    private final long clockSkewUs;
    private final Rpc sweeper;
    private final Backend backend;
    private final TreeSet<io.bulwark.txn.TxnId> recovering = new TreeSet<>();
    private long sweeperIncarnation;

    SimPartition(BankSimulation sim, int id, long seed, boolean paxos) {
        this.sim = sim;
        this.id = id;
        this.random = RandomSource.seeded(seed);
        this.clockSkewUs = sim.config.faults() ? (random.nextLong(61) - 30) * BankSimulation.MS : 0;
        this.sweeper = new Rpc(sim, 1_000 + id, () -> sweeperIncarnation);
        this.backend = paxos ? new PaxosGroup(sim, random.nextLong()) : new Modelled(this);
    }

    Backend backend() {
        return backend;
    }

    PartitionStateMachine state() {
        return backend.state();
    }

    long clockMs() {
        return (sim.now() + clockSkewUs) / BankSimulation.MS;
    }

    void receive(byte[] request, boolean query, Consumer<byte[]> reply) {
        backend.receive(request, query, reply);
    }

    /** The modelled backend's leader fails over (a real group's faults come from its own schedule). */
    void failover(long downUs) {
        if (backend instanceof Modelled m) {
            m.failover(downUs);
        }
    }

    /** Faults stop. */
    void recover() {
        backend.quiet();
    }

    void startSweeper() {
        sim.after(random.nextLong(SWEEP_EVERY_US), this::sweep);
    }

    private void sweep() {
        if (!sim.finished()) {
            sim.after(SWEEP_EVERY_US, this::sweep);
        }
        byte[] ask = new io.bulwark.txn.TxnCommand.Overdue(clockMs() - SWEEP_GRACE_US / BankSimulation.MS, 8).encode();
        long inc = sweeperIncarnation;
        backend.receive(ask, true, answer -> {
            if (inc != sweeperIncarnation) {
                return;
            }
            for (PartitionStateMachine.Overdue o : ((io.bulwark.txn.TxnResult.OverdueList)
                    io.bulwark.txn.TxnResult.decode(answer)).overdue()) {
                finish(o);
            }
        });
    }

    private void finish(PartitionStateMachine.Overdue o) {
        if (!recovering.add(o.txn())) {
            return;
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

    /** The sweeper's process dies with a modelled leader: its questions in flight are forgotten. */
    void sweeperCrashed() {
        sweeperIncarnation++;
        recovering.clear();
    }

    /**
     * A model of a replicated state machine: applies each write command once, some milliseconds after it arrives
     * (its consensus round), in arrival order give or take the jitter of concurrent rounds; answers queries at
     * once (linearizable reads); and fails over: while its leader is down nothing is answered, and a command in
     * flight at the failover is chosen or lost with equal odds, unanswered either way. A failover rebuilds the
     * state from a snapshot image, as a new leader restored from one would.
     */
    static final class Modelled implements Backend {
        private final SimPartition partition;
        private final BankSimulation sim;
        private final RandomSource random;
        private PartitionStateMachine state = new PartitionStateMachine();
        private boolean up = true;
        private long incarnation;
        private long slot;

        Modelled(SimPartition partition) {
            this.partition = partition;
            this.sim = partition.sim;
            this.random = partition.random;
        }

        @Override
        public PartitionStateMachine state() {
            return state;
        }

        /** Applies a command directly, for loading the initial data. */
        byte[] load(byte[] command) {
            return state.apply(++slot, command);
        }

        @Override
        public void receive(byte[] request, boolean query, Consumer<byte[]> reply) {
            if (!up) {
                return;
            }
            if (query) {
                reply.accept(state.query(request));
                return;
            }
            long inc = incarnation;
            if (sim.faultsOn() && random.nextDouble() < 0.01) {
                // The leader dies right after accepting this command: at every step of the protocol — a prepare,
                // a resolution, a fence — the command is then chosen or lost, unanswered either way.
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

        void failover(long downUs) {
            if (!up) {
                return;
            }
            up = false;
            incarnation++;
            partition.sweeperCrashed();
            sim.fault("partition " + partition.id + " fails over (" + downUs / BankSimulation.MS + " ms)");
            sim.after(downUs, this::recover);
        }

        private void recover() {
            if (up) {
                return;
            }
            byte[] image = state.snapshot();
            PartitionStateMachine restored = new PartitionStateMachine();
            restored.restore(image);
            if (!java.util.Arrays.equals(restored.snapshot(), image)) {
                sim.violation("partition " + partition.id + " restored from its snapshot differs from the original");
            }
            state = restored;
            up = true;
            incarnation++;
            sim.count("failover restored from snapshot");
        }

        @Override
        public void quiet() {
            recover();
        }
    }
}
