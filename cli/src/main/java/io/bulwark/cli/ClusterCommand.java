package io.bulwark.cli;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.UnavailableException;
import io.bulwark.client.protocol.NodeStatus;
import io.bulwark.client.protocol.Topology;
import io.bulwark.server.node.ClusterSpec;
import io.bulwark.server.node.ProcessCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bulwark cluster}: a local cluster of node processes on loopback. */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Start, inspect and stop a local cluster of separate node processes on loopback.",
        subcommands = {ClusterCommand.Up.class, ClusterCommand.Status.class, ClusterCommand.Join.class,
            ClusterCommand.Leave.class, ClusterCommand.Down.class})
final class ClusterCommand implements Runnable {

    /** Where {@code cluster up} puts a cluster unless told otherwise; {@code kv} looks there too. */
    static final String DEFAULT_DIR = ".bulwark-cluster";

    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class DirOption {
        @Option(names = "--dir", description = "The cluster's directory (default: ${DEFAULT-VALUE}).")
        Path dir = Path.of(DEFAULT_DIR);
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = {"Define a new cluster on free loopback ports and start its nodes as background processes.",
                "Each node's data, log and pid file go in the cluster directory; 'cluster down' stops them."})
    static final class Up implements Callable<Integer> {
        @Mixin
        DirOption dir;

        @Option(names = "--nodes", description = "Number of nodes (default: ${DEFAULT-VALUE}).")
        int nodes = 3;

        @Option(names = "--partitions", description = "Number of partitions, fixed for the cluster's life "
                + "(default: ${DEFAULT-VALUE}).")
        int partitions = 16;

        @Option(names = "--replication-factor", description = "Replicas per partition (default: ${DEFAULT-VALUE}).")
        int replicationFactor = 3;

        @Override
        public Integer call() throws IOException {
            if (nodes < 1 || nodes > 9) {
                throw new IllegalArgumentException("--nodes must be in [1, 9] for a local cluster, was " + nodes);
            }
            if (replicationFactor > nodes) {
                throw new IllegalArgumentException("--replication-factor " + replicationFactor + " needs at least as many "
                        + "nodes, got --nodes " + nodes);
            }
            if (!ProcessCluster.running(dir.dir).isEmpty()) {
                throw new IllegalArgumentException("a cluster is already running in " + dir.dir
                        + "; 'bulwark cluster down' stops it");
            }
            ProcessCluster cluster = ProcessCluster.create(dir.dir, nodes, partitions, replicationFactor,
                    ProcessCluster.DEFAULT_JVM_ARGS, System.out);
            System.out.println();
            System.out.println("cluster up: " + nodes + " nodes, " + partitions + " partitions x " + replicationFactor
                    + " replicas, in " + cluster.directory());
            System.out.println("endpoints: " + endpoints(cluster.spec()));
            System.out.println("try: bulwark kv put hello world && bulwark kv get hello; bulwark cluster status;"
                    + " bulwark cluster down");
            // The nodes outlive this command: it returns without stopping them.
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the nodes, which are up, and each partition's replicas and leader.")
    static final class Status implements Callable<Integer> {
        @Mixin
        DirOption dir;

        @Option(names = "--json", description = "Print JSON.")
        boolean json;

        @Override
        public Integer call() throws IOException {
            ClusterSpec spec = readSpec(dir.dir);
            Map<Integer, Long> pids = ProcessCluster.running(dir.dir);
            StringBuilder out = new StringBuilder();
            try (BulwarkClient client = BulwarkClient.connect(endpoints(spec))) {
                io.bulwark.server.node.ClusterRecord record = null;
                try {
                    record = io.bulwark.server.node.ClusterRecord.read(client);
                } catch (RuntimeException e) {
                    // the metadata group is unavailable: show what this directory knows
                }
                if (record != null && record.supersedes(spec)) {
                    spec = record.to(); // the cluster changed its members on its own (a failed node was replaced)
                }
                Topology t = client.topology();
                int up = 0;
                StringBuilder nodesJson = new StringBuilder();
                StringBuilder partsJson = new StringBuilder();
                int[] leaders = new int[spec.partitions() + 1]; // the partitions, then the metadata group
                java.util.Arrays.fill(leaders, -1);
                if (!json) {
                    out.append(String.format("%-5s %-8s %-22s %-9s %-8s %-11s %s%n", "node", "state", "clients", "pid",
                            "leads", "partitions", "admin"));
                }
                for (Topology.Member m : spec.members()) {
                    NodeStatus s = null;
                    try {
                        s = client.status(m.id());
                        up++;
                    } catch (UnavailableException e) {
                        // down or paused
                    }
                    int leads = 0;
                    if (s != null) {
                        for (NodeStatus.Replica r : s.partitions()) {
                            if (r.role().equals("LEADER")) {
                                leads++;
                                leaders[r.partition()] = m.id();
                            }
                        }
                    }
                    String state = s == null ? "down" : "up";
                    String pid = pids.containsKey(m.id()) ? pids.get(m.id()).toString() : "-";
                    if (json) {
                        nodesJson.append(nodesJson.length() == 0 ? "" : ",").append(String.format(
                                "{\"id\":%d,\"state\":\"%s\",\"clients\":\"%s:%d\",\"leads\":%d,\"replicas\":%d%s}",
                                m.id(), state, m.host(), m.clientPort(), leads, s == null ? 0 : s.partitions().size(),
                                s == null ? "" : ",\"uptimeMs\":" + s.uptimeMs()));
                    } else {
                        out.append(String.format("%-5d %-8s %-22s %-9s %-8s %-11s %s%n", m.id(), state,
                                m.host() + ":" + m.clientPort(), pid, s == null ? "-" : Integer.toString(leads),
                                s == null ? "-" : Integer.toString(s.partitions().size()), adminUrl(dir.dir, m.id())));
                    }
                }
                if (!json) {
                    out.append(String.format("%npartition  replicas      leader%n"));
                }
                for (int p = 0; p < spec.partitions(); p++) {
                    String replicas = java.util.Arrays.toString(t.replicas()[p]);
                    if (json) {
                        partsJson.append(p == 0 ? "" : ",").append(String.format("{\"partition\":%d,\"replicas\":%s,\"leader\":%d}",
                                p, replicas.replace(" ", ""), leaders[p]));
                    } else {
                        out.append(String.format("%-11d %-13s %s%n", p, replicas, leaders[p] < 0 ? "none" : leaders[p]));
                    }
                }
                int meta = spec.metadataGroup();
                String metaReplicas = spec.metadata().toString();
                if (json) {
                    partsJson.append(String.format(",{\"metadata\":true,\"group\":%d,\"replicas\":%s,\"leader\":%d}",
                            meta, metaReplicas.replace(" ", ""), leaders[meta]));
                } else {
                    out.append(String.format("%-11s %-13s %s (drives placement)%n", "metadata", metaReplicas,
                            leaders[meta] < 0 ? "none" : leaders[meta]));
                }
                String definition = record == null ? "not recorded yet" : record.toString();
                if (json) {
                    System.out.println("{\"nodes\":[" + nodesJson + "],\"nodesUp\":" + up + ",\"partitions\":["
                            + partsJson + "],\"definition\":\"" + definition.replace("\\", "\\\\").replace("\"", "\\\"")
                            + "\"}");
                } else {
                    System.out.print(out);
                    System.out.println();
                    System.out.println(up + " of " + spec.members().size() + " nodes up; definition: " + definition);
                }
                return up == spec.members().size() ? 0 : 3;
            }
        }
    }

    @Command(name = "join", mixinStandardHelpOptions = true,
            description = {"Add a node to the local cluster: start it on free ports, then move to it its share of the",
                "replicas (and nothing else), one partition at a time, each by membership changes of its own Paxos",
                "group (the cluster keeps serving; nothing acknowledged is lost)."})
    static final class Join implements Callable<Integer> {
        @Mixin
        DirOption dir;

        @Override
        public Integer call() throws Exception {
            ProcessCluster cluster = ProcessCluster.attach(dir.dir, ProcessCluster.DEFAULT_JVM_ARGS, System.out);
            int before = cluster.spec().members().size();
            io.bulwark.server.node.Rebalancer.Result r = cluster.join();
            int id = cluster.spec().members().stream().mapToInt(Topology.Member::id).max().orElseThrow();
            double ideal = cluster.spec().partitions() * (double) cluster.spec().replicationFactor()
                    / cluster.spec().members().size();
            System.out.printf(java.util.Locale.ROOT, "node %d joined (%d -> %d nodes): %d partitions moved, %d replicas"
                            + " to node %d (ideal share %.1f, %.2fx), in %.1f s%n", id, before, before + 1,
                    r.partitionsMoved(), r.replicasAdded(), id, ideal, r.replicasAdded() / ideal, r.millis() / 1e3);
            return 0;
        }
    }

    @Command(name = "leave", mixinStandardHelpOptions = true,
            description = {"Remove a node from the local cluster: move its replicas to the nodes below their share,",
                "one partition at a time, then stop it (its data directory stays)."})
    static final class Leave implements Callable<Integer> {
        @Mixin
        DirOption dir;

        @Option(names = "--node", required = true, description = "The id of the node to remove.")
        int node;

        @Override
        public Integer call() throws Exception {
            ProcessCluster cluster = ProcessCluster.attach(dir.dir, ProcessCluster.DEFAULT_JVM_ARGS, System.out);
            if (cluster.spec().members().size() <= cluster.spec().replicationFactor()) {
                throw new IllegalArgumentException("the cluster has " + cluster.spec().members().size() + " nodes and"
                        + " replication factor " + cluster.spec().replicationFactor() + ": removing one would leave"
                        + " partitions short of replicas");
            }
            io.bulwark.server.node.Rebalancer.Result r = cluster.leave(node);
            System.out.printf(java.util.Locale.ROOT, "node %d left: %d partitions moved, in %.1f s; its process is"
                    + " stopped%n", node, r.partitionsMoved(), r.millis() / 1e3);
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop every node of the local cluster (cleanly, then forcibly after 10 s).")
    static final class Down implements Callable<Integer> {
        @Mixin
        DirOption dir;

        @Option(names = "--delete", description = "Also delete the cluster directory and all its data.")
        boolean delete;

        @Override
        public Integer call() throws IOException {
            if (!Files.exists(dir.dir.resolve(ClusterSpec.FILE_NAME))) {
                throw new IllegalArgumentException("no cluster in " + dir.dir.toAbsolutePath());
            }
            List<Integer> stopped = ProcessCluster.stopAll(dir.dir, System.out);
            System.out.println(stopped.isEmpty() ? "no node was running" : "stopped " + stopped.size() + " nodes");
            if (delete) {
                ProcessCluster.deleteDirectory(dir.dir);
                System.out.println("deleted " + dir.dir.toAbsolutePath());
            }
            return 0;
        }
    }

    /** The admin endpoint of a node of a local cluster, from the port file 'cluster up' wrote, or "-". */
    static String adminUrl(Path dir, int id) throws IOException {
        Path file = dir.resolve("node-" + id + ".admin");
        return Files.exists(file) ? "http://127.0.0.1:" + Files.readString(file).strip() + "/status" : "-";
    }

    static ClusterSpec readSpec(Path dir) throws IOException {
        Path conf = dir.resolve(ClusterSpec.FILE_NAME);
        if (!Files.exists(conf)) {
            throw new IllegalArgumentException("no cluster in " + dir.toAbsolutePath() + " (no " + ClusterSpec.FILE_NAME
                    + "); start one with 'bulwark cluster up' or pass --endpoints");
        }
        return ClusterSpec.read(conf);
    }

    static String endpoints(ClusterSpec spec) {
        StringBuilder sb = new StringBuilder();
        for (Topology.Member m : spec.members()) {
            sb.append(sb.length() == 0 ? "" : ",").append(m.host()).append(':').append(m.clientPort());
        }
        return sb.toString();
    }
}
