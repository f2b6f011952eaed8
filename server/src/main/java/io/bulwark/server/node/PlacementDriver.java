package io.bulwark.server.node;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.ClientOptions;
import io.bulwark.client.ClusterAdmin;
import io.bulwark.client.protocol.Topology;
import io.bulwark.server.replication.ReplicaHost;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Failure detection and automatic re-placement. Runs on every node and acts only on the one that leads the
 * cluster's metadata group, which holds the {@link ClusterRecord} (so there is one driver at a time, and a new one
 * as soon as that group elects a new leader). Every {@code period} the driver:
 * Every node also watches the record: one whose copy of the definition differs from a stable record's (it was
 * down while a change was pushed to every node) takes the recorded one.
 * <ol>
 *   <li>writes the cluster's first record if it has none;</li>
 *   <li>resumes a move that stalled (its owner stopped recording progress for {@link #STALLED_NANOS}, or the
 *       owner was this node);</li>
 *   <li>otherwise asks every member for its status; a member that has not answered for {@code failureTimeout}
 *       (counted from when this driver took over, so a new driver gives everyone the whole timeout) is declared
 *       failed, and the driver moves the cluster to the definition without it — with {@link Rebalancer}, which
 *       claims the record first (one decision, even if two drivers overlap during a leadership change), then
 *       re-places the failed node's replicas on the nodes below their share ({@link ClusterSpec#withMembers}), one voter at a time, through each
 *       partition's own Paxos membership changes, while every partition keeps serving.</li>
 * </ol>
 * A failed node is only replaced when there are more members than the replication factor (otherwise there is
 * nowhere else to put its replicas; the partitions keep serving with one replica fewer until it comes back).
 * A node restarted after it was replaced is no longer a member: it says so and holds no voting replica; it can be
 * added again with {@code bulwark cluster join}.
 *
 * <p>Thread-safety: runs on its own thread; {@link #close()} from any thread.
 */
final class PlacementDriver extends NodeDaemon {

    private static final System.Logger LOG = System.getLogger(PlacementDriver.class.getName());
    /** A move whose record has not changed for this long has lost its owner (a step times out after 60 s). */
    static final long STALLED_NANOS = TimeUnit.SECONDS.toNanos(90);

    private final ReplicaHost host;
    private final Supplier<Set<Integer>> hosted;
    private final Supplier<ClusterSpec> spec;
    private final java.util.function.Consumer<ClusterSpec> adopt;
    private final long failureTimeoutNanos;
    private final io.micrometer.core.instrument.MeterRegistry registry;
    /** Member → when this driver last heard it (System.nanoTime). Cleared whenever this node stops driving. */
    private final TreeMap<Integer, Long> lastHeard = new TreeMap<>();
    private final TreeSet<Integer> reportedUnreplaceable = new TreeSet<>();
    private long seenVersion = -1;
    private long seenVersionSince;
    private volatile String state = "not driving";

    /**
     * @param failureTimeout how long a member may stay silent before it is replaced; zero never replaces
     */
    PlacementDriver(int nodeId, ReplicaHost host, Supplier<Set<Integer>> hosted, Supplier<ClusterSpec> spec,
                    Supplier<InetSocketAddress> self, java.util.function.Consumer<ClusterSpec> adopt,
                    Duration failureTimeout, Duration period, io.micrometer.core.instrument.MeterRegistry registry) {
        super(nodeId, "placement", () -> ClientOptions.of(List.of(self.get()))
                .withRequestTimeout(Duration.ofSeconds(5)).withAttemptTimeout(Duration.ofSeconds(1)));
        this.host = host;
        this.hosted = hosted;
        this.spec = spec;
        this.adopt = adopt;
        this.failureTimeoutNanos = failureTimeout.toNanos();
        this.registry = registry;
        every(period, this::tickSafely);
    }

    /** What the driver is doing, for the status endpoint. */
    String state() {
        return state;
    }

    private void tickSafely() {
        try {
            tick();
        } catch (Exception e) {
            if (!closed) {
                String now = "failed: " + e.getMessage();
                if (!now.equals(state)) {
                    LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": placement driver: " + e.getMessage());
                }
                state = now;
            }
        }
    }

    private String me() {
        return "node " + nodeId;
    }

    private void tick() throws Exception {
        ClusterSpec local = spec.get();
        int p = local.metadataGroup();
        boolean driving = hosted.get().contains(p) && isLeader(p);
        if (!driving) {
            lastHeard.clear();
            seenVersion = -1;
        }
        BulwarkClient c = client();
        ClusterRecord r = ClusterRecord.read(c);
        if (r != null && !isMember(r.to()) && !isMember(r.from())) {
            if (hosted.get().isEmpty()) {
                state = "joining: waiting to be given replicas";
                return;
            }
            if (!state.startsWith("removed")) {
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + " is no longer a member of the cluster (" + r
                        + "); its replicas are not counted. Add it again with 'bulwark cluster join'.");
            }
            state = "removed from the cluster: " + r;
            return;
        }
        if (r != null && r.supersedes(local)) {
            // Watching the record: a node that was down when a change was pushed to every node learns it here.
            LOG.log(System.Logger.Level.INFO, "node " + nodeId + ": taking the cluster's recorded definition: " + r);
            adopt.accept(r.to());
        }
        if (!driving) {
            state = "not driving (another node leads the metadata group, " + p + ", which holds the cluster record)";
            return;
        }
        if (r == null) {
            if (ClusterRecord.replace(c, null, ClusterRecord.first(local, me()))) {
                LOG.log(System.Logger.Level.INFO, "node " + nodeId + ": recorded the cluster's definition");
            }
            return;
        }
        long now = System.nanoTime();
        if (r.moving()) {
            if (r.version() != seenVersion) {
                seenVersion = r.version();
                seenVersionSince = now;
            }
            boolean mine = r.by().equals(me());
            if (!mine && now - seenVersionSince < STALLED_NANOS) {
                state = "waiting for a move in progress: " + r;
                return;
            }
            state = "resuming a move: " + r;
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": resuming a move that stopped: " + r);
            move(r.from(), r.to(), r.reason());
            return;
        }
        if (failureTimeoutNanos == 0) {
            state = "driving (automatic re-placement off)";
            return;
        }
        detectAndReplace(c, r.to(), now);
    }

    private void detectAndReplace(BulwarkClient c, ClusterSpec current, long now) throws Exception {
        new ClusterAdmin(c).knowMembers(current.members());
        Set<Integer> ids = new TreeSet<>();
        for (Topology.Member m : current.members()) {
            ids.add(m.id());
            if (m.id() == nodeId || answers(c, m.id())) {
                lastHeard.put(m.id(), now);
                reportedUnreplaceable.remove(m.id());
            } else {
                lastHeard.putIfAbsent(m.id(), now); // first sight: a new driver gives everyone the whole timeout
            }
        }
        lastHeard.keySet().retainAll(ids);
        int failed = -1;
        long longest = 0;
        for (var e : lastHeard.entrySet()) {
            long silent = now - e.getValue();
            if (silent >= failureTimeoutNanos && silent > longest) {
                failed = e.getKey();
                longest = silent;
            }
        }
        if (failed < 0) {
            state = "driving: every member answers";
            return;
        }
        String why = "node " + failed + " failed: no answer for " + TimeUnit.NANOSECONDS.toSeconds(longest) + " s";
        if (current.members().size() - 1 < current.replicationFactor()) {
            state = "driving: " + why + "; nowhere to move its replicas";
            if (reportedUnreplaceable.add(failed)) {
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": " + why + "; with " + current.members().size()
                        + " members and replication factor " + current.replicationFactor() + " there is no other node"
                        + " for its replicas: its partitions serve with one replica fewer until it is back");
            }
            return;
        }
        List<Topology.Member> members = new ArrayList<>(current.members());
        int gone = failed;
        members.removeIf(m -> m.id() == gone);
        ClusterSpec next = current.withMembers(members);
        LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": " + why + "; re-placing its replicas");
        state = "re-placing: " + why;
        move(current, next, why);
        registry.counter("bulwark.cluster.nodes.replaced").increment();
        lastHeard.remove(failed);
    }

    private void move(ClusterSpec from, ClusterSpec to, String why) throws Exception {
        Rebalancer.Result result = Rebalancer.apply(from, to, me(), why, null);
        state = "driving: moved " + result.partitionsMoved() + " partitions (" + why + ") in " + result.millis() + " ms";
        LOG.log(System.Logger.Level.INFO, "node " + nodeId + ": " + why + ": moved " + result.partitionsMoved()
                + " partitions, " + result.replicasAdded() + " replicas added, " + result.replicasRemoved()
                + " removed, in " + result.millis() + " ms");
        seenVersion = -1;
    }

    private boolean answers(BulwarkClient c, int node) {
        try {
            c.status(node);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private boolean isLeader(int partition) {
        try {
            return host.status(partition).isLeader();
        } catch (IllegalArgumentException removed) {
            return false;
        }
    }

    private boolean isMember(ClusterSpec s) {
        return s.members().stream().anyMatch(m -> m.id() == nodeId);
    }
}
