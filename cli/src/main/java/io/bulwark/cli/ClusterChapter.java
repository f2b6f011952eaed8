package io.bulwark.cli;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.protocol.NodeStatus;
import io.bulwark.client.protocol.Topology;
import io.bulwark.server.node.ProcessCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The demo's cluster chapter: a real 3-node cluster of separate processes on loopback, keys placed on
 * partitions by the ring, a checked workload while the busiest leader is killed with {@code kill -9} and
 * restarted, a fourth node joins, and the node driving placement is killed for good and replaced by the cluster
 * itself, and the verdict. Every process it starts is stopped and its directory deleted, whatever happens.
 */
final class ClusterChapter {

    static final int NODES = 3;
    static final int PARTITIONS = 16;
    static final int WORKERS = 8;
    /** Short, so the tour can show a failed node replaced; a real cluster's default is 30 s. */
    static final long FAILURE_TIMEOUT_MS = 3_000;

    private ClusterChapter() {
    }

    static boolean run(PrintStream out) {
        return withCluster(out, "bulwark-demo-cluster", (cluster, client) -> tour(out, cluster, client));
    }

    /** What a chapter does with its cluster; true if every check passed. */
    interface ClusterBody {
        boolean run(ProcessCluster cluster, BulwarkClient client)
                throws IOException, InterruptedException, java.util.concurrent.TimeoutException;
    }

    /**
     * Starts a 3-node cluster of separate processes in a new temporary directory, runs {@code body} with a client
     * of it, then stops every process and deletes the directory, whatever happened.
     */
    static boolean withCluster(PrintStream out, String prefix, ClusterBody body) {
        Path dir;
        try {
            dir = Files.createTempDirectory(prefix);
        } catch (IOException e) {
            out.println("  cannot create a directory for the cluster: " + e.getMessage());
            return false;
        }
        ProcessCluster cluster = null;
        try {
            long t0 = System.nanoTime();
            cluster = ProcessCluster.create(dir.resolve("cluster"), NODES, PARTITIONS, 3, ProcessCluster.DEFAULT_JVM_ARGS,
                    List.of("--failure-timeout-ms", Long.toString(FAILURE_TIMEOUT_MS)), null);
            out.printf(Locale.ROOT, "  started %d node processes (%d partitions x 3 replicas, each its own Paxos group)"
                    + " in %.1f s%n", NODES, PARTITIONS, (System.nanoTime() - t0) / 1e9);
            try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
                return body.run(cluster, client);
            }
        } catch (IOException | InterruptedException | java.util.concurrent.TimeoutException | RuntimeException e) {
            out.println("  error: " + e);
            return false;
        } finally {
            if (cluster != null) {
                cluster.close();
            }
            try {
                ProcessCluster.deleteDirectory(dir);
            } catch (IOException e) {
                out.println("  could not delete " + dir + ": " + e.getMessage());
            }
        }
    }

    private static boolean tour(PrintStream out, ProcessCluster cluster, BulwarkClient client)
            throws IOException, InterruptedException, java.util.concurrent.TimeoutException {
        boolean ok = true;
        // Where keys land.
        for (String key : List.of("alice", "bob", "carol")) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            client.put(k, ("balance of " + key).getBytes(StandardCharsets.UTF_8));
            int p = client.partitionOf(k);
            Topology t = client.topology();
            out.printf(Locale.ROOT, "  key %-6s -> partition %2d -> replicas %s, leader node %d%n", key, p,
                    Arrays.toString(t.replicas()[p]), t.leaderHints()[p]);
        }
        boolean readBack = Arrays.equals(client.get("bob".getBytes(StandardCharsets.UTF_8)),
                "balance of bob".getBytes(StandardCharsets.UTF_8));
        out.println("  read back with its CRC32C checked on the node and on the wire: " + (readBack ? "ok" : "WRONG"));
        ok &= readBack;
        boolean refused = damagedValueIsRefused(client);
        out.println("  a put whose value does not match its CRC32C (damaged on the way) is refused and stores"
                + " nothing: " + (refused ? "yes" : "NO"));
        ok &= refused;

        ClusterWorkload load = new ClusterWorkload(client, WORKERS, 16, 7);
        load.start();
        ok &= load.awaitWrites(300, 30_000);
        int victim = busiestLeader(client, List.of(1, 2, 3));
        int leads = leads(client, victim);
        long before = load.writesAcked();
        cluster.kill(victim);
        long killedAt = System.nanoTime();
        boolean resumed = load.awaitWrites(300, 30_000);
        out.printf(Locale.ROOT, "  %d workers writing and reading; kill -9 of node %d (leader of %d partitions) after"
                + " %,d acknowledged writes -> writes resumed: %s%n", WORKERS, victim, leads, before, resumed ? "yes" : "NO");
        ok &= resumed;
        cluster.start(victim);
        long restarted = System.nanoTime();
        boolean caughtUp = awaitCaughtUp(client, victim, 30_000);
        out.printf(Locale.ROOT, "  node %d restarted on its data directory after %.1f s down; caught up with the"
                + " leaders in %.1f s: %s%n", victim, (restarted - killedAt) / 1e9, (System.nanoTime() - restarted) / 1e9,
                caughtUp ? "yes" : "NO");
        ok &= caughtUp;
        ok &= load.awaitWrites(200, 30_000);
        io.bulwark.ring.PartitionTable three = cluster.spec().table();
        io.bulwark.server.node.Rebalancer.Result joined = cluster.join();
        int moved = joined.replicasAdded();
        double ideal = cluster.spec().partitions() * 3.0 / cluster.spec().members().size();
        boolean onlyPlanned = joined.partitionsMoved() == three.diff(cluster.spec().table()).size();
        out.printf(Locale.ROOT, "  node 4 joined under the same load: %d of %d partitions moved (exactly the planned"
                + " moves: %s), %d replicas to node 4 (its share: %.0f), one group membership change at a time, %.1f s%n",
                joined.partitionsMoved(), cluster.spec().partitions(), onlyPlanned ? "yes" : "NO", moved, ideal,
                joined.millis() / 1e3);
        ok &= onlyPlanned && moved <= Math.ceil(ideal);
        ok &= load.awaitWrites(200, 30_000);
        ok &= replacedOnItsOwn(out, cluster, client, load);
        load.stop();
        ClusterWorkload.Verdict verdict = load.verify();
        out.printf(Locale.ROOT, "  %,d operations at %,.0f ops/s; longest gap between acknowledged writes (the"
                + " failover): %.0f ms%n", load.completed(), load.opsPerSecond(), load.longestWriteGapMs());
        out.printf(Locale.ROOT, "  checked: %,d operations (linearizability: %s), %,d acknowledged writes read back,"
                + " lost: %d, violations: %d%n", verdict.operationsChecked(), verdict.linearizability().verdict(),
                verdict.uniqueWritesChecked(), verdict.lost().size(), verdict.linearizability().violations().size());
        if (!verdict.ok()) {
            out.println("  " + verdict.describe());
        }
        ok &= verdict.ok() && load.unexpected().isEmpty();
        return ok;
    }

    /**
     * Kills, for good, the node driving placement (the leader of the metadata group, which holds the cluster's record) and
     * waits for the cluster to declare it failed and re-place its replicas by itself, under the running load.
     */
    private static boolean replacedOnItsOwn(PrintStream out, ProcessCluster cluster, BulwarkClient client,
                                            ClusterWorkload load) {
        List<Integer> members = cluster.spec().members().stream().map(Topology.Member::id).toList();
        new io.bulwark.client.ClusterAdmin(client).knowMembers(cluster.spec().members()); // the newcomer too
        int victim = placementDriver(client, members, 10_000);
        if (victim < 0) {
            out.println("  no node leads the metadata group, which holds the cluster's record: NO");
            return false;
        }
        long before = load.writesAcked();
        cluster.kill(victim);
        long killedAt = System.nanoTime();
        io.bulwark.server.node.ClusterRecord record = awaitReplaced(client, victim, 90_000);
        boolean replaced = record != null;
        boolean flowing = load.awaitWrites(200, 30_000);
        out.printf(Locale.ROOT, "  kill -9 of node %d for good (it drove placement); after the %.0f s failure timeout the"
                + " cluster replaced it by itself (%s): %s in %.1f s, every partition back to 3 voters; writes kept"
                + " flowing (%,d acknowledged since): %s%n", victim, FAILURE_TIMEOUT_MS / 1e3,
                record == null ? "-" : record.by() + ", " + record.reason(), replaced ? "yes" : "NO",
                (System.nanoTime() - killedAt) / 1e9, load.writesAcked() - before, flowing ? "yes" : "NO");
        return replaced && flowing;
    }

    /**
     * The node driving placement — the leader of the cluster's metadata group, which holds its record — among
     * {@code members}, asked until one answers or {@code timeoutMs} pass; -1 if none.
     */
    static int placementDriver(BulwarkClient client, List<Integer> members, long timeoutMs) {
        int partition = client.topology().metadataGroup();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            for (int node : members) {
                try {
                    if (client.status(node).partitions().stream()
                            .anyMatch(r -> r.partition() == partition && r.role().equals("LEADER"))) {
                        return node;
                    }
                } catch (RuntimeException e) {
                    // down or slow to answer: asked again
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        return -1;
    }

    /**
     * Waits until the cluster's record is stable at a definition without {@code failed} and every member hosts
     * exactly what the ring places on it, each partition with three voters and no learner: the replacement
     * finished. Returns that record, or null after {@code timeoutMs}.
     */
    static io.bulwark.server.node.ClusterRecord awaitReplaced(BulwarkClient client, int failed, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            io.bulwark.server.node.ClusterRecord record;
            try {
                record = io.bulwark.server.node.ClusterRecord.read(client);
            } catch (RuntimeException e) {
                record = null;
            }
            if (record != null && !record.moving() && record.to().members().stream().noneMatch(m -> m.id() == failed)
                    && placedAsPlanned(client, record.to())) {
                return record;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(200));
        }
        return null;
    }

    /** True if every member of {@code spec} hosts exactly its planned placement, each led partition with 3 voters. */
    static boolean placedAsPlanned(BulwarkClient client, io.bulwark.server.node.ClusterSpec spec) {
        io.bulwark.ring.PartitionTable table = spec.table();
        try {
            for (Topology.Member m : spec.members()) {
                java.util.Set<Integer> hosted = new java.util.TreeSet<>();
                for (NodeStatus.Replica r : client.status(m.id()).partitions()) {
                    hosted.add(r.partition());
                    if (r.role().equals("LEADER") && (r.voters().size() != spec.replicationFactor()
                            || !r.learners().isEmpty())) {
                        return false;
                    }
                }
                for (int p = 0; p < table.partitions(); p++) {
                    boolean placed = table.replicas(p).stream().anyMatch(n -> n.id().equals(Integer.toString(m.id())));
                    if (placed != hosted.contains(p)) {
                        return false;
                    }
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * Sends, below the client library (which always computes the checksum itself), a put whose value was
     * "damaged" after its CRC32C was computed, to the key's leader; the node must answer Corrupt and the key
     * must stay absent.
     */
    static boolean damagedValueIsRefused(BulwarkClient client) throws IOException {
        byte[] key = "damaged-in-flight".getBytes(StandardCharsets.UTF_8);
        byte[] value = "the value as written".getBytes(StandardCharsets.UTF_8);
        int crc = io.bulwark.core.Checksums.crc32c(value);
        value[4] ^= 0x01; // one bit flipped after the checksum was taken
        byte[] command = new io.bulwark.paxos.kv.KvCommand.Put(key, value, crc).encode();
        int p = client.partitionOf(key);
        client.get(key); // makes sure the partition has a leader and the client knows it
        int leader = client.topology().leaderHints()[p];
        Topology.Member m = client.topology().member(leader);
        byte[] request = io.bulwark.client.protocol.Wire.writeRequest(1, p, 0x5eed_0001L, 1, command);
        io.bulwark.client.protocol.Wire.Response r = io.bulwark.client.protocol.Wire.exchange(m.clientAddress(), request);
        boolean corrupt = r.status() == io.bulwark.client.protocol.Wire.OK
                && io.bulwark.paxos.kv.KvResult.decode(r.body()) instanceof io.bulwark.paxos.kv.KvResult.Corrupt;
        return corrupt && client.get(key) == null;
    }

    /** Partitions (not the metadata group) that {@code node} leads. */
    static int leads(BulwarkClient client, int node) {
        int partitions = client.topology().partitions();
        return (int) client.status(node).partitions().stream()
                .filter(r -> r.role().equals("LEADER") && r.partition() < partitions).count();
    }

    static int busiestLeader(BulwarkClient client, List<Integer> candidates) {
        Map<Integer, Integer> leads = new TreeMap<>();
        for (int id : candidates) {
            leads.put(id, leads(client, id));
        }
        return leads.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    }

    /**
     * Waits until every partition replica on {@code node} has applied everything its leader had chosen when
     * the wait began (a fixed target: under load the leader keeps choosing more).
     */
    static boolean awaitCaughtUp(BulwarkClient client, int node, long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        Map<Integer, Long> targets = new TreeMap<>();
        while (System.nanoTime() - deadline < 0) {
            boolean all = true;
            for (NodeStatus.Replica r : client.status(node).partitions()) {
                Long target = targets.get(r.partition());
                if (target == null) {
                    if (r.leaderHint() < 0) {
                        all = false;
                        continue;
                    }
                    target = client.status(r.leaderHint()).partitions().stream()
                            .filter(x -> x.partition() == r.partition()).findFirst().orElseThrow().chosenIndex();
                    targets.put(r.partition(), target);
                }
                all &= r.appliedIndex() >= target;
            }
            if (all) {
                return true;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        return false;
    }
}
