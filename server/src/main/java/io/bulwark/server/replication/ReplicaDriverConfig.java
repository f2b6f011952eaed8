package io.bulwark.server.replication;

import io.bulwark.paxos.Membership;
import io.bulwark.paxos.ReplicaOptions;
import io.bulwark.paxos.StateMachine;
import io.bulwark.paxos.kv.KvStateMachine;
import io.bulwark.paxos.log.LogOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Everything a {@link ReplicaDriver} needs to start, validated when constructed; {@link #of} gives laptop
 * defaults and the {@code with*} methods change one thing. Immutable (the factory and listeners it holds
 * must be thread-safe to share).
 *
 * @param nodeId                  this replica's id, a member of {@code membership}
 * @param membership              the group's initial membership (ignored once the log records a newer one)
 * @param dataDirectory           where the replica's log and snapshots live; created if absent; one driver at a time
 * @param bindAddress             where the peer transport listens (port 0: pick a free one)
 * @param replicaOptions          the Paxos replica's tuning; its worst-case message must fit in a transport frame,
 *                                and lease reads must be off (see the constructor)
 * @param logOptions              the write-ahead log's limits
 * @param tickMs                  wall-clock length of one replica tick, 1 to 1,000 ms
 * @param maxOutstandingRequests  client commands and reads accepted but not yet answered; beyond it
 *                                {@link OverloadedException}
 * @param maxInboxMessages        peer messages waiting for the event loop; beyond it they are dropped (counted)
 * @param maxSessions             clients remembered by the exactly-once table
 * @param randomSeed              seed of the replica's election-timeout randomness (logged, so a run can be
 *                                reasoned about; different replicas should get different seeds)
 * @param transportOptions        limits of the peer transport
 * @param stateMachineFactory     creates the (empty) user state machine at start; the log replays into it
 * @param applyListener           sees every applied command, on the event-loop thread
 * @param statusListener          runs on the event-loop thread whenever the role, leader hint or running state
 *                                changes; must be quick (e.g. signal a condition)
 * @param snapshotPolicy          when groups snapshot so that the log can be compacted; its chunks must fit in a
 *                                transport frame
 */
public record ReplicaDriverConfig(int nodeId, Membership membership, Path dataDirectory, InetSocketAddress bindAddress,
                                  ReplicaOptions replicaOptions, LogOptions logOptions, int tickMs,
                                  int maxOutstandingRequests, int maxInboxMessages, int maxSessions, long randomSeed,
                                  PeerTransportOptions transportOptions, Supplier<StateMachine> stateMachineFactory,
                                  ApplyListener applyListener, Runnable statusListener,
                                  SnapshotPolicy snapshotPolicy) {

    /**
     * Default log options: 8 MiB segments (the unit in which compaction frees disk: with the default snapshot
     * policy a node keeps a few dozen megabytes of log, so 64 MiB segments would rarely be freed at all) and
     * records of up to 4 MiB (a record holds one batch, at most {@code maxBatchBytes}).
     */
    public static final LogOptions DEFAULT_LOG_OPTIONS =
            LogOptions.defaults().withMaxRecordBytes(4 << 20).withMaxSegmentBytes(8L << 20);

    /** Default tick: 10 ms. */
    public static final int DEFAULT_TICK_MS = 10;
    /**
     * Default replica options, two changes from the paxos defaults:
     * <ul>
     *   <li>election timeout 30–60 ticks (300–600 ms), heartbeat every 3 ticks: the paxos default of 10–20
     *       ticks (100–200 ms) deposed healthy leaders under load on a 2-core machine, where a JVM's event loop
     *       can be starved or paused for that long (etcd's default election timeout is 1 s);</li>
     *   <li>64 KiB batches and commands rather than 1 MiB, so that a promise carrying a whole pipeline window
     *       (256 slots) stays within a 32 MiB frame; 64 KiB is still ~500 commands of 100 bytes per slot.</li>
     * </ul>
     */
    public static final ReplicaOptions DEFAULT_REPLICA_OPTIONS =
            new ReplicaOptions(30, 3, 4, 256, 64 << 10, 64 << 10, 10_000, 64, false, 0.1);

    /** Validates every field; see the components for the allowed values. */
    public ReplicaDriverConfig {
        Objects.requireNonNull(membership, "membership");
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(replicaOptions, "replicaOptions");
        Objects.requireNonNull(logOptions, "logOptions");
        Objects.requireNonNull(transportOptions, "transportOptions");
        Objects.requireNonNull(stateMachineFactory, "stateMachineFactory");
        Objects.requireNonNull(applyListener, "applyListener");
        Objects.requireNonNull(statusListener, "statusListener");
        Objects.requireNonNull(snapshotPolicy, "snapshotPolicy");
        if (nodeId < 0) {
            throw new IllegalArgumentException("nodeId must not be negative, was " + nodeId);
        }
        if (!membership.contains(nodeId)) {
            throw new IllegalArgumentException("node " + nodeId + " is not a member of " + membership);
        }
        requireIn(tickMs, 1, 1_000, "tickMs");
        requireIn(maxOutstandingRequests, 1, 1 << 24, "maxOutstandingRequests");
        requireIn(maxInboxMessages, 16, 1 << 24, "maxInboxMessages");
        requireIn(maxSessions, 1, 1 << 26, "maxSessions");
        if (replicaOptions.leaseReads()) {
            // The lease argument needs every replica's ticks to track real time within maxClockDrift. The driver
            // skips ticks missed during a stall (see ReplicaDriver) so that a pause does not depose a healthy
            // leader; a stalled leader's clock then runs slow, and a lease read could return stale data.
            throw new IllegalArgumentException("leaseReads is not supported by the server driver: its ticks do not "
                    + "track real time across a stall; use read-index reads (leaseReads = false)");
        }
        long worst = worstCaseMessageBytes(replicaOptions);
        if (worst > transportOptions.maxFrameBytes()) {
            throw new IllegalArgumentException("the largest message these replica options allow (~" + worst
                    + " bytes: max(maxInFlightSlots, maxEntriesPerMessage) x maxBatchBytes) exceeds the transport's"
                    + " maxFrameBytes " + transportOptions.maxFrameBytes() + "; lower maxBatchBytes or raise maxFrameBytes");
        }
        if (snapshotPolicy.chunkBytes() + 1024L > transportOptions.maxFrameBytes()) {
            throw new IllegalArgumentException("snapshot chunks of " + snapshotPolicy.chunkBytes() + " bytes do not fit"
                    + " in the transport's maxFrameBytes " + transportOptions.maxFrameBytes());
        }
        if (replicaOptions.maxBatchBytes() + 64L > logOptions.maxRecordBytes()) {
            throw new IllegalArgumentException("maxBatchBytes " + replicaOptions.maxBatchBytes()
                    + " does not fit in a log record of maxRecordBytes " + logOptions.maxRecordBytes());
        }
    }

    /**
     * Laptop defaults: loopback port 0, {@link #DEFAULT_REPLICA_OPTIONS}, {@link #DEFAULT_LOG_OPTIONS}, 10 ms ticks,
     * 65,536 outstanding requests and inbox messages, 100,000 sessions, KV state machine, a seed derived from
     * the node id and the clock, {@link SnapshotPolicy#defaults()}.
     */
    public static ReplicaDriverConfig of(int nodeId, Membership membership, Path dataDirectory) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory,
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), DEFAULT_REPLICA_OPTIONS,
                DEFAULT_LOG_OPTIONS, DEFAULT_TICK_MS, 65_536, 65_536, 100_000,
                System.nanoTime() * 31 + nodeId, PeerTransportOptions.defaults(), KvStateMachine::new,
                ApplyListener.NONE, () -> { }, SnapshotPolicy.defaults());
    }

    /** A copy listening on another address. */
    public ReplicaDriverConfig withBindAddress(InetSocketAddress address) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, address, replicaOptions, logOptions, tickMs,
                maxOutstandingRequests, maxInboxMessages, maxSessions, randomSeed, transportOptions,
                stateMachineFactory, applyListener, statusListener, snapshotPolicy);
    }

    /** A copy with other replica options. */
    public ReplicaDriverConfig withReplicaOptions(ReplicaOptions options) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, bindAddress, options, logOptions, tickMs,
                maxOutstandingRequests, maxInboxMessages, maxSessions, randomSeed, transportOptions,
                stateMachineFactory, applyListener, statusListener, snapshotPolicy);
    }

    /** A copy with another tick length. */
    public ReplicaDriverConfig withTickMs(int ms) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, bindAddress, replicaOptions, logOptions, ms,
                maxOutstandingRequests, maxInboxMessages, maxSessions, randomSeed, transportOptions,
                stateMachineFactory, applyListener, statusListener, snapshotPolicy);
    }

    /** A copy with another seed. */
    public ReplicaDriverConfig withRandomSeed(long seed) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, bindAddress, replicaOptions, logOptions,
                tickMs, maxOutstandingRequests, maxInboxMessages, maxSessions, seed, transportOptions,
                stateMachineFactory, applyListener, statusListener, snapshotPolicy);
    }

    /** A copy with another state machine factory. */
    public ReplicaDriverConfig withStateMachine(Supplier<StateMachine> factory) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, bindAddress, replicaOptions, logOptions,
                tickMs, maxOutstandingRequests, maxInboxMessages, maxSessions, randomSeed, transportOptions, factory,
                applyListener, statusListener, snapshotPolicy);
    }

    /** A copy with another apply listener. */
    public ReplicaDriverConfig withApplyListener(ApplyListener listener) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, bindAddress, replicaOptions, logOptions,
                tickMs, maxOutstandingRequests, maxInboxMessages, maxSessions, randomSeed, transportOptions,
                stateMachineFactory, listener, statusListener, snapshotPolicy);
    }

    /** A copy with another status listener. */
    public ReplicaDriverConfig withStatusListener(Runnable listener) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, bindAddress, replicaOptions, logOptions,
                tickMs, maxOutstandingRequests, maxInboxMessages, maxSessions, randomSeed, transportOptions,
                stateMachineFactory, applyListener, listener, snapshotPolicy);
    }

    /** A copy with other transport limits. */
    public ReplicaDriverConfig withTransportOptions(PeerTransportOptions options) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, bindAddress, replicaOptions, logOptions,
                tickMs, maxOutstandingRequests, maxInboxMessages, maxSessions, randomSeed, options,
                stateMachineFactory, applyListener, statusListener, snapshotPolicy);
    }

    /** A copy with another snapshot policy. */
    public ReplicaDriverConfig withSnapshotPolicy(SnapshotPolicy policy) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, bindAddress, replicaOptions, logOptions,
                tickMs, maxOutstandingRequests, maxInboxMessages, maxSessions, randomSeed, transportOptions,
                stateMachineFactory, applyListener, statusListener, policy);
    }

    /** A copy with other log limits. */
    public ReplicaDriverConfig withLogOptions(LogOptions options) {
        return new ReplicaDriverConfig(nodeId, membership, dataDirectory, bindAddress, replicaOptions, options,
                tickMs, maxOutstandingRequests, maxInboxMessages, maxSessions, randomSeed, transportOptions,
                stateMachineFactory, applyListener, statusListener, snapshotPolicy);
    }

    /**
     * An upper bound of the largest message a replica with these options sends: a promise carries at most
     * the pipeline window of uncommitted slots, an accept or learn at most {@code maxEntriesPerMessage}
     * entries, each a batch of at most {@code maxBatchBytes} plus a small header.
     */
    static long worstCaseMessageBytes(ReplicaOptions o) {
        long entries = Math.max(o.maxInFlightSlots(), o.maxEntriesPerMessage());
        return entries * (o.maxBatchBytes() + 64L) + 1024;
    }

    private static void requireIn(long value, long min, long max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], was " + value);
        }
    }
}
