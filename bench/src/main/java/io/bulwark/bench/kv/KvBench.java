package io.bulwark.bench.kv;

import io.bulwark.ring.HashRing;
import io.bulwark.ring.Node;
import io.bulwark.ring.PartitionMove;
import io.bulwark.client.protocol.Topology;
import io.bulwark.ring.PartitionTable;
import io.bulwark.server.node.ClusterSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * {@code bulwark bench kv}: Bulwark's 3-node cluster and a 3-member etcd cluster in one run, driven by the
 * same load generator ({@link OpenLoopLoad}) with the same seeded operation sequence.
 *
 * <p>Method, per mix and concurrency level: each engine's capacity in a closed loop, then both in an open
 * loop at the same offered rate ({@code openLoopFraction} of the lower capacity), so their latencies are
 * compared under the same load; the engines alternate which goes first from cell to cell. Both clusters are
 * up for the whole run (the idle one costs the other a few percent of a core; so it is for both). Then the
 * failover probe ({@link FailoverProbe}) kills the leader of one key's group in each, and the ring computes
 * how many partitions a fourth node takes.
 */
public final class KvBench {

    /** One cell of the comparison. */
    public record Cell(OpenLoopLoad.Mix mix, int clients, OpenLoopLoad.Result etcdCapacity,
                       OpenLoopLoad.Result bulwarkCapacity, OpenLoopLoad.Result etcdLatency,
                       OpenLoopLoad.Result bulwarkLatency) {

        public double throughputRatio() {
            return bulwarkCapacity.opsPerSecond() / Math.max(1e-9, etcdCapacity.opsPerSecond());
        }
    }

    /**
     * Replicas moved when a fourth node joins three, against the ideal share; {@code ringOnlyReplicas}: what
     * recomputing the ring's placement would move instead.
     */
    public record Movement(int partitions, int replicationFactor, int replicasMoved, int ringOnlyReplicas,
                           double idealReplicas) {
        public double ratioToIdeal() {
            return replicasMoved / idealReplicas;
        }
    }

    /** The whole run. */
    public record Report(String etcdName, String bulwarkName, EtcdOnlyBench.Options options, List<Cell> cells,
                         FailoverProbe.Result etcdFailover, FailoverProbe.Result bulwarkFailover, List<Movement> movement) {

        public String toText() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "=== bench kv: %s vs %s%s ===%n", bulwarkName, etcdName,
                    options.quick() ? " [QUICK: smoke run, not a measurement]" : ""));
            b.append(String.format(Locale.ROOT, "load: %d-byte values, %d keys; closed loop %.1f s per engine for"
                    + " capacity, then both open loop %.1f s at %.0f%% of the lower capacity (latency from the"
                    + " intended start); %d cores%n%n", options.valueBytes(), options.keyCount(),
                    options.saturation().toMillis() / 1e3, options.latency().toMillis() / 1e3,
                    100 * options.openLoopFraction(), Runtime.getRuntime().availableProcessors()));
            b.append(String.format(Locale.ROOT, "%-12s %7s | %9s %9s %6s | %8s | %8s %8s %9s | %8s %8s %9s | %s%n",
                    "mix", "clients", "etcd/s", "bulwark/s", "ratio", "offered", "etcd p50", "p99", "p99.9",
                    "bw p50", "p99", "p99.9", "p99 ratio"));
            for (Cell c : cells) {
                OpenLoopLoad.Result e = c.etcdLatency();
                OpenLoopLoad.Result w = c.bulwarkLatency();
                b.append(String.format(Locale.ROOT, "%-12s %7d | %9.0f %9.0f %5.2fx | %8.0f | %8.2f %8.2f %9.2f | %8.2f"
                                + " %8.2f %9.2f | %.2fx%s%n", c.mix().label(), c.clients(), c.etcdCapacity().opsPerSecond(),
                        c.bulwarkCapacity().opsPerSecond(), c.throughputRatio(), w.offeredPerSecond(), e.p50Ms(),
                        e.p99Ms(), e.p999Ms(), w.p50Ms(), w.p99Ms(), w.p999Ms(), w.p99Ms() / Math.max(1e-9, e.p99Ms()),
                        (e.keptUp() ? "" : " (etcd did not keep up)") + (w.keptUp() ? "" : " (bulwark did not keep up)")));
            }
            if (etcdFailover != null && bulwarkFailover != null) {
                b.append(String.format(Locale.ROOT, "%nfailover after kill -9 of the key's leader (writes resume: first"
                        + " acknowledged write sent after the kill):%n  etcd:    %s%n  bulwark: %s%n",
                        etcdFailover.summary(), bulwarkFailover.summary()));
            }
            b.append(String.format(Locale.ROOT, "%nadding a fourth node to three (the cluster's planned placement,"
                    + " replicas that move):%n"));
            for (Movement m : movement) {
                b.append(String.format(Locale.ROOT, "  %d partitions x %d replicas: %d moved, ideal %.1f -> %.2fx the"
                        + " ideal share (recomputing the ring's placement instead: %d, %.2fx)%n", m.partitions(),
                        m.replicationFactor(), m.replicasMoved(), m.idealReplicas(), m.ratioToIdeal(),
                        m.ringOnlyReplicas(), m.ringOnlyReplicas() / m.idealReplicas()));
            }
            return b.toString();
        }
    }

    private static final byte[] FAILOVER_KEY = "bench-kv-failover".getBytes(StandardCharsets.UTF_8);

    private KvBench() {
    }

    /** Starts both clusters, measures, stops both. */
    public static Report run(EtcdOnlyBench.Options options, PrintStream progress)
            throws IOException, TimeoutException, ExecutionException, InterruptedException {
        EtcdCluster.Options etcdOptions = EtcdCluster.Options.defaults().withProgress(progress)
                .withParentDirectory(options.parentDirectory());
        progress.println("starting a 3-member etcd cluster...");
        try (EtcdEngine etcd = EtcdEngine.start(etcdOptions)) {
            progress.println("starting a 3-node Bulwark cluster...");
            try (BulwarkKvEngine bulwark = BulwarkKvEngine.start(options.parentDirectory(), progress)) {
                return measure(etcd, bulwark, options, progress);
            }
        }
    }

    static Report measure(KvEngine etcd, KvEngine bulwark, EtcdOnlyBench.Options options, PrintStream progress)
            throws IOException, TimeoutException, ExecutionException, InterruptedException {
        for (KvEngine e : List.of(etcd, bulwark)) {
            progress.printf(Locale.ROOT, "%s: preloading %d keys%n", e.name(), options.keyCount());
            OpenLoopLoad.preload(e, options.workload(1, options.mixes().get(0), options.saturation()));
        }
        List<Cell> cells = new ArrayList<>();
        int index = 0;
        for (OpenLoopLoad.Mix mix : options.mixes()) {
            for (int clients : options.clients()) {
                boolean etcdFirst = index++ % 2 == 0;
                KvEngine first = etcdFirst ? etcd : bulwark;
                KvEngine second = etcdFirst ? bulwark : etcd;
                OpenLoopLoad.Result c1 = OpenLoopLoad.closedLoop(first, options.workload(clients, mix, options.saturation()));
                OpenLoopLoad.Result c2 = OpenLoopLoad.closedLoop(second, options.workload(clients, mix, options.saturation()));
                double rate = Math.max(1, options.openLoopFraction() * Math.min(c1.opsPerSecond(), c2.opsPerSecond()));
                OpenLoopLoad.Result l1 = OpenLoopLoad.openLoop(first, options.workload(clients, mix, options.latency()), rate);
                OpenLoopLoad.Result l2 = OpenLoopLoad.openLoop(second, options.workload(clients, mix, options.latency()), rate);
                Cell cell = etcdFirst ? new Cell(mix, clients, c1, c2, l1, l2) : new Cell(mix, clients, c2, c1, l2, l1);
                cells.add(cell);
                progress.printf(Locale.ROOT, "  %-12s %4d clients: capacity etcd %.0f, bulwark %.0f ops/s (%.2fx);"
                                + " at %.0f ops/s p99 etcd %.2f ms, bulwark %.2f ms%n", mix.label(), clients,
                        cell.etcdCapacity().opsPerSecond(), cell.bulwarkCapacity().opsPerSecond(),
                        cell.throughputRatio(), rate, cell.etcdLatency().p99Ms(), cell.bulwarkLatency().p99Ms());
            }
        }
        FailoverProbe.Result etcdFailover = null;
        FailoverProbe.Result bulwarkFailover = null;
        if (options.failover()) {
            progress.println("failover probe: etcd");
            etcdFailover = FailoverProbe.run(etcd, FAILOVER_KEY, FailoverProbe.Options.defaults());
            progress.println("  " + etcdFailover.summary());
            progress.println("failover probe: bulwark");
            bulwarkFailover = FailoverProbe.run(bulwark, FAILOVER_KEY, FailoverProbe.Options.defaults());
            progress.println("  " + bulwarkFailover.summary());
        }
        List<Movement> movement = List.of(movement(BulwarkKvEngine.PARTITIONS, 3), movement(64, 3));
        return new Report(etcd.name(), bulwark.name(), options, cells, etcdFailover, bulwarkFailover, movement);
    }

    /**
     * Replicas that move when node 4 joins nodes 1-3, as the cluster plans it ({@link ClusterSpec#withMembers}:
     * the stored placement rebalanced onto the new members), beside what recomputing the ring's placement would
     * move. The ideal: the newcomer takes its fair share, {@code partitions x rf / 4} replicas, and nothing else
     * moves.
     */
    public static Movement movement(int partitions, int rf) {
        List<Topology.Member> members = new java.util.ArrayList<>();
        for (int id = 1; id <= 4; id++) {
            members.add(new Topology.Member(id, "127.0.0.1", 7100 + id, 7200 + id, ""));
        }
        ClusterSpec three = new ClusterSpec(partitions, rf, members.subList(0, 3));
        ClusterSpec four = three.withMembers(members);
        ClusterSpec ringOnly = new ClusterSpec(partitions, rf, members);
        return new Movement(partitions, rf, added(three.table(), four.table()), added(three.table(), ringOnly.table()),
                partitions * (double) rf / 4);
    }

    private static int added(PartitionTable before, PartitionTable after) {
        int moved = 0;
        for (PartitionMove m : before.diff(after)) {
            moved += m.added().size();
        }
        return moved;
    }
}
