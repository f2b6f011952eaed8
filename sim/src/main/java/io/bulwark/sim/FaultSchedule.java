package io.bulwark.sim;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Draws the run's faults from its seed: every 50–250 ms of the fault period one enabled fault starts —
 * a crash (restart 50–600 ms later, with a torn tail if torn writes are on and, while down, perhaps a
 * flipped bit), a partition of one of four shapes (healed 100–800 ms later), or an fsync failure. Loss,
 * duplication, reordering and clock skew are properties of the network and nodes and need no events.
 * Not thread-safe.
 */
final class FaultSchedule {

    private final Simulation sim;
    private final List<Runnable> kinds = new ArrayList<>();
    private int bitFlips;

    FaultSchedule(Simulation sim) {
        this.sim = sim;
        if (sim.config.has(Fault.CRASH)) {
            kinds.add(this::crash);
        }
        if (sim.config.has(Fault.PARTITION)) {
            kinds.add(this::partition);
        }
        if (sim.config.has(Fault.FSYNC_FAILURE)) {
            kinds.add(this::fsyncFailure);
        }
        if (sim.config.has(Fault.WIPE)) {
            kinds.add(this::wipe);
        }
        if (sim.config.has(Fault.MOVE)) {
            kinds.add(this::move);
        }
        if (sim.config.has(Fault.TRANSFER)) {
            kinds.add(this::transfer);
        }
    }

    /**
     * The leader is asked to hand leadership to another voter chosen at random; it refuses (and nothing happens)
     * unless that voter is caught up and was heard from lately.
     */
    private void transfer() {
        SimNode leader = sim.leader();
        if (leader == null) {
            return;
        }
        List<Integer> voters = new ArrayList<>(leader.replica().membership().voters());
        voters.remove(Integer.valueOf(leader.id));
        if (voters.isEmpty()) {
            return;
        }
        int successor = voters.get((int) sim.random.nextLong(voters.size()));
        if (leader.transferLeadership(successor)) {
            sim.fault("transfer: leader " + leader.id + " hands leadership to node " + successor);
            sim.count("leadership handed over");
        }
    }

    /** True while a move runs: one at a time, as a placement driver does. */
    private boolean moving;

    /**
     * Starts moving a replica: a voter chosen at random leaves, a new node joins. Only from a settled group (as
     * many voters as configured, no learner, every replica on intact storage), as the cluster's rebalancer does;
     * the faults go on meanwhile.
     */
    private void move() {
        SimNode leader = sim.leader();
        if (moving || leader == null || !settled(leader.replica().membership())) {
            return;
        }
        List<Integer> voters = new ArrayList<>(leader.replica().membership().voters());
        int out = voters.get((int) sim.random.nextLong(voters.size()));
        int in = sim.nodes.lastKey() + 1;
        SimNode fresh = sim.addNode(in);
        if (!fresh.isUp()) {
            return;
        }
        moving = true;
        sim.fault("move: node " + in + " joins, node " + out + " will leave");
        moveStep(in, fresh.replica().incarnation(), out);
    }

    private boolean knownByMajority(io.bulwark.paxos.Membership m, int removed) {
        int know = 0;
        for (SimNode n : sim.nodes.values()) {
            if (n.isUp() && m.isVoter(n.id, n.replica().incarnation()) && !n.replica().membership().contains(removed)) {
                know++;
            }
        }
        return know >= m.quorumSize();
    }

    private boolean settled(io.bulwark.paxos.Membership m) {
        return m.learners().isEmpty() && m.voters().size() == sim.config.replicas() && noneAtRisk(-1);
    }

    /** True if no replica but {@code except} may hold less than it acknowledged (wiped or bit-flipped). */
    private boolean noneAtRisk(int except) {
        for (SimNode n : sim.nodes.values()) {
            if (n.id != except && n.storageAtRisk()) {
                return false;
            }
        }
        return true;
    }

    /** One step of a move, from the leader's view of the membership; retried every 20 ms until it is done. */
    private void moveStep(int in, long incarnation, int out) {
        SimNode leader = sim.leader();
        if (leader != null) {
            io.bulwark.paxos.Replica r = leader.replica();
            io.bulwark.paxos.Membership m = r.membership();
            boolean others = noneAtRisk(in);
            if (!m.contains(in)) {
                if (others && m.learners().isEmpty()) {
                    r.proposeMembership(m.withLearner(in, incarnation));
                }
            } else if (m.isVoter(in) && m.isVoter(out)) {
                // Removing a voter only while nothing else is being rebuilt, so a majority stays intact.
                if (others && m.learners().isEmpty()) {
                    r.proposeMembership(m.without(out));
                }
            } else if (m.isVoter(in) && !m.contains(out) && knownByMajority(m, out)) {
                // Decommissioning destroys the old replica's storage: only once a majority of the new voters know
                // the removal (durably: a chosen membership change is synced before it takes effect), as a careful
                // operator would, or a crash of the leader could leave the removal known nowhere.
                sim.nodes.get(out).decommission("removed from the group by a move");
                sim.count("replica moved to a new node");
                moving = false;
                return;
            }
            // Otherwise a learner (the new node, or a rebuilt one) is being caught up and promoted by the leader.
        }
        sim.after(20 * Simulation.MS, () -> moveStep(in, incarnation, out));
    }

    void plan() {
        if (!kinds.isEmpty()) {
            sim.after(gap(), this::nextFault);
        }
    }

    private long gap() {
        return (50 + sim.random.nextLong(200)) * Simulation.MS;
    }

    private void nextFault() {
        if (!sim.faultsOn()) {
            return;
        }
        kinds.get((int) sim.random.nextLong(kinds.size())).run();
        sim.after(gap(), this::nextFault);
    }

    private SimNode randomUpNode() {
        List<Integer> up = new ArrayList<>(sim.upNodes());
        if (up.isEmpty()) {
            return null;
        }
        return sim.nodes.get(up.get((int) sim.random.nextLong(up.size())));
    }

    private void crash() {
        SimNode n = randomUpNode();
        if (n == null) {
            return;
        }
        n.crash("fault schedule");
        maybeFlipBit(n);
    }

    /**
     * True if {@code n} may lose its storage now: no other replica is still recovering from a lost disk.
     * Losing storage on more than a minority at once is beyond what replication can survive, so the
     * schedule never does it (with 3 replicas, one at a time).
     */
    private boolean mayLoseStorage(SimNode n) {
        int atRisk = 0;
        for (SimNode other : sim.nodes.values()) {
            if (other != n && other.storageAtRisk()) {
                atRisk++;
            }
        }
        return atRisk + 1 <= (sim.config.replicas() - 1) / 2;
    }

    /** Flips a bit on a crashed replica's disk; the replica must notice and be rebuilt. */
    private void maybeFlipBit(SimNode n) {
        if (!sim.config.has(Fault.BIT_FLIP) || sim.random.nextDouble() >= 0.3 || !mayLoseStorage(n)) {
            return;
        }
        try {
            String where = n.flipRandomBit();
            if (where != null) {
                bitFlips++;
                n.markStorageAtRisk();
                sim.fault("bit flip on " + n.id + ": " + where);
            }
        } catch (IOException e) {
            throw new IllegalStateException("simulated disk failed unexpectedly", e);
        }
    }

    private void wipe() {
        SimNode n = randomUpNode();
        if (n == null || !mayLoseStorage(n)) {
            return;
        }
        n.wipe();
        sim.fault("wipe " + n.id + "'s disk");
    }

    private void fsyncFailure() {
        SimNode n = randomUpNode();
        if (n != null) {
            n.failNextSync();
            sim.fault("fsync on " + n.id + " will fail");
        }
    }

    private void partition() {
        List<Integer> ids = new ArrayList<>(sim.nodes.keySet());
        int shape = (int) sim.random.nextLong(4);
        String what;
        int victim = ids.get((int) sim.random.nextLong(ids.size()));
        switch (shape) {
            case 0 -> {
                for (int other : ids) {
                    if (other != victim) {
                        sim.network.block(victim, other);
                        sim.network.block(other, victim);
                    }
                }
                what = "isolate " + victim;
            }
            case 1 -> {
                TreeSet<Integer> side = new TreeSet<>();
                for (int id : ids) {
                    if (sim.random.nextDouble() < 0.5) {
                        side.add(id);
                    }
                }
                // Both sides non-empty, or the "partition" would cut nothing.
                if (side.isEmpty()) {
                    side.add(victim);
                } else if (side.size() == ids.size()) {
                    side.remove(victim);
                }
                for (int a : ids) {
                    for (int b : ids) {
                        if (side.contains(a) != side.contains(b)) {
                            sim.network.block(a, b);
                        }
                    }
                }
                what = "split " + side + " | rest";
            }
            case 2 -> {
                // Asymmetric: the victim hears everyone but nobody hears it.
                for (int other : ids) {
                    if (other != victim) {
                        sim.network.block(victim, other);
                    }
                }
                what = "one-way: " + victim + " can receive but not send";
            }
            default -> {
                // Bridge: two halves that cannot talk, and the victim talks to both.
                TreeSet<Integer> left = new TreeSet<>();
                List<Integer> others = new ArrayList<>(ids);
                others.remove(Integer.valueOf(victim));
                for (int id : others) {
                    if (sim.random.nextDouble() < 0.5) {
                        left.add(id);
                    }
                }
                // Two non-empty halves besides the bridge (with fewer than two others it is a no-op).
                if (others.size() >= 2 && left.isEmpty()) {
                    left.add(others.get(0));
                } else if (others.size() >= 2 && left.size() == others.size()) {
                    left.remove(others.get(0));
                }
                for (int a : ids) {
                    for (int b : ids) {
                        if (a != victim && b != victim && left.contains(a) != left.contains(b)) {
                            sim.network.block(a, b);
                        }
                    }
                }
                what = "bridge: " + victim + " joins " + left + " and the rest";
            }
        }
        sim.fault("partition: " + what);
        long healMs = 100 + sim.random.nextLong(700);
        sim.after(healMs * Simulation.MS, () -> {
            if (sim.faultsOn()) {
                sim.network.healAll();
                sim.fault("heal");
            }
        });
    }
}
