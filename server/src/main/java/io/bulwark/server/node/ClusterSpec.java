package io.bulwark.server.node;

import io.bulwark.client.protocol.Topology;
import io.bulwark.ring.HashRing;
import io.bulwark.ring.Node;
import io.bulwark.ring.PartitionTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The definition of a cluster: its members (id, address, zone), which change as nodes join and leave, and
 * the number of partitions and the replication factor, which are fixed at creation. Partition {@code p} is placed on the replica set the ring
 * ({@link PartitionTable}) gives it, zones first when zones are set, so every node and client that holds
 * the same spec computes the same placement.
 *
 * <p>Stored as a small text file ({@code cluster.conf}):
 * <pre>
 * partitions=16
 * replication-factor=3
 * node.1=127.0.0.1:7101:7201:zone-a   # id = host:client-port:peer-port[:zone]
 * </pre>
 *
 * <p>Immutable.
 */
public record ClusterSpec(int partitions, int replicationFactor, List<Topology.Member> members) {

    public static final String FILE_NAME = "cluster.conf";
    public static final int MAX_PARTITIONS = 4_096;

    public ClusterSpec {
        members = List.copyOf(members.stream().sorted(Comparator.comparingInt(Topology.Member::id)).toList());
        if (partitions < 1 || partitions > MAX_PARTITIONS) {
            throw new IllegalArgumentException("partitions must be in [1, " + MAX_PARTITIONS + "], was " + partitions);
        }
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one member");
        }
        if (replicationFactor < 1 || replicationFactor > members.size()) {
            throw new IllegalArgumentException("replication factor must be in [1, " + members.size()
                    + "] (the number of members), was " + replicationFactor);
        }
        Set<Integer> ids = new HashSet<>();
        for (Topology.Member m : members) {
            if (m.id() < 1 || m.id() > 65_535) {
                throw new IllegalArgumentException("node ids must be in [1, 65535], was " + m.id());
            }
            if (!ids.add(m.id())) {
                throw new IllegalArgumentException("node id " + m.id() + " appears twice");
            }
        }
    }

    /** The member with {@code id}. */
    public Topology.Member member(int id) {
        for (Topology.Member m : members) {
            if (m.id() == id) {
                return m;
            }
        }
        throw new IllegalArgumentException("node " + id + " is not a member of this cluster (members: "
                + members.stream().map(Topology.Member::id).toList() + ")");
    }

    /** The ring placement of every partition. */
    public PartitionTable placement() {
        List<Node> nodes = new ArrayList<>();
        for (Topology.Member m : members) {
            nodes.add(m.zone().isEmpty() ? Node.of(String.valueOf(m.id())) : Node.of(String.valueOf(m.id()), 1.0, m.zone()));
        }
        return PartitionTable.of(HashRing.of(nodes), partitions, replicationFactor);
    }

    /** The routing table a client needs, with no leader hints. */
    public Topology topology() {
        PartitionTable table = placement();
        int[][] replicas = new int[partitions][];
        int[] hints = new int[partitions];
        for (int p = 0; p < partitions; p++) {
            replicas[p] = table.replicas(p).stream().mapToInt(n -> Integer.parseInt(n.id())).toArray();
            hints[p] = -1;
        }
        return new Topology(partitions, replicationFactor, members, replicas, hints);
    }

    /** The file form. */
    public String format() {
        StringBuilder sb = new StringBuilder("# Bulwark cluster definition (partitions and replication factor never change); every node keeps a copy\n");
        sb.append("partitions=").append(partitions).append('\n');
        sb.append("replication-factor=").append(replicationFactor).append('\n');
        for (Topology.Member m : members) {
            sb.append("node.").append(m.id()).append('=').append(m.host()).append(':').append(m.clientPort())
                    .append(':').append(m.peerPort());
            if (!m.zone().isEmpty()) {
                sb.append(':').append(m.zone());
            }
            sb.append('\n');
        }
        return sb.toString();
    }

    /** Parses {@link #format()}; a bad line → {@link IllegalArgumentException} naming it. */
    public static ClusterSpec parse(String text) {
        int partitions = -1;
        int rf = -1;
        List<Topology.Member> members = new ArrayList<>();
        int lineNo = 0;
        for (String raw : text.split("\n")) {
            lineNo++;
            String line = raw.strip();
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash).strip();
            }
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("line " + lineNo + ": expected key=value, got '" + raw + "'");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            try {
                if (key.equals("partitions")) {
                    partitions = Integer.parseInt(value);
                } else if (key.equals("replication-factor")) {
                    rf = Integer.parseInt(value);
                } else if (key.startsWith("node.")) {
                    int id = Integer.parseInt(key.substring(5));
                    String[] parts = value.split(":");
                    if (parts.length < 3 || parts.length > 4) {
                        throw new IllegalArgumentException("expected host:client-port:peer-port[:zone]");
                    }
                    members.add(new Topology.Member(id, parts[0], port(parts[1]), port(parts[2]),
                            parts.length == 4 ? parts[3] : ""));
                } else {
                    throw new IllegalArgumentException("unknown key '" + key + "'");
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("line " + lineNo + " ('" + raw.strip() + "'): " + e.getMessage(), e);
            }
        }
        if (partitions < 0 || rf < 0) {
            throw new IllegalArgumentException("the cluster definition needs 'partitions' and 'replication-factor'");
        }
        return new ClusterSpec(partitions, rf, members);
    }

    private static int port(String s) {
        int p = Integer.parseInt(s);
        if (p < 1 || p > 65_535) {
            throw new IllegalArgumentException("port " + p + " outside [1, 65535]");
        }
        return p;
    }

    public static ClusterSpec read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8));
    }

    /** Writes the file whole or not at all (core's {@code FileStore.writeAtomically}: temp file, fsync, rename). */
    public void write(Path file) throws IOException {
        Path absolute = file.toAbsolutePath();
        io.bulwark.core.storage.LocalFileStore.open(absolute.getParent())
                .writeAtomically(absolute.getFileName().toString(), format().getBytes(StandardCharsets.UTF_8));
    }
}
