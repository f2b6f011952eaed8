package io.bulwark.server.replication;

import io.bulwark.core.storage.FileStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Runs one replica of one Paxos group for real: a {@link ReplicaHost} with a single group, its log on a
 * local disk, its messages over TCP, its commands applied to an exactly-once state machine. See
 * {@link ReplicaHost} for the threads, the contract of the futures and the failure behaviour; a node that
 * hosts many groups (one per partition) uses a {@link ReplicaHost} directly.
 *
 * <p>Thread-safety: every public method is thread-safe.
 */
public final class ReplicaDriver implements AutoCloseable {

    /** The group id of the one group: the id a single-group {@link PeerTransport} carries. */
    static final int GROUP = PeerTransport.SINGLE_GROUP;

    private final ReplicaHost host;

    private ReplicaDriver(ReplicaHost host) {
        this.host = host;
    }

    /**
     * Opens (or creates) the replica's log in {@code config.dataDirectory()}, recovers it, starts the
     * transport on {@code config.bindAddress()} and the event loop. Peers are added with {@link #connectPeers}.
     *
     * @throws IOException if the directory is in use, its log cannot be opened or is damaged, or the address
     *                     cannot be bound
     */
    public static ReplicaDriver start(ReplicaDriverConfig config) throws IOException {
        return start(config, UnaryOperator.identity());
    }

    /** As {@link #start(ReplicaDriverConfig)}, with the log's file store wrapped (tests inject disk faults). */
    static ReplicaDriver start(ReplicaDriverConfig config, UnaryOperator<FileStore> storeDecorator) throws IOException {
        Objects.requireNonNull(config, "config");
        return new ReplicaDriver(ReplicaHost.start(config, List.of(new ReplicaHost.GroupSpec(GROUP,
                config.membership(), config.stateMachineFactory())), storeDecorator));
    }

    public int nodeId() {
        return host.nodeId();
    }

    /** Where this replica's peer transport listens. */
    public InetSocketAddress localAddress() {
        return host.localAddress();
    }

    public Path dataDirectory() {
        return host.dataDirectory();
    }

    /** Tells this replica where its peers listen; entries for its own id are ignored. May be called again. */
    public void connectPeers(Map<Integer, InetSocketAddress> addresses) {
        host.connectPeers(addresses);
    }

    /**
     * Replicates {@code command} for client {@code clientId} with sequence number {@code sequence} (1, 2, 3, ...
     * per client, one in flight) and completes with the state machine's result once this replica applied it.
     * A retry with the same sequence returns the original result without applying it again.
     *
     * @throws IllegalArgumentException if {@code sequence < 1}, {@code command} is null, or it is larger than
     *                                  the replica's {@code maxCommandBytes}
     */
    public CompletableFuture<byte[]> submit(long clientId, long sequence, byte[] command) {
        return host.submit(GROUP, clientId, sequence, command);
    }

    /** A linearizable query through the read index; only the leader serves reads. */
    public CompletableFuture<byte[]> read(byte[] query) {
        return host.read(GROUP, query);
    }

    /** The status published after the loop's last turn. */
    public DriverStatus status() {
        return host.status(GROUP);
    }

    /**
     * Waits until the published status satisfies {@code condition}.
     *
     * @throws TimeoutException if it does not within {@code timeout}; the message has the last status
     */
    public DriverStatus awaitStatus(Predicate<DriverStatus> condition, Duration timeout)
            throws TimeoutException, InterruptedException {
        return host.awaitStatus(GROUP, condition, timeout);
    }

    /** The driver's counters so far. */
    public DriverMetrics metrics() {
        return host.metrics();
    }

    /** The state machine's image and the index it was applied through (see {@link ReplicaHost#stateImage}). */
    public CompletableFuture<ReplicaHost.GroupImage> stateImage() {
        return host.stateImage(GROUP);
    }

    /** The transport's counters so far. */
    public TransportStats transportStats() {
        return host.transportStats();
    }

    /** The fatal error that stopped the driver, if one did. */
    public Optional<Throwable> failure() {
        return host.failure();
    }

    /** False once the driver stopped (closed or failed). */
    public boolean isRunning() {
        return host.isRunning();
    }

    /** Stops the driver (see {@link ReplicaHost#close()}). Idempotent. */
    @Override
    public void close() {
        host.close();
    }

    @Override
    public String toString() {
        return "ReplicaDriver[" + status() + "]";
    }
}
