package io.bulwark.bench.kv;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * A replicated, durable key-value store that {@code bench kv} drives with one load generator
 * ({@link OpenLoopLoad}) and one failover probe ({@link FailoverProbe}): Bulwark's cluster and each peer
 * (etcd: {@link EtcdEngine}) implement it with the same durability — a put is acknowledged only once it is
 * fsynced on a majority of its replicas.
 *
 * <p>An engine is started by its own factory (it starts its node processes on loopback and connects its
 * client), is used, then {@link #close() closed}, which stops every process it started and deletes their data.
 *
 * <p>Contract of the data operations, callable from any thread:
 * <ul>
 *   <li>{@link #put} completes normally once the write is durable on a majority and visible to every later
 *       {@link #get}; it completes exceptionally when the engine (after its own client's retries, if any)
 *       gives up. It never completes normally for a write that may be lost.</li>
 *   <li>{@link #get} is a linearizable read: it returns the value of the latest put acknowledged before it was
 *       called (or a later one), or {@code null} if the key has none.</li>
 *   <li>The caller does not modify the key and value arrays until the future completes; the engine does not
 *       modify them at all (the load generator passes the same arrays to many calls).</li>
 *   <li>Futures may complete on the engine's I/O threads: callers attach only short, non-blocking actions.</li>
 * </ul>
 *
 * <p>Contract of the fault operations, called from one control thread at a time: at most one node is down at
 * once. {@link #killLeaderOfKey} and {@link #restartKilled} block until their effect is complete, each within
 * a deadline of the engine's choosing (tens of seconds at most) after which they throw {@link TimeoutException}.
 */
public interface KvEngine extends AutoCloseable {

    /**
     * What {@link #killLeaderOfKey} did.
     *
     * @param node          index of the killed node, in {@code [0, nodes)} of the engine's own node list
     * @param label         the node for a report, e.g. {@code "etcd member m1 (pid 4242)"}
     * @param killedAtNanos {@link System#nanoTime()} just before SIGKILL was sent: the instant failover is
     *                      measured from
     */
    record KilledNode(int node, String label, long killedAtNanos) {
    }

    /** Name for a report, with the version, e.g. {@code "etcd 3.4.23 (jetcd 0.8.6)"}. */
    String name();

    /** Writes {@code value} under {@code key}; see the class contract. */
    CompletableFuture<Void> put(byte[] key, byte[] value);

    /** Reads {@code key} linearizably; the value, or {@code null} if absent. See the class contract. */
    CompletableFuture<byte[]> get(byte[] key);

    /**
     * Finds the node that currently leads the replica group owning {@code key} (waiting for an election if
     * there is no leader yet), sends its process SIGKILL ({@code kill -9}: no shutdown hook, no flush) and
     * returns once the process has exited. The node's data directory and ports are kept for
     * {@link #restartKilled}.
     *
     * @throws IllegalStateException if a node is already down
     * @throws TimeoutException      if no leader was found, or the process did not exit, within the deadline
     * @throws IOException           if the engine could not ask its nodes who leads
     */
    KilledNode killLeaderOfKey(byte[] key) throws IOException, TimeoutException, InterruptedException;

    /**
     * Starts the node killed by {@link #killLeaderOfKey} again on its own data directory and ports, and returns
     * once it serves again (has rejoined its group).
     *
     * @throws IllegalStateException if no node is down
     * @throws TimeoutException      if the node did not become healthy within the deadline
     * @throws IOException           if the process could not be started
     */
    void restartKilled() throws IOException, TimeoutException, InterruptedException;

    /** Closes the client and stops every process the engine started, deleting their data. Idempotent. */
    @Override
    void close();
}
