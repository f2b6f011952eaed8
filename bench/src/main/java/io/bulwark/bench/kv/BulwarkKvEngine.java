package io.bulwark.bench.kv;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.UnavailableException;
import io.bulwark.client.protocol.NodeStatus;
import io.bulwark.server.node.ProcessCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Bulwark's cluster as a {@link KvEngine}: three node processes on loopback ({@link ProcessCluster}), each
 * partition a Paxos group of three replicas with its write-ahead log fsynced before a put is acknowledged,
 * driven through {@link BulwarkClient} (linearizable gets through the read index).
 */
public final class BulwarkKvEngine implements KvEngine {

    /** Partitions of the bench cluster. */
    public static final int PARTITIONS = 16;
    private static final long LEADER_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final io.bulwark.bench.BenchCluster bench;
    private final ProcessCluster cluster;
    private final BulwarkClient client;
    private int killed = -1;

    private BulwarkKvEngine(io.bulwark.bench.BenchCluster bench) {
        this.bench = bench;
        this.cluster = bench.cluster();
        this.client = bench.client();
    }

    /**
     * Starts a 3-node cluster in a new directory under {@code parent} (null: the temporary directory).
     *
     * @param progress where node starts are reported, or null
     */
    public static BulwarkKvEngine start(Path parent, PrintStream progress) throws IOException {
        return new BulwarkKvEngine(io.bulwark.bench.BenchCluster.start(parent, "bulwark-bench-kv", PARTITIONS, progress));
    }

    @Override
    public String name() {
        return "Bulwark 3 nodes x " + PARTITIONS + " partitions";
    }

    @Override
    public CompletableFuture<Void> put(byte[] key, byte[] value) {
        return client.putAsync(key, value);
    }

    @Override
    public CompletableFuture<byte[]> get(byte[] key) {
        return client.getAsync(key);
    }

    @Override
    public KilledNode killLeaderOfKey(byte[] key) throws IOException, TimeoutException, InterruptedException {
        if (killed >= 0) {
            throw new IllegalStateException("node " + killed + " is already down");
        }
        int partition = client.partitionOf(key);
        long deadline = System.nanoTime() + LEADER_DEADLINE_NANOS;
        while (true) {
            for (int node : client.topology().replicas()[partition]) {
                NodeStatus status;
                try {
                    status = client.status(node);
                } catch (UnavailableException e) {
                    continue;
                }
                boolean leads = status.partitions().stream()
                        .anyMatch(r -> r.partition() == partition && r.role().equals("LEADER"));
                if (leads) {
                    long pid = cluster.pid(node);
                    long at = System.nanoTime();
                    cluster.kill(node);
                    killed = node;
                    return new KilledNode(node - 1, "Bulwark node " + node + " (pid " + pid + ", leader of partition "
                            + partition + ")", at);
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new TimeoutException("no leader of partition " + partition + " within 30 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    @Override
    public void restartKilled() throws IOException, TimeoutException, InterruptedException {
        if (killed < 0) {
            throw new IllegalStateException("no node is down");
        }
        cluster.start(killed);
        killed = -1;
    }

    @Override
    public void close() {
        bench.close();
    }
}
