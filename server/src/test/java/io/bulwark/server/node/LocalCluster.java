package io.bulwark.server.node;

import io.bulwark.client.ClientOptions;
import io.bulwark.client.protocol.Topology;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Nodes of one cluster in this JVM, on loopback ports picked free, each with its own directory. */
final class LocalCluster implements AutoCloseable {

    final ClusterSpec spec;
    final Path base;
    final Map<Integer, BulwarkNode> nodes = new TreeMap<>();
    private final java.util.function.UnaryOperator<NodeConfig> customize;

    LocalCluster(Path base, int nodeCount, int partitions, int replicationFactor) throws IOException {
        this(base, nodeCount, partitions, replicationFactor, java.util.function.UnaryOperator.identity());
    }

    /** As above, every node's configuration passed through {@code customize} (also on restarts). */
    LocalCluster(Path base, int nodeCount, int partitions, int replicationFactor,
                 java.util.function.UnaryOperator<NodeConfig> customize) throws IOException {
        this.base = base;
        this.customize = customize;
        List<Topology.Member> members = new ArrayList<>();
        for (int id = 1; id <= nodeCount; id++) {
            members.add(new Topology.Member(id, "127.0.0.1", freePort(), freePort(), ""));
        }
        this.spec = new ClusterSpec(partitions, replicationFactor, members);
        for (int id = 1; id <= nodeCount; id++) {
            start(id);
        }
    }

    static int freePort() throws IOException {
        return ProcessCluster.freePort();
    }

    BulwarkNode start(int id) throws IOException {
        BulwarkNode n = BulwarkNode.start(customize.apply(NodeConfig.of(id, base.resolve("node-" + id), spec)
                .withAdminAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))));
        nodes.put(id, n);
        return n;
    }

    void stop(int id) {
        BulwarkNode n = nodes.remove(id);
        if (n != null) {
            n.close();
        }
    }

    ClientOptions clientOptions() {
        List<InetSocketAddress> seeds = new ArrayList<>();
        for (Topology.Member m : spec.members()) {
            seeds.add(m.clientAddress());
        }
        return ClientOptions.of(seeds);
    }

    @Override
    public void close() {
        for (BulwarkNode n : nodes.values()) {
            n.close();
        }
        nodes.clear();
    }
}
