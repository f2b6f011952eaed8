package io.bulwark.paxos;

/**
 * Tuning of one {@link Replica}. Every field has a default that works on a laptop and a limit, per the
 * house rule that everything is bounded. Times are in ticks: the driver decides how long a tick is
 * (the server uses 10 ms; the simulator uses virtual time). Immutable.
 *
 * @param electionTimeoutTicks  a follower that hears no leader for a random time in
 *                              {@code [electionTimeoutTicks, 2 * electionTimeoutTicks)} starts an election;
 *                              it also refuses to promise another candidate until this long after it last
 *                              heard a leader (what makes leases and pre-vote protection work)
 * @param heartbeatTicks        a leader sends a heartbeat round this often
 * @param retransmitTicks       unacknowledged accepts and catch-up messages are resent after this long
 * @param maxInFlightSlots      slots a leader may have proposed but not yet seen chosen (the pipeline window)
 * @param maxBatchBytes         bytes of commands batched into one slot
 * @param maxCommandBytes       largest single command; bigger ones are refused, never allowed to stall heartbeats
 * @param maxPendingCommands    commands queued for the window before {@link ProposeResult#BUSY}
 * @param maxEntriesPerMessage  entries in one accept or learn message (a promise carries every entry after the
 *                              candidate's chosen prefix, bounded by the pipeline window times the batch size)
 * @param leaseReads            serve reads from the leader lease instead of a read-index round
 * @param maxClockDrift         bound on how much faster any replica's tick can run than the leader's
 *                              (0.1 = 10%); the lease is shortened by it
 */
public record ReplicaOptions(int electionTimeoutTicks, int heartbeatTicks, int retransmitTicks, int maxInFlightSlots,
                             int maxBatchBytes, int maxCommandBytes, int maxPendingCommands, int maxEntriesPerMessage,
                             boolean leaseReads, double maxClockDrift) {

    public ReplicaOptions {
        requireAtLeast(electionTimeoutTicks, 3, "electionTimeoutTicks");
        requireAtLeast(heartbeatTicks, 1, "heartbeatTicks");
        if (heartbeatTicks * 2 > electionTimeoutTicks) {
            throw new IllegalArgumentException("heartbeatTicks (" + heartbeatTicks
                    + ") must be at most half of electionTimeoutTicks (" + electionTimeoutTicks
                    + ") or followers campaign against a healthy leader");
        }
        requireAtLeast(retransmitTicks, 1, "retransmitTicks");
        requireAtLeast(maxInFlightSlots, 1, "maxInFlightSlots");
        requireAtLeast(maxBatchBytes, 64, "maxBatchBytes");
        requireAtLeast(maxCommandBytes, 1, "maxCommandBytes");
        if (maxCommandBytes > maxBatchBytes) {
            throw new IllegalArgumentException("maxCommandBytes (" + maxCommandBytes
                    + ") must not exceed maxBatchBytes (" + maxBatchBytes + ")");
        }
        requireAtLeast(maxPendingCommands, 1, "maxPendingCommands");
        requireAtLeast(maxEntriesPerMessage, 1, "maxEntriesPerMessage");
        if (!(maxClockDrift >= 0 && maxClockDrift < 0.5)) {
            throw new IllegalArgumentException("maxClockDrift must be in [0, 0.5), was " + maxClockDrift);
        }
        if (leaseReads && leaseTicks(electionTimeoutTicks, maxClockDrift) < 1) {
            throw new IllegalArgumentException("electionTimeoutTicks " + electionTimeoutTicks
                    + " leaves no lease after a clock drift bound of " + maxClockDrift);
        }
    }

    /** Defaults: election after 10–20 ticks, heartbeat every 2, window of 256 slots, 1 MiB batches, read index. */
    public static ReplicaOptions defaults() {
        return new ReplicaOptions(10, 2, 4, 256, 1 << 20, 1 << 20, 10_000, 64, false, 0.1);
    }

    /** These options with lease reads on or off. */
    public ReplicaOptions withLeaseReads(boolean on) {
        return new ReplicaOptions(electionTimeoutTicks, heartbeatTicks, retransmitTicks, maxInFlightSlots, maxBatchBytes,
                maxCommandBytes, maxPendingCommands, maxEntriesPerMessage, on, maxClockDrift);
    }

    /** These options with another pipeline window. */
    public ReplicaOptions withMaxInFlightSlots(int slots) {
        return new ReplicaOptions(electionTimeoutTicks, heartbeatTicks, retransmitTicks, slots, maxBatchBytes,
                maxCommandBytes, maxPendingCommands, maxEntriesPerMessage, leaseReads, maxClockDrift);
    }

    /** These options with other batch and command size limits. */
    public ReplicaOptions withSizeLimits(int batchBytes, int commandBytes) {
        return new ReplicaOptions(electionTimeoutTicks, heartbeatTicks, retransmitTicks, maxInFlightSlots, batchBytes,
                commandBytes, maxPendingCommands, maxEntriesPerMessage, leaseReads, maxClockDrift);
    }

    /**
     * Ticks after a heartbeat round was sent during which its quorum of acknowledgements proves no other
     * leader can exist: followers refuse other candidates for {@code electionTimeoutTicks} of their own
     * ticks, which may run up to {@code maxClockDrift} faster; one tick is lost to tick granularity.
     */
    public int leaseTicks() {
        return leaseTicks(electionTimeoutTicks, maxClockDrift);
    }

    private static int leaseTicks(int electionTimeoutTicks, double drift) {
        return (int) Math.floor(electionTimeoutTicks / (1 + drift)) - 1;
    }

    private static void requireAtLeast(long value, long min, String name) {
        if (value < min) {
            throw new IllegalArgumentException(name + " must be at least " + min + ", was " + value);
        }
    }
}
