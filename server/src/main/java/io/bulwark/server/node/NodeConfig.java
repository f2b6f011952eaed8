package io.bulwark.server.node;

import io.bulwark.server.replication.SnapshotPolicy;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How to run one node.
 *
 * @param nodeId        this node's id, a member of the cluster
 * @param dataDirectory the node's own directory (identity, cluster definition, one log per hosted partition)
 * @param spec          the cluster definition; {@code null} to read the copy kept in the data directory
 *                      (a restart)
 * @param tickMs        wall-clock length of a replica tick
 * @param adminAddress  where the admin HTTP endpoint listens ({@code /health}, {@code /status},
 *                      {@code /metrics}), or null for none
 * @param joining       the node joins an existing cluster: on its first start it hosts no partition until the
 *                      rebalancer gives it replicas (ignored on a restart, which hosts what its log holds)
 * @param snapshots     when partitions snapshot their state so that the log can be compacted
 * @param logSegmentBytes size of the shared log's segment files (the unit in which compaction frees disk)
 * @param failureTimeout how long a member may stay silent before the cluster re-places its replicas on other
 *                      nodes (see {@link PlacementDriver}); zero never re-places automatically
 */
public record NodeConfig(int nodeId, Path dataDirectory, ClusterSpec spec, int tickMs,
                         java.net.InetSocketAddress adminAddress, boolean joining, SnapshotPolicy snapshots,
                         long logSegmentBytes, java.time.Duration failureTimeout) {

    public static final int DEFAULT_TICK_MS = 10;
    /** Default log segment: 8 MiB, see {@link io.bulwark.server.replication.ReplicaDriverConfig#DEFAULT_LOG_OPTIONS}. */
    public static final long DEFAULT_LOG_SEGMENT_BYTES = 8L << 20;
    /** Default failure timeout: long enough that a restart or a pause is not taken for a failure. */
    public static final java.time.Duration DEFAULT_FAILURE_TIMEOUT = java.time.Duration.ofSeconds(30);

    /** A configuration with the default snapshot policy and log segments. */
    public NodeConfig(int nodeId, Path dataDirectory, ClusterSpec spec, int tickMs,
                      java.net.InetSocketAddress adminAddress, boolean joining) {
        this(nodeId, dataDirectory, spec, tickMs, adminAddress, joining, SnapshotPolicy.defaults(),
                DEFAULT_LOG_SEGMENT_BYTES, DEFAULT_FAILURE_TIMEOUT);
    }

    public NodeConfig {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        Objects.requireNonNull(snapshots, "snapshots");
        Objects.requireNonNull(failureTimeout, "failureTimeout");
        if (failureTimeout.isNegative()) {
            throw new IllegalArgumentException("failureTimeout must not be negative, was " + failureTimeout);
        }
        // Validated by the log's own rules (every record must fit in a segment) when the node starts.
        if (logSegmentBytes < 1) {
            throw new IllegalArgumentException("logSegmentBytes must be positive, was " + logSegmentBytes);
        }
        if (nodeId < 1) {
            throw new IllegalArgumentException("node ids start at 1, was " + nodeId);
        }
        if (tickMs < 1 || tickMs > 1_000) {
            throw new IllegalArgumentException("tickMs must be in [1, 1000], was " + tickMs);
        }
    }

    public static NodeConfig of(int nodeId, Path dataDirectory, ClusterSpec spec) {
        return new NodeConfig(nodeId, dataDirectory, spec, DEFAULT_TICK_MS, null, false);
    }

    public NodeConfig withAdminAddress(java.net.InetSocketAddress address) {
        return new NodeConfig(nodeId, dataDirectory, spec, tickMs, address, joining, snapshots, logSegmentBytes, failureTimeout);
    }

    public NodeConfig asJoining() {
        return new NodeConfig(nodeId, dataDirectory, spec, tickMs, adminAddress, true, snapshots, logSegmentBytes, failureTimeout);
    }

    /** A copy with another snapshot policy. */
    public NodeConfig withSnapshots(SnapshotPolicy policy) {
        return new NodeConfig(nodeId, dataDirectory, spec, tickMs, adminAddress, joining, policy, logSegmentBytes, failureTimeout);
    }

    /** A copy with another log segment size. */
    public NodeConfig withLogSegmentBytes(long bytes) {
        return new NodeConfig(nodeId, dataDirectory, spec, tickMs, adminAddress, joining, snapshots, bytes, failureTimeout);
    }

    /** A copy with another failure timeout (zero: never re-place a silent member automatically). */
    public NodeConfig withFailureTimeout(java.time.Duration timeout) {
        return new NodeConfig(nodeId, dataDirectory, spec, tickMs, adminAddress, joining, snapshots, logSegmentBytes,
                timeout);
    }
}
