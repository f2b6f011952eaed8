package io.bulwark.server.replication;

import io.bulwark.paxos.Membership;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;

/**
 * A whole replica group in one process: {@code N} {@link ReplicaDriver}s with node ids {@code 1..N}, each on
 * its own data directory ({@code <baseDirectory>/replica-<id>}) and its own transport on a loopback port
 * chosen by the OS, wired to each other. For tests, benchmarks and demos; a real deployment runs one driver
 * per machine.
 *
 * <p>Replicas can be stopped and restarted on the same directory ({@link #stop}, {@link #restart}); a
 * restarted replica gets a new port and every other replica is told its new address.
 *
 * <p>Thread-safety: thread-safe; group changes ({@link #stop}, {@link #restart}, {@link #close}) are
 * serialized.
 */
public final class LocalGroup implements AutoCloseable {

    /** Most replicas a local group may have: enough for any realistic group, few enough for one machine. */
    public static final int MAX_REPLICAS = 9;

    private final Path baseDirectory;
    private final Membership membership;
    private final UnaryOperator<ReplicaDriverConfig> customize;
    private final Object monitor = new Object();
    /** Node id → running driver, or null while stopped. Guarded by {@link #monitor}. */
    private final TreeMap<Integer, ReplicaDriver> drivers = new TreeMap<>();
    private boolean closed;

    private LocalGroup(Path baseDirectory, Membership membership, UnaryOperator<ReplicaDriverConfig> customize) {
        this.baseDirectory = baseDirectory;
        this.membership = membership;
        this.customize = customize;
    }

    /** Starts {@code replicas} replicas with default configurations under {@code baseDirectory}. */
    public static LocalGroup start(Path baseDirectory, int replicas) throws IOException {
        return start(baseDirectory, replicas, UnaryOperator.identity());
    }

    /**
     * Starts {@code replicas} replicas under {@code baseDirectory}; {@code customize} adjusts each replica's
     * default configuration (tick, replica options, state machine, listeners). The group's own status
     * listener is chained after any that {@code customize} sets.
     *
     * @throws IllegalArgumentException if {@code replicas} is not in {@code [1, MAX_REPLICAS]}
     * @throws IOException              if a replica cannot start; the ones already started are closed
     */
    public static LocalGroup start(Path baseDirectory, int replicas, UnaryOperator<ReplicaDriverConfig> customize)
            throws IOException {
        Objects.requireNonNull(baseDirectory, "baseDirectory");
        Objects.requireNonNull(customize, "customize");
        if (replicas < 1 || replicas > MAX_REPLICAS) {
            throw new IllegalArgumentException("a local group has 1 to " + MAX_REPLICAS + " replicas, was " + replicas);
        }
        int[] ids = new int[replicas];
        for (int i = 0; i < replicas; i++) {
            ids[i] = i + 1;
        }
        LocalGroup group = new LocalGroup(baseDirectory, Membership.ofVoters(ids), customize);
        try {
            synchronized (group.monitor) {
                for (int id : ids) {
                    group.drivers.put(id, group.startDriver(id));
                }
                group.wireAll();
            }
        } catch (IOException | RuntimeException e) {
            group.close();
            throw e;
        }
        return group;
    }

    /** The group's membership. */
    public Membership membership() {
        return membership;
    }

    /** Where replica {@code id} keeps its data. */
    public Path dataDirectory(int id) {
        requireMember(id);
        return baseDirectory.resolve("replica-" + id);
    }

    /** The running driver of replica {@code id}, or null if it is stopped. */
    public ReplicaDriver driver(int id) {
        requireMember(id);
        synchronized (monitor) {
            return drivers.get(id);
        }
    }

    /** The running drivers, by node id. */
    public List<ReplicaDriver> drivers() {
        synchronized (monitor) {
            List<ReplicaDriver> running = new ArrayList<>();
            for (ReplicaDriver d : drivers.values()) {
                if (d != null) {
                    running.add(d);
                }
            }
            return running;
        }
    }

    /** The one running replica that currently leads, or null if none or (briefly) more than one claims to. */
    public ReplicaDriver currentLeader() {
        ReplicaDriver leader = null;
        for (ReplicaDriver d : drivers()) {
            if (d.status().isLeader()) {
                if (leader != null) {
                    return null;
                }
                leader = d;
            }
        }
        return leader;
    }

    /**
     * Waits until exactly one running replica leads and returns it.
     *
     * @throws TimeoutException if there is none within {@code timeout}; the message lists every replica's status
     */
    public ReplicaDriver awaitLeader(Duration timeout) throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (monitor) {
            while (true) {
                ReplicaDriver leader = currentLeader();
                if (leader != null) {
                    return leader;
                }
                long remainingMs = (deadline - System.nanoTime()) / 1_000_000;
                if (remainingMs <= 0) {
                    throw new TimeoutException("no single leader within " + timeout.toMillis() + " ms; replicas: "
                            + statuses());
                }
                // Woken by any replica's role change; the bound guards against a change missed while starting.
                monitor.wait(Math.min(remainingMs, 50));
            }
        }
    }

    /** Closes replica {@code id}'s driver (a clean stop: its port is released, its directory kept). */
    public void stop(int id) {
        requireMember(id);
        ReplicaDriver driver;
        synchronized (monitor) {
            driver = drivers.put(id, null);
        }
        if (driver != null) {
            driver.close();
        }
        signal();
    }

    /**
     * Starts replica {@code id} again on its directory (closing it first if it runs) and tells every replica
     * the new address.
     */
    public ReplicaDriver restart(int id) throws IOException {
        requireMember(id);
        stop(id);
        synchronized (monitor) {
            if (closed) {
                throw new IllegalStateException("the group is closed");
            }
            ReplicaDriver driver = startDriver(id);
            drivers.put(id, driver);
            wireAll();
            return driver;
        }
    }

    /** Closes every driver. Idempotent. */
    @Override
    public void close() {
        List<ReplicaDriver> running;
        synchronized (monitor) {
            closed = true;
            running = new ArrayList<>();
            for (Map.Entry<Integer, ReplicaDriver> e : drivers.entrySet()) {
                if (e.getValue() != null) {
                    running.add(e.getValue());
                    e.setValue(null);
                }
            }
        }
        for (ReplicaDriver d : running) {
            d.close();
        }
        signal();
    }

    private ReplicaDriver startDriver(int id) throws IOException {
        ReplicaDriverConfig config = customize.apply(ReplicaDriverConfig.of(id, membership, dataDirectory(id)));
        Runnable theirs = config.statusListener();
        return ReplicaDriver.start(config.withStatusListener(() -> {
            theirs.run();
            signal();
        }));
    }

    /** Tells every running replica where every other running one listens. Call with the monitor held. */
    private void wireAll() {
        Map<Integer, InetSocketAddress> addresses = new TreeMap<>();
        for (Map.Entry<Integer, ReplicaDriver> e : drivers.entrySet()) {
            if (e.getValue() != null) {
                addresses.put(e.getKey(), e.getValue().localAddress());
            }
        }
        for (ReplicaDriver d : drivers.values()) {
            if (d != null) {
                d.connectPeers(addresses);
            }
        }
    }

    private void signal() {
        synchronized (monitor) {
            monitor.notifyAll();
        }
    }

    private String statuses() {
        List<String> s = new ArrayList<>();
        for (Map.Entry<Integer, ReplicaDriver> e : drivers.entrySet()) {
            s.add(e.getValue() == null ? e.getKey() + ": stopped" : e.getValue().status().toString());
        }
        return String.join("; ", s);
    }

    private void requireMember(int id) {
        if (!membership.contains(id)) {
            throw new IllegalArgumentException("replica " + id + " is not in this group " + membership);
        }
    }
}
