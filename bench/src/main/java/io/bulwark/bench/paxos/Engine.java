package io.bulwark.bench.paxos;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * A replicated, durable log that {@link PaxosBench} can measure: three replicas started in this process, a
 * write API, and the counters the group-commit goals need. {@link BulwarkEngine} is Bulwark's; a peer
 * (etcd's raft, Apache Ratis, ...) plugs in by implementing this interface with the same durability (every
 * acknowledged write fsynced on a majority), and runs in the same harness, same run, same disk.
 *
 * <p>Contract: {@link #start} once, then {@link #put} from any thread, then {@link #close}. A put completes
 * when the write is durable on a majority and applied by the replica that answers; the engine retries
 * leader changes itself (with the same client id and sequence, so nothing is applied twice) and completes
 * exceptionally only when it gives up. Implementations must be thread-safe; a put's future may complete
 * on an engine thread, so the harness attaches only short non-blocking actions to it.
 */
public interface Engine extends AutoCloseable {

    /** Counters since {@link #start}; the harness takes differences over a measured window. */
    record Counters(long leaderFsyncs, long totalFsyncs, long leaderCommandsCommitted) {
    }

    /** Name for the report, with the version if it has one. */
    String name();

    /** One line on how it is set up (replicas, transport, durability), for the report. */
    String setup();

    /**
     * Starts three replicas with their data under {@code dataDirectory} and waits until they can take writes.
     *
     * @throws IOException      if a replica cannot start
     * @throws TimeoutException if no leader emerges in time
     */
    void start(Path dataDirectory) throws IOException, TimeoutException, InterruptedException;

    /**
     * Replicates a put of {@code value} at {@code key} for client {@code clientId}, whose sequence numbers go
     * 1, 2, 3, ... with one put in flight.
     */
    CompletableFuture<byte[]> put(long clientId, long sequence, byte[] key, byte[] value);

    /** Bytes one put of this key and value size adds to the replicated log, as the engine encodes it. */
    int commandBytes(int keyBytes, int valueBytes);

    /**
     * Counters now: fsyncs of the current leader and of all replicas, and commands the leader committed. If
     * leadership moved, the leader's counters restart from the new leader's.
     */
    Counters counters();

    /**
     * Engine-specific observations for the report's notes (batching, drops, retries), one line each; read
     * once, after the last level and before {@link #close}. Empty if the engine has none.
     */
    default java.util.List<String> diagnostics() {
        return java.util.List.of();
    }

    /** Stops every replica and releases their ports and directories. Idempotent. */
    @Override
    void close();
}
