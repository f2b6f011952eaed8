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
 * The definition of a cluster: its members (id, address, zone), which change as nodes join and leave, the
 * number of partitions and the replication factor, which are fixed at creation, and the placement: the
 * replica set of every partition, primary first.
 *
 * <p>The placement is part of the definition, not recomputed from the members: a new cluster starts with the
 * ring's placement ({@link PartitionTable#of(HashRing, int, int)}, zones first when zones are set), and every
 * change of members derives the next placement from the current one ({@link #withMembers}, through
 * {@link PartitionTable#rebalancedOnto}), which moves exactly the replicas that bring every node to its share:
 * a joining node receives its share and nothing else moves, a leaving node's replicas go to the nodes below
 * their share. (Recomputing from the ring would move more with few partitions per node, where the ring's arcs
 * are uneven: a fourth node among three with 16 partitions would take 15 replicas where its share is 12.)
 * Every node and client that holds the same spec therefore has the same placement.
 *
 * <p>Besides the partitions, a cluster has a <em>metadata group</em> (group id {@link #metadataGroup()}, one past
 * the last partition; no key maps to it): its own Paxos group of {@code replicationFactor} replicas that holds the
 * cluster's own records ({@link ClusterRecord}), so the cluster's definition never shares a log, a leader or a
 * snapshot with user data. Its replicas ({@code metadata}) start on the first members in the ring's order for a
 * fixed position; a change of members keeps those that stay and replaces those that leave the same way.
 *
 * <p>Stored as a small text file ({@code cluster.conf}):
 * <pre>
 * partitions=16
 * replication-factor=3
 * node.1=127.0.0.1:7101:7201:zone-a   # id = host:client-port:peer-port[:zone]
 * metadata=2,3,1                      # the metadata group's replica node ids
 * placement.0=1,2,3                   # partition = replica node ids, primary first
 * </pre>
 * A file without {@code placement} lines (written by hand, or by an earlier version) has the ring's placement.
 *
 * <p>Immutable.
 */
public record ClusterSpec(int partitions, int replicationFactor, List<Topology.Member> members,
                          List<List<Integer>> placement, List<Integer> metadata) {

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
        placement = placement == null ? ids(PartitionTable.of(ring(members), partitions, replicationFactor))
                : checkedPlacement(placement, partitions, replicationFactor, ids);
        metadata = metadata == null ? metadataReplicas(members, List.of(), replicationFactor)
                : checkedSet("the metadata group", metadata, replicationFactor, ids);
    }

    /** A new cluster's definition: the ring's placement of {@code members}. */
    public ClusterSpec(int partitions, int replicationFactor, List<Topology.Member> members) {
        this(partitions, replicationFactor, members, null, null);
    }

    /** The id of the metadata group, which holds the cluster's own records: one past the last partition. */
    public int metadataGroup() {
        return partitions;
    }

    /**
     * The replicas of the metadata group: those of {@code current} that are still members, in their positions, and
     * for the rest the first members in the ring's order for the group's fixed position, a member of a zone the set
     * lacks first.
     */
    private static List<Integer> metadataReplicas(List<Topology.Member> members, List<Integer> current, int rf) {
        Set<Integer> present = new HashSet<>();
        java.util.Map<Integer, String> zoneOf = new java.util.HashMap<>();
        members.forEach(m -> {
            present.add(m.id());
            zoneOf.put(m.id(), m.zone());
        });
        HashRing ring = ring(members);
        Node[] preference = new Node[members.size()];
        ring.replicas(ring.hasher().hash(METADATA_PLACEMENT_KEY), preference, members.size());
        List<Integer> out = new ArrayList<>();
        for (int id : current) {
            out.add(present.contains(id) ? id : -1);
        }
        while (out.size() < rf) {
            out.add(-1);
        }
        for (int r = 0; r < rf; r++) {
            if (out.get(r) >= 0) {
                continue;
            }
            int chosen = -1;
            for (Node n : preference) {
                int id = Integer.parseInt(n.id());
                if (out.contains(id)) {
                    continue;
                }
                boolean newZone = out.stream().noneMatch(o -> o >= 0 && zoneOf.get(o).equals(zoneOf.get(id)));
                if (newZone) {
                    chosen = id;
                    break;
                }
                if (chosen < 0) {
                    chosen = id;
                }
            }
            out.set(r, chosen);
        }
        return List.copyOf(out);
    }

    /** Where the metadata group sits on the ring (a fixed position, so every node computes the same set). */
    private static final byte[] METADATA_PLACEMENT_KEY = "\0bulwark/metadata-group".getBytes(StandardCharsets.UTF_8);

    /**
     * The definition after a change of members (nodes joining, leaving or replaced): the same partitions and
     * replication factor, and the placement derived from this one that moves the fewest replicas
     * ({@link PartitionTable#rebalancedOnto}).
     *
     * @throws IllegalArgumentException if the members are invalid or fewer than the replication factor
     */
    public ClusterSpec withMembers(List<Topology.Member> nextMembers) {
        if (nextMembers.size() < replicationFactor) {
            throw new IllegalArgumentException("replication factor " + replicationFactor + " needs at least that many"
                    + " members; the change would leave " + nextMembers.size());
        }
        ClusterSpec shape = new ClusterSpec(partitions, replicationFactor, nextMembers); // validates the members
        return new ClusterSpec(partitions, replicationFactor, shape.members(),
                ids(table().rebalancedOnto(ring(shape.members()))),
                metadataReplicas(shape.members(), metadata, replicationFactor));
    }

    private static HashRing ring(List<Topology.Member> members) {
        List<Node> nodes = new ArrayList<>();
        for (Topology.Member m : members) {
            nodes.add(m.zone().isEmpty() ? Node.of(String.valueOf(m.id())) : Node.of(String.valueOf(m.id()), 1.0, m.zone()));
        }
        return HashRing.of(nodes);
    }

    private static List<List<Integer>> ids(PartitionTable table) {
        List<List<Integer>> out = new ArrayList<>(table.partitions());
        for (int p = 0; p < table.partitions(); p++) {
            out.add(table.replicas(p).stream().map(n -> Integer.parseInt(n.id())).toList());
        }
        return List.copyOf(out);
    }

    private static List<List<Integer>> checkedPlacement(List<List<Integer>> placement, int partitions, int rf,
                                                        Set<Integer> members) {
        if (placement.size() != partitions) {
            throw new IllegalArgumentException("the placement lists " + placement.size() + " partitions, the cluster has "
                    + partitions);
        }
        List<List<Integer>> out = new ArrayList<>(partitions);
        for (int p = 0; p < partitions; p++) {
            out.add(checkedSet("partition " + p, placement.get(p), rf, members));
        }
        return List.copyOf(out);
    }

    private static List<Integer> checkedSet(String what, List<Integer> set, int rf, Set<Integer> members) {
        if (set == null || set.size() != rf || new HashSet<>(set).size() != rf) {
            throw new IllegalArgumentException(what + " must be placed on " + rf + " distinct nodes, is on " + set);
        }
        for (int id : set) {
            if (!members.contains(id)) {
                throw new IllegalArgumentException(what + " is placed on node " + id + ", which is not a member");
            }
        }
        return List.copyOf(set);
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

    /** The placement of every partition as a table (for diffs and counts). */
    public PartitionTable table() {
        List<List<String>> ids = new ArrayList<>(partitions);
        for (List<Integer> set : placement) {
            ids.add(set.stream().map(String::valueOf).toList());
        }
        return PartitionTable.of(ring(members), partitions, replicationFactor, ids);
    }

    /** The routing table a client needs, with no leader hints. */
    public Topology topology() {
        int[][] replicas = new int[partitions + 1][];
        int[] hints = new int[partitions + 1];
        for (int p = 0; p < partitions; p++) {
            replicas[p] = placement.get(p).stream().mapToInt(Integer::intValue).toArray();
            hints[p] = -1;
        }
        replicas[partitions] = metadata.stream().mapToInt(Integer::intValue).toArray();
        hints[partitions] = -1;
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
        sb.append("# replicas of the metadata group (the cluster's own records), primary first\n");
        sb.append("metadata=").append(String.join(",", metadata.stream().map(String::valueOf).toList())).append('\n');
        sb.append("# replicas of each partition, primary first; kept across changes, so only the replicas a change needs move\n");
        for (int p = 0; p < partitions; p++) {
            sb.append("placement.").append(p).append('=');
            List<Integer> set = placement.get(p);
            for (int r = 0; r < set.size(); r++) {
                sb.append(r == 0 ? "" : ",").append(set.get(r));
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
        java.util.Map<Integer, List<Integer>> placed = new java.util.TreeMap<>();
        List<Integer> metadata = null;
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
                } else if (key.equals("metadata")) {
                    metadata = new ArrayList<>();
                    for (String id : value.split(",")) {
                        metadata.add(Integer.parseInt(id.strip()));
                    }
                } else if (key.startsWith("placement.")) {
                    int p = Integer.parseInt(key.substring("placement.".length()));
                    List<Integer> set = new ArrayList<>();
                    for (String id : value.split(",")) {
                        set.add(Integer.parseInt(id.strip()));
                    }
                    if (placed.put(p, set) != null) {
                        throw new IllegalArgumentException("partition " + p + " is placed twice");
                    }
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
        if (placed.isEmpty()) {
            return new ClusterSpec(partitions, rf, members, null, metadata);
        }
        List<List<Integer>> placement = new ArrayList<>();
        for (int p = 0; p < partitions; p++) {
            List<Integer> set = placed.get(p);
            if (set == null) {
                throw new IllegalArgumentException("the cluster definition places some partitions but not partition " + p);
            }
            placement.add(set);
        }
        if (placed.size() != partitions) {
            throw new IllegalArgumentException("the cluster definition places partitions beyond the " + partitions + " it has");
        }
        return new ClusterSpec(partitions, rf, members, placement, metadata);
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
