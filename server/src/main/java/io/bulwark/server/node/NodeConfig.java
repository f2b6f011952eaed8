package io.bulwark.server.node;

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
 */
public record NodeConfig(int nodeId, Path dataDirectory, ClusterSpec spec, int tickMs,
                         java.net.InetSocketAddress adminAddress, boolean joining) {

    public static final int DEFAULT_TICK_MS = 10;

    public NodeConfig {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
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
        return new NodeConfig(nodeId, dataDirectory, spec, tickMs, address, joining);
    }

    public NodeConfig asJoining() {
        return new NodeConfig(nodeId, dataDirectory, spec, tickMs, adminAddress, true);
    }
}
