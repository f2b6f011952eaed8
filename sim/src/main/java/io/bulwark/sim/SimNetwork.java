package io.bulwark.sim;

import io.bulwark.paxos.Message;
import java.util.TreeSet;

/**
 * The simulated network between replicas: per-message delay, loss, duplication and reordering drawn from
 * the run's seed, and partitions expressed as blocked one-way links, so symmetric, asymmetric and bridge
 * partitions are all the same mechanism. A message is lost if its link is blocked when it is sent or
 * when it would arrive. Not thread-safe.
 */
final class SimNetwork {

    static final double LOSS_RATE = 0.05;
    static final double DUPLICATE_RATE = 0.03;
    static final double REORDER_RATE = 0.2;

    private final Simulation sim;
    /** Blocked links, encoded {@code from * 1024 + to}. */
    private final TreeSet<Integer> blocked = new TreeSet<>();

    SimNetwork(Simulation sim) {
        this.sim = sim;
    }

    void send(Message m) {
        if (isBlocked(m.from(), m.to())) {
            return;
        }
        boolean faulty = sim.faultsOn();
        if (faulty && sim.config.has(Fault.LOSS) && sim.random.nextDouble() < LOSS_RATE) {
            sim.trace.add(sim.now(), new Lost(m));
            return;
        }
        schedule(m);
        if (faulty && sim.config.has(Fault.DUPLICATE) && sim.random.nextDouble() < DUPLICATE_RATE) {
            schedule(m);
        }
    }

    private record Lost(Message m) {
        @Override
        public String toString() {
            return "lost " + m;
        }
    }

    private void schedule(Message m) {
        sim.after(delayUs(), () -> {
            if (isBlocked(m.from(), m.to())) {
                return;
            }
            sim.trace.add(sim.now(), m);
            sim.deliver(m);
        });
    }

    /** One-way delay: 0.2–2 ms, and with reordering on, sometimes up to 30 ms more. */
    long delayUs() {
        long d = 200 + sim.random.nextLong(1_800);
        if (sim.faultsOn() && sim.config.has(Fault.REORDER) && sim.random.nextDouble() < REORDER_RATE) {
            d += sim.random.nextLong(30_000);
        }
        return d;
    }

    /** Delay of a client request or reply; clients' links lose messages at the same rate as replicas'. */
    boolean clientMessageLost() {
        return sim.faultsOn() && sim.config.has(Fault.LOSS) && sim.random.nextDouble() < LOSS_RATE;
    }

    boolean isBlocked(int from, int to) {
        return blocked.contains(from * 1024 + to);
    }

    void block(int from, int to) {
        blocked.add(from * 1024 + to);
    }

    void healAll() {
        blocked.clear();
    }
}
