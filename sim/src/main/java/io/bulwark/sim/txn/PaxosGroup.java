package io.bulwark.sim.txn;

import io.bulwark.core.RandomSource;
import io.bulwark.sim.SimConfig;
import io.bulwark.sim.Simulation;
import io.bulwark.txn.PartitionStateMachine;
import java.util.List;
import java.util.function.Consumer;

/**
 * A partition replicated by a real simulated Paxos group: three {@code SimNode} replicas with simulated disks,
 * their own lossy network and their own fault schedule (crashes with torn writes, bit flips, fsync failures,
 * wiped disks, network partitions), snapshots every 40 slots — in the bank's virtual time. Requests go to the
 * replica believed to lead; a redirect is followed at once (up to three times), and a request that gets no
 * answer moves the guess to the next replica (the bank's caller resends). Every request is a fresh exactly-once
 * session: a resent transaction command may be chosen twice, which the protocol must — and does — tolerate.
 * Not thread-safe.
 */
final class PaxosGroup implements SimPartition.Backend {

    private static final long NO_ANSWER_US = 40 * BankSimulation.MS;

    private final BankSimulation sim;
    private final RandomSource random;
    private final Simulation.Group group;
    private int leaderGuess;

    PaxosGroup(BankSimulation sim, long seed) {
        this.sim = sim;
        this.random = RandomSource.seeded(seed);
        this.group = Simulation.group(SimConfig.defaults(random.nextLong()), sim.queue(), PartitionStateMachine::new);
        this.leaderGuess = group.replicas().get(0);
    }

    Simulation.Group group() {
        return group;
    }

    @Override
    public void receive(byte[] request, boolean query, Consumer<byte[]> reply) {
        send(request, query, reply, 0);
    }

    private void send(byte[] request, boolean query, Consumer<byte[]> reply, int redirects) {
        int target = leaderGuess;
        boolean[] answered = {false};
        group.request(target, random.nextLong(), 1, query, request, (result, notLeader, hint) -> {
            answered[0] = true;
            if (result != null) {
                reply.accept(result);
            } else if (notLeader && hint > 0 && hint != target && redirects < 3) {
                leaderGuess = hint;
                send(request, query, reply, redirects + 1);
            } else if (notLeader) {
                moveOn(target);
            }
        });
        sim.after(NO_ANSWER_US, () -> {
            if (!answered[0]) {
                moveOn(target);
            }
        });
    }

    private void moveOn(int failed) {
        if (leaderGuess == failed) {
            // Read afresh: a move may have added replicas on new nodes (and decommissioned old ones).
            List<Integer> replicas = group.replicas();
            leaderGuess = replicas.get((replicas.indexOf(failed) + 1) % replicas.size());
        }
    }

    @Override
    public PartitionStateMachine state() {
        return (PartitionStateMachine) group.mostAppliedState();
    }

    @Override
    public void quiet() {
        group.quiet();
    }
}
