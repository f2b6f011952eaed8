package io.bulwark.bench.kv;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * etcd as a {@link KvEngine}: a three-member {@link EtcdCluster} driven through etcd's Java client jetcd, one
 * {@link Client} for all load-generator clients (as an application would share it), connected to all three
 * members with jetcd's default round-robin balancing; a follower forwards writes to the leader.
 *
 * <p>Puts are acknowledged once committed (fsynced on a majority) and applied. Gets use jetcd's default
 * {@code GetOption}, which is linearizable ({@code serializable=false}: the member confirms with a quorum,
 * through etcd's ReadIndex, before it answers). jetcd's own retry policy is left at its defaults.
 *
 * <p>Thread-safe for {@link #put} and {@link #get}; the fault operations follow {@link KvEngine}'s contract.
 * Futures complete on jetcd's executor threads.
 */
public final class EtcdEngine implements KvEngine {

    /** The jetcd version this module depends on (bench/pom.xml); a test checks they agree. */
    static final String JETCD_VERSION = "0.8.6";

    private final EtcdCluster cluster;
    private final Client client;
    private final KV kv;

    private EtcdEngine(EtcdCluster cluster) {
        this.cluster = cluster;
        this.client = Client.builder().endpoints(cluster.clientEndpoints().toArray(java.net.URI[]::new)).build();
        this.kv = client.getKVClient();
    }

    /**
     * Starts a cluster (see {@link EtcdCluster#start}) and connects jetcd to it. The engine owns the cluster:
     * {@link #close()} stops it.
     */
    public static EtcdEngine start(EtcdCluster.Options options) throws IOException, TimeoutException, InterruptedException {
        EtcdCluster cluster = EtcdCluster.start(options);
        try {
            return new EtcdEngine(cluster);
        } catch (RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** The jetcd KV client, for benches that need more of etcd than puts and gets (its transactions). */
    public KV kvClient() {
        return kv;
    }

    /** The cluster behind this engine, for reports and diagnostics. */
    public EtcdCluster cluster() {
        return cluster;
    }

    @Override
    public String name() {
        return "etcd " + cluster.version() + " (jetcd " + JETCD_VERSION + ")";
    }

    @Override
    public CompletableFuture<Void> put(byte[] key, byte[] value) {
        return kv.put(ByteSequence.from(key), ByteSequence.from(value)).thenApply(response -> null);
    }

    @Override
    public CompletableFuture<byte[]> get(byte[] key) {
        return kv.get(ByteSequence.from(key)).thenApply(EtcdEngine::valueOrNull);
    }

    private static byte[] valueOrNull(GetResponse response) {
        return response.getKvs().isEmpty() ? null : response.getKvs().get(0).getValue().getBytes();
    }

    /** etcd has one raft group for all keys: the leader of every key is the cluster's leader. */
    @Override
    public KilledNode killLeaderOfKey(byte[] key) throws TimeoutException, InterruptedException {
        return cluster.killLeader();
    }

    @Override
    public void restartKilled() throws IOException, TimeoutException, InterruptedException {
        cluster.restartKilled();
    }

    @Override
    public void close() {
        try {
            client.close();
        } finally {
            cluster.close();
        }
    }
}
