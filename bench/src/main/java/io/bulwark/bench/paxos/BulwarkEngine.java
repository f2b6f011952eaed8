package io.bulwark.bench.paxos;

import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.server.replication.DriverMetrics;
import io.bulwark.server.replication.LocalGroup;
import io.bulwark.server.replication.NotLeaderException;
import io.bulwark.server.replication.OverloadedException;
import io.bulwark.server.replication.ReplicaDriver;
import io.bulwark.server.replication.ReplicaStoppedException;
import io.bulwark.server.replication.TransportStats;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Bulwark's Multi-Paxos as a benchmark {@link Engine}: a {@link LocalGroup} of three
 * {@link ReplicaDriver}s (loopback TCP, logs fsynced on the given directory, KV state machine), commands sent
 * to the leader.
 *
 * <p>Retries: a put refused because the replica is not (or no longer) the leader, is overloaded, or stopped is
 * retried after {@value #RETRY_DELAY_MS} ms at the current leader with the same client id and sequence
 * number, for at most {@link #RETRY_BUDGET}; the exactly-once state machine makes the retry safe. A put
 * completes on the leader's event-loop thread. Thread-safe.
 */
public final class BulwarkEngine implements Engine {

    static final long RETRY_DELAY_MS = 10;
    static final Duration RETRY_BUDGET = Duration.ofSeconds(10);
    private static final Duration ELECTION_DEADLINE = Duration.ofSeconds(10);
    /** KV put framing around key and value: op byte, three lengths, CRC32C. */
    private static final int KV_PUT_OVERHEAD_BYTES = 17;

    private final Executor retryLater = CompletableFuture.delayedExecutor(RETRY_DELAY_MS, TimeUnit.MILLISECONDS);
    private volatile LocalGroup group;
    private volatile ReplicaDriver leader;

    @Override
    public String name() {
        return "Bulwark Multi-Paxos";
    }

    @Override
    public String setup() {
        return "3 replica drivers in one process, loopback TCP, write-ahead log fsynced per group commit, "
                + "KV state machine, writes to the leader";
    }

    @Override
    public void start(Path dataDirectory) throws IOException, TimeoutException, InterruptedException {
        if (group != null) {
            throw new IllegalStateException("engine already started");
        }
        group = LocalGroup.start(dataDirectory, 3);
        leader = group.awaitLeader(ELECTION_DEADLINE);
    }

    @Override
    public CompletableFuture<byte[]> put(long clientId, long sequence, byte[] key, byte[] value) {
        byte[] command = KvCommand.put(key, value).encode();
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        attempt(clientId, sequence, command, result, System.nanoTime() + RETRY_BUDGET.toNanos());
        return result;
    }

    private void attempt(long clientId, long sequence, byte[] command, CompletableFuture<byte[]> result,
                         long deadlineNanos) {
        ReplicaDriver target = leader;
        if (target == null || !target.isRunning()) {
            retryOrFail(clientId, sequence, command, result, deadlineNanos,
                    new NotLeaderException(-1, NotLeaderException.UNKNOWN_LEADER, "no leader known"));
            return;
        }
        target.submit(clientId, sequence, command).whenComplete((answer, error) -> {
            if (error == null) {
                result.complete(answer);
                return;
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            if (cause instanceof NotLeaderException || cause instanceof OverloadedException
                    || cause instanceof ReplicaStoppedException) {
                retryOrFail(clientId, sequence, command, result, deadlineNanos, cause);
            } else {
                result.completeExceptionally(cause);
            }
        });
    }

    private void retryOrFail(long clientId, long sequence, byte[] command, CompletableFuture<byte[]> result,
                             long deadlineNanos, Throwable cause) {
        if (System.nanoTime() - deadlineNanos > 0) {
            result.completeExceptionally(cause);
            return;
        }
        retryLater.execute(() -> {
            LocalGroup g = group;
            ReplicaDriver current = g == null ? null : g.currentLeader();
            if (current != null) {
                leader = current;
            }
            attempt(clientId, sequence, command, result, deadlineNanos);
        });
    }

    @Override
    public int commandBytes(int keyBytes, int valueBytes) {
        return KV_PUT_OVERHEAD_BYTES + keyBytes + valueBytes;
    }

    @Override
    public Counters counters() {
        LocalGroup g = group;
        if (g == null) {
            return new Counters(0, 0, 0);
        }
        ReplicaDriver current = leader;
        long total = 0;
        for (ReplicaDriver d : g.drivers()) {
            total += d.metrics().fsyncs();
        }
        DriverMetrics m = current == null ? null : current.metrics();
        return new Counters(m == null ? 0 : m.fsyncs(), total, m == null ? 0 : m.commandsApplied());
    }

    @Override
    public List<String> diagnostics() {
        LocalGroup g = group;
        if (g == null) {
            return List.of();
        }
        List<String> lines = new ArrayList<>();
        for (ReplicaDriver d : g.drivers()) {
            DriverMetrics m = d.metrics();
            TransportStats t = d.transportStats();
            lines.add(String.format(Locale.ROOT, "replica %d%s: %d fsyncs, %d group commits covering %.1f Readies each"
                            + " (%.2f ms each on the sync thread), %d commands applied; transport: %d messages in %d"
                            + " writes, dropped %d (queue full) + %d (unsendable) + %d (bad CRC), inbox drops %d",
                    d.nodeId(), d == leader ? " (leader)" : "", m.fsyncs(), m.groupCommits(), m.readiesPerGroupCommit(),
                    m.groupCommits() == 0 ? 0 : m.syncNanosTotal() / 1e6 / m.groupCommits(), m.commandsApplied(),
                    t.messagesSent(), t.writeBatches(), t.droppedQueueFull(), t.droppedUnsendable(),
                    t.droppedBadChecksum(), m.messagesDropped()));
        }
        return lines;
    }

    @Override
    public void close() {
        LocalGroup g = group;
        if (g != null) {
            g.close();
        }
    }
}
