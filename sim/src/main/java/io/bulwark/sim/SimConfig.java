package io.bulwark.sim;

import java.util.EnumSet;

/**
 * One simulated run: a workload composed with a fault schedule, all drawn from {@code seed}.
 * Times are virtual milliseconds. Immutable.
 *
 * @param seed            everything random in the run comes from this
 * @param replicas        voters in the Paxos group (3 or 5 are typical)
 * @param clients         concurrent clients, each with one operation in flight
 * @param keys            distinct keys the clients touch (few keys, many conflicts)
 * @param faultMs         how long clients run while faults are injected
 * @param quietMs         then faults stop, crashed replicas restart, and clients run on this long
 * @param faults          which faults to inject
 * @param leaseReads      serve reads from the leader lease instead of read index
 * @param snapshotEvery   take a snapshot after this many applied slots (0: never)
 * @param lyingAcceptor   a deliberately broken replica 1 that reports no accepted values in its promises;
 *                        the checkers must catch it (the test that keeps the checkers honest)
 */
public record SimConfig(long seed, int replicas, int clients, int keys, long faultMs, long quietMs,
                        EnumSet<Fault> faults, boolean leaseReads, int snapshotEvery, boolean lyingAcceptor) {

    public SimConfig {
        if (replicas < 1 || replicas > 9) {
            throw new IllegalArgumentException("replicas must be 1..9, was " + replicas);
        }
        if (clients < 1 || clients > 1000) {
            throw new IllegalArgumentException("clients must be 1..1000, was " + clients);
        }
        if (keys < 1) {
            throw new IllegalArgumentException("keys must be at least 1, was " + keys);
        }
        if (faultMs < 0 || quietMs < 100) {
            throw new IllegalArgumentException("faultMs must be >= 0 and quietMs >= 100, were " + faultMs + ", " + quietMs);
        }
        faults = EnumSet.copyOf(faults.isEmpty() ? EnumSet.noneOf(Fault.class) : faults);
    }

    /** The default run: 3 replicas, 5 clients, 4 keys, 3 s of faults of every kind, 2 s of quiet. */
    public static SimConfig defaults(long seed) {
        return new SimConfig(seed, 3, 5, 4, 3_000, 2_000, Fault.all(), false, 40, false);
    }

    public SimConfig withSeed(long s) {
        return new SimConfig(s, replicas, clients, keys, faultMs, quietMs, faults, leaseReads, snapshotEvery, lyingAcceptor);
    }

    public SimConfig withFaults(EnumSet<Fault> f) {
        return new SimConfig(seed, replicas, clients, keys, faultMs, quietMs, f, leaseReads, snapshotEvery, lyingAcceptor);
    }

    public SimConfig withReplicas(int n) {
        return new SimConfig(seed, n, clients, keys, faultMs, quietMs, faults, leaseReads, snapshotEvery, lyingAcceptor);
    }

    public SimConfig withLeaseReads(boolean on) {
        return new SimConfig(seed, replicas, clients, keys, faultMs, quietMs, faults, on, snapshotEvery, lyingAcceptor);
    }

    public SimConfig withLyingAcceptor(boolean on) {
        return new SimConfig(seed, replicas, clients, keys, faultMs, quietMs, faults, leaseReads, snapshotEvery, on);
    }

    public SimConfig withDurations(long fault, long quiet) {
        return new SimConfig(seed, replicas, clients, keys, fault, quiet, faults, leaseReads, snapshotEvery, lyingAcceptor);
    }

    public SimConfig withSnapshotEvery(int slots) {
        return new SimConfig(seed, replicas, clients, keys, faultMs, quietMs, faults, leaseReads, slots, lyingAcceptor);
    }

    public SimConfig withClients(int n) {
        return new SimConfig(seed, replicas, n, keys, faultMs, quietMs, faults, leaseReads, snapshotEvery, lyingAcceptor);
    }

    public boolean has(Fault f) {
        return faults.contains(f);
    }
}
