package io.bulwark.sim.txn;

/**
 * One bank simulation's parameters. Immutable.
 *
 * @param seed        replays the run exactly
 * @param partitions  partitions the accounts are spread over, each one replicated state machine
 * @param accounts    bank accounts, each starting with {@link #INITIAL_BALANCE}
 * @param clients     concurrent clients, each running transfers and balance audits one at a time
 * @param faultMs     virtual time with faults on
 * @param quietMs     virtual time after the faults stop, for helpers to finish abandoned transactions
 * @param faults      whether faults are injected (messages lost, duplicated and delayed; failovers; cuts; crashes)
 * @param sabotage    a deliberately broken client for checker self-tests, or {@link Sabotage#NONE}
 * @param paxos       each partition a real simulated Paxos group of three replicas with disks and its own faults
 *                    (crashes, torn writes, bit flips, fsync failures, wiped disks, network partitions), instead of
 *                    a model of a replicated state machine
 */
public record BankConfig(long seed, int partitions, int accounts, int clients, long faultMs, long quietMs,
                         boolean faults, Sabotage sabotage, boolean paxos) {

    /** Each account's balance at the start; the total must never change. */
    public static final int INITIAL_BALANCE = 100;

    /** Breakages that a correct checker must catch. */
    public enum Sabotage {
        NONE,
        /** Prepares claim the version current at prepare time instead of the one read: lost updates. */
        SKIP_READ_VALIDATION,
        /** The client reports a commit as soon as the home partition prepared: committed may not be visible. */
        ACK_BEFORE_ALL_PREPARED
    }

    public BankConfig {
        if (partitions < 1 || accounts < 2 || clients < 1 || faultMs < 0 || quietMs < 0) {
            throw new IllegalArgumentException("need ≥1 partition, ≥2 accounts, ≥1 client, non-negative times");
        }
    }

    /** The default mix: 4 partitions, 10 accounts, 6 clients, 3 s of faults and 3 s of quiet. */
    public static BankConfig defaults(long seed) {
        return new BankConfig(seed, 4, 10, 6, 3_000, 3_000, true, Sabotage.NONE, false);
    }

    public BankConfig withSabotage(Sabotage s) {
        return new BankConfig(seed, partitions, accounts, clients, faultMs, quietMs, faults, s, paxos);
    }

    public BankConfig withFaults(boolean on) {
        return new BankConfig(seed, partitions, accounts, clients, faultMs, quietMs, on, sabotage, paxos);
    }

    /** Partitions as real simulated Paxos groups (see {@code paxos}). */
    public BankConfig withPaxos(boolean on) {
        return new BankConfig(seed, partitions, accounts, clients, faultMs, quietMs, faults, sabotage, on);
    }
}
