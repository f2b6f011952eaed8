package io.bulwark.server.node;

import io.bulwark.client.protocol.NodeStatus;
import io.bulwark.client.protocol.Topology;
import io.bulwark.client.protocol.Wire;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.server.replication.DriverStatus;
import io.bulwark.server.replication.NotLeaderException;
import io.bulwark.server.replication.OverloadedException;
import io.bulwark.txn.PartitionStateMachine;
import io.bulwark.txn.TxnCommand;
import io.bulwark.server.replication.ReplicaDriverConfig;
import io.bulwark.server.replication.ReplicaHost;
import io.bulwark.server.replication.ReplicaStoppedException;
import io.bulwark.server.replication.StaleCommandException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A Bulwark node: one process hosting one replica of each partition the ring places on it, every
 * partition its own Paxos group, all run by one {@link ReplicaHost} (one event loop, one shared write-ahead
 * log under {@code <data>/replicas}, one peer transport carrying every group), and a client port that speaks {@link Wire}: writes are replicated by the partition's group, reads are
 * linearizable through its read index, values carry their CRC32C from the client to the disk and back.
 *
 * <p>Data directory: {@code NODE} (this node's id, so a directory is never started as another node),
 * {@code cluster.conf} (the cluster definition, so a restart needs only the directory), {@code LOCK}
 * (one process at a time), and {@code replicas/} (the shared log's segments and each partition's snapshots,
 * in {@code replicas/wal/}). Partitions snapshot their state as {@link NodeConfig#snapshots()} says, and the
 * log is compacted behind them, so disk use and restart time follow the state, not the history of writes.
 *
 * <p>Nodes join and leave through {@link Rebalancer}, which moves replicas with the admin requests of
 * {@link Wire}. Not yet: re-placing a dead node's replicas without an operator.
 *
 * <p>Thread-safety: thread-safe.
 */
public final class BulwarkNode implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BulwarkNode.class.getName());
    static final String NODE_FILE = "NODE";
    static final String LOCK_FILE = "LOCK";
    static final String REPLICAS_DIRECTORY = "replicas";

    /**
     * The driver's defaults with heartbeats every 10 ticks (100 ms) instead of 3: a node leads many groups,
     * and an idle group's heartbeats are most of an idle node's work. The election timeout stays 30-60 ticks
     * (300-600 ms), three to six heartbeats, which is what bounds the failover gap.
     */
    static final io.bulwark.paxos.ReplicaOptions REPLICA_OPTIONS = new io.bulwark.paxos.ReplicaOptions(30, 10, 4, 256,
            64 << 10, 64 << 10, 10_000, 64, false, 0.1);

    /** Log options for segments of {@code segmentBytes}: records may fill a segment, up to the default cap. */
    static io.bulwark.paxos.log.LogOptions logOptions(long segmentBytes) {
        long recordBytes = Math.min(io.bulwark.paxos.log.LogOptions.DEFAULT_MAX_RECORD_BYTES,
                segmentBytes - io.bulwark.paxos.log.LogOptions.FRAME_OVERHEAD_BYTES);
        return io.bulwark.paxos.log.LogOptions.defaults().withMaxRecordBytes((int) Math.max(1, recordBytes))
                .withMaxSegmentBytes(segmentBytes);
    }

    private final int nodeId;
    /** The cluster definition, replaced by {@link Wire#SET_DEFINITION} when nodes join or leave. */
    private volatile ClusterSpec spec;
    private volatile Topology baseTopology;
    private final Path specFile;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ReplicaHost host;
    private final java.util.Set<Integer> hosted = new java.util.concurrent.ConcurrentSkipListSet<>();
    private final ClientService clients;
    private final io.micrometer.prometheusmetrics.PrometheusMeterRegistry registry = AdminServer.registry();
    private final io.micrometer.core.instrument.Timer writeTimer;
    private final io.micrometer.core.instrument.Timer readTimer;
    private final io.micrometer.core.instrument.Counter requestErrors;
    private volatile AdminServer admin;
    private final TransactionSweeper sweeper;
    private final PlacementDriver placement;
    private final LeaderBalancer leaders;
    private final long startNanos = System.nanoTime();
    private volatile boolean closed;

    private BulwarkNode(NodeConfig config, ClusterSpec spec, FileChannel lockChannel, FileLock lock) throws IOException {
        this.nodeId = config.nodeId();
        this.spec = spec;
        this.baseTopology = spec.topology();
        this.specFile = config.dataDirectory().resolve(ClusterSpec.FILE_NAME);
        this.lockChannel = lockChannel;
        this.lock = lock;
        Topology.Member self = spec.member(nodeId);
        // The bootstrap groups of a node that creates the cluster; a joining node starts with none and is given
        // replicas by the rebalancer. A restart hosts exactly what its log holds, whatever this says.
        List<ReplicaHost.GroupSpec> groups = new ArrayList<>();
        int[] preferred = LeaderBalancer.preferredLeaders(baseTopology.replicas());
        for (int p = 0; p < baseTopology.groups() && !config.joining(); p++) { // the partitions and the metadata group
            int[] replicas = baseTopology.replicas()[p];
            if (contains(replicas, nodeId)) {
                groups.add(new ReplicaHost.GroupSpec(p, Membership.ofVoters(replicas), PartitionStateMachine::new,
                        preferred[p] == nodeId));
            }
        }
        ReplicaDriverConfig rc = ReplicaDriverConfig.of(nodeId, Membership.ofVoters(nodeId),
                        config.dataDirectory().resolve(REPLICAS_DIRECTORY))
                .withBindAddress(new InetSocketAddress(self.host(), self.peerPort()))
                .withReplicaOptions(REPLICA_OPTIONS)
                .withTickMs(config.tickMs())
                .withSnapshotPolicy(config.snapshots())
                .withLogOptions(logOptions(config.logSegmentBytes()));
        ReplicaHost h = ReplicaHost.start(rc, groups);
        this.host = h;
        hosted.addAll(h.groups());
        this.writeTimer = io.micrometer.core.instrument.Timer.builder("bulwark.client.writes")
                .description("client writes, from arrival to the answer").register(registry);
        this.readTimer = io.micrometer.core.instrument.Timer.builder("bulwark.client.reads")
                .description("linearizable client reads, from arrival to the answer").register(registry);
        this.requestErrors = io.micrometer.core.instrument.Counter.builder("bulwark.client.errors")
                .description("client requests answered with an error (redirects included)").register(registry);
        ClientService c = null;
        try {
            connectPeers(spec);
            c = new ClientService(nodeId, new InetSocketAddress(self.host(), self.clientPort()), this::handle);
        } catch (IOException | RuntimeException e) {
            h.close();
            throw e;
        }
        this.clients = c;
        this.sweeper = new TransactionSweeper(nodeId, h, () -> java.util.Set.copyOf(hostedPartitions()), this::clientAddress,
                java.time.Duration.ofSeconds(1), registry);
        this.placement = new PlacementDriver(nodeId, h, () -> java.util.Set.copyOf(hosted), () -> this.spec,
                this::clientAddress, this::adoptDefinition, config.failureTimeout(), java.time.Duration.ofSeconds(1),
                registry);
        this.leaders = new LeaderBalancer(nodeId, h, () -> this.spec, this::clientAddress,
                LEADER_BALANCE_PERIOD, LEADER_BALANCE_RETRY, registry);
    }

    /** How often the leader balancer looks, and how long it leaves a group alone after asking. */
    static final java.time.Duration LEADER_BALANCE_PERIOD = java.time.Duration.ofSeconds(2);
    static final java.time.Duration LEADER_BALANCE_RETRY = java.time.Duration.ofSeconds(10);

    private void connectPeers(ClusterSpec definition) {
        Map<Integer, InetSocketAddress> peers = new TreeMap<>();
        for (Topology.Member m : definition.members()) {
            peers.put(m.id(), m.peerAddress());
        }
        host.connectPeers(peers);
    }

    /**
     * Starts a node on its data directory: checks (or records) its identity and the cluster definition,
     * recovers every hosted partition's log, and opens its peer and client ports.
     *
     * @throws IOException if the directory belongs to another node or cluster, is in use, is damaged, or a
     *                     port cannot be bound
     */
    public static BulwarkNode start(NodeConfig config) throws IOException {
        Path dir = config.dataDirectory();
        Files.createDirectories(dir);
        FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = null;
        try {
            try {
                lock = lockChannel.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                throw new IOException("data directory " + dir + " is in use by another node in this JVM");
            }
            if (lock == null) {
                throw new IOException("data directory " + dir + " is in use by another process");
            }
            ClusterSpec spec = checkIdentity(config);
            BulwarkNode node = new BulwarkNode(config, spec, lockChannel, lock);
            if (config.adminAddress() != null) {
                try {
                    AdminServer.bind(node, node.registry);
                    node.admin = new AdminServer(node, config.adminAddress(), node.registry);
                } catch (IOException | RuntimeException e) {
                    node.close();
                    throw new IOException("node " + config.nodeId() + " cannot serve its admin endpoint on "
                            + config.adminAddress() + ": " + e.getMessage(), e);
                }
            }
            LOG.log(System.Logger.Level.INFO, "node " + config.nodeId() + " started on " + dir + ": "
                    + node.hostedPartitions().size() + " of " + spec.partitions() + " partitions"
                    + (node.hostsMetadataGroup() ? " and the metadata group" : "") + ", clients at "
                    + node.clientAddress() + ", peers at " + node.host.localAddress());
            return node;
        } catch (IOException | RuntimeException e) {
            if (lock != null) {
                lock.release();
            }
            lockChannel.close();
            throw e;
        }
    }

    private static ClusterSpec checkIdentity(NodeConfig config) throws IOException {
        Path dir = config.dataDirectory();
        Path nodeFile = dir.resolve(NODE_FILE);
        Path specFile = dir.resolve(ClusterSpec.FILE_NAME);
        if (Files.exists(nodeFile)) {
            String recorded = Files.readString(nodeFile, StandardCharsets.UTF_8).strip();
            if (!recorded.equals(Integer.toString(config.nodeId()))) {
                throw new IOException("data directory " + dir + " belongs to node " + recorded + ", not node "
                        + config.nodeId());
            }
        }
        ClusterSpec spec = config.spec();
        if (Files.exists(specFile)) {
            ClusterSpec recorded = ClusterSpec.read(specFile);
            if (spec != null && (spec.partitions() != recorded.partitions()
                    || spec.replicationFactor() != recorded.replicationFactor())) {
                throw new IOException("data directory " + dir + " was created for a different cluster definition ("
                        + specFile + ": " + recorded.partitions() + " partitions x " + recorded.replicationFactor()
                        + "); start it without one or with the same one");
            }
            // The recorded definition is the node's latest (joins and leaves replace it); it wins on a restart.
            spec = recorded;
        } else if (spec == null) {
            throw new IOException("data directory " + dir + " has no " + ClusterSpec.FILE_NAME
                    + ": give the cluster definition for a node's first start");
        }
        if (!config.joining() || Files.exists(specFile)) {
            spec.member(config.nodeId());
        }
        if (!Files.exists(specFile)) {
            spec.write(specFile);
        }
        if (!Files.exists(nodeFile)) {
            io.bulwark.core.storage.LocalFileStore.open(dir).writeAtomically(NODE_FILE,
                    (config.nodeId() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return spec;
    }

    private static boolean contains(int[] ids, int id) {
        for (int i : ids) {
            if (i == id) {
                return true;
            }
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------------------

    public int nodeId() {
        return nodeId;
    }

    /** What this node's placement driver is doing (failure detection and re-placement), in words. */
    public String placementState() {
        return placement.state();
    }

    public ClusterSpec spec() {
        return spec;
    }

    public InetSocketAddress clientAddress() {
        try {
            return clients.localAddress();
        } catch (IOException e) {
            throw new IllegalStateException("node " + nodeId + " is closed", e);
        }
    }

    /** Where the admin HTTP endpoint listens, or null if it has none. */
    public InetSocketAddress adminAddress() {
        AdminServer a = admin;
        return a == null ? null : a.address();
    }

    int clientConnections() {
        return clients.connectionCount();
    }

    /** The partitions this node hosts a replica of (not the metadata group: see {@link #hostsMetadataGroup()}). */
    public List<Integer> hostedPartitions() {
        int metadata = spec.metadataGroup();
        return hosted.stream().filter(p -> p != metadata).toList();
    }

    /** Whether this node hosts a replica of the cluster's metadata group. */
    public boolean hostsMetadataGroup() {
        return hosted.contains(spec.metadataGroup());
    }

    /** The replicas of every hosted partition (tests and the admin endpoint). */
    public ReplicaHost replicas() {
        return host;
    }

    /** The routing table with this node's leader hints. */
    public Topology topology() {
        Topology t = baseTopology;
        int[] hints = new int[t.groups()];
        java.util.Arrays.fill(hints, -1);
        int[][] replicas = t.replicas().clone();
        for (int p : hosted) {
            DriverStatus s;
            try {
                s = host.status(p);
            } catch (IllegalArgumentException removedMeanwhile) {
                continue;
            }
            hints[p] = s.isLeader() ? nodeId : s.leaderHint();
            // What the group's log says beats what the placement says: during a move they differ.
            int[] voters = s.membership().voters().stream().mapToInt(Integer::intValue).toArray();
            int[] planned = replicas[p].clone();
            java.util.Arrays.sort(planned);
            if (voters.length > 0 && !java.util.Arrays.equals(voters, planned)) {
                replicas[p] = voters; // mid-move; otherwise keep the ring's order, primary first
            }
        }
        return new Topology(t.partitions(), t.replicationFactor(), t.members(), replicas, hints);
    }

    /** This node's view of its replicas. */
    public NodeStatus status() {
        List<NodeStatus.Replica> list = new ArrayList<>();
        for (int p : hosted) {
            DriverStatus s;
            try {
                s = host.status(p);
            } catch (IllegalArgumentException removedMeanwhile) {
                continue;
            }
            list.add(new NodeStatus.Replica(p, s.running() ? s.role().name() : "STOPPED",
                    s.isLeader() ? nodeId : s.leaderHint(), s.chosenIndex(), s.appliedIndex(),
                    List.copyOf(s.membership().voters()), List.copyOf(s.membership().learners())));
        }
        return new NodeStatus(nodeId, (System.nanoTime() - startNanos) / 1_000_000, list);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Client requests.

    private void handle(Wire.Request request, ClientService.Responder responder) {
        long id = request.id();
        switch (request.type()) {
            case Wire.TOPOLOGY -> responder.respond(Wire.okResponse(id, topology().encode()));
            case Wire.STATUS -> responder.respond(Wire.okResponse(id, status().encode()));
            case Wire.WRITE, Wire.READ -> handleKv(request, responder);
            case Wire.ADD_REPLICA, Wire.PROPOSE_MEMBERSHIP, Wire.REMOVE_REPLICA, Wire.SET_DEFINITION ->
                    handleAdmin(request, responder);
            default -> responder.respond(Wire.errorResponse(id, Wire.BAD_REQUEST, -1, "unknown request type"));
        }
    }

    private void handleKv(Wire.Request request, ClientService.Responder responder) {
        long id = request.id();
        int p = request.partition();
        if (p < 0 || p > spec.metadataGroup()) {
            responder.respond(Wire.errorResponse(id, Wire.BAD_REQUEST, -1, "partition " + p + " outside [0, "
                    + spec.partitions() + ") (or the metadata group, " + spec.metadataGroup() + ")"));
            return;
        }
        if (!hosted.contains(p) || closed) {
            responder.respond(Wire.errorResponse(id, Wire.NOT_HOSTED, -1, "node " + nodeId
                    + " holds no replica of partition " + p + "; refresh the topology"));
            return;
        }
        boolean isQuery;
        String misplaced;
        try {
            if (TxnCommand.isTxnCommand(request.command())) {
                TxnCommand command = TxnCommand.decode(request.command());
                isQuery = command instanceof TxnCommand.Read || command instanceof TxnCommand.Status
                        || command instanceof TxnCommand.Overdue;
                misplaced = misplacedKey(command, p);
            } else {
                KvCommand command = KvCommand.decode(request.command());
                isQuery = command instanceof KvCommand.Get || command instanceof KvCommand.Scan;
                misplaced = command instanceof KvCommand.Scan ? null : misplacedKey(command.key(), p);
            }
        } catch (IllegalArgumentException e) {
            responder.respond(Wire.errorResponse(id, Wire.BAD_REQUEST, -1, e.getMessage()));
            return;
        }
        if (misplaced != null) {
            responder.respond(Wire.errorResponse(id, Wire.BAD_REQUEST, -1, misplaced));
            return;
        }
        if (request.type() == Wire.READ && !isQuery) {
            responder.respond(Wire.errorResponse(id, Wire.BAD_REQUEST, -1,
                    "only gets, scans, transactional reads and status queries are reads"));
            return;
        }
        CompletableFuture<byte[]> future;
        try {
            future = request.type() == Wire.READ ? host.read(p, request.command())
                    : host.submit(p, request.clientId(), request.sequence(), request.command());
        } catch (IllegalArgumentException e) {
            responder.respond(Wire.errorResponse(id, Wire.BAD_REQUEST, -1, e.getMessage()));
            return;
        }
        long start = System.nanoTime();
        io.micrometer.core.instrument.Timer timer = request.type() == Wire.READ ? readTimer : writeTimer;
        future.whenComplete((result, error) -> {
            timer.record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            if (error != null) {
                requestErrors.increment();
            }
            responder.respond(error == null ? Wire.okResponse(id, result) : errorFor(id, error));
        });
    }

    /** Why {@code key} may not be sent to partition {@code p}, or null if it belongs there. */
    private String misplacedKey(byte[] key, int p) {
        if (p == spec.metadataGroup()) {
            return io.bulwark.client.BulwarkClient.isReserved(key) ? null
                    : "only the cluster's reserved keys live in the metadata group";
        }
        int owner = Topology.partitionOf(key, spec.partitions());
        return owner == p ? null : "the key belongs to partition " + owner + ", not " + p;
    }

    private String misplacedKey(TxnCommand command, int p) {
        if (p == spec.metadataGroup()) {
            return "transactions do not run in the metadata group";
        }
        if (command instanceof TxnCommand.Read r) {
            return misplacedKey(r.key(), p);
        }
        if (command instanceof TxnCommand.Prepare prepare) {
            for (TxnCommand.ReadCheck r : prepare.reads()) {
                String why = misplacedKey(r.key(), p);
                if (why != null) {
                    return why;
                }
            }
            for (TxnCommand.Write w : prepare.writes()) {
                String why = misplacedKey(w.key(), p);
                if (why != null) {
                    return why;
                }
            }
        }
        return null;
    }

    private void handleAdmin(Wire.Request request, ClientService.Responder responder) {
        long id = request.id();
        int p = request.partition();
        try {
            switch (request.type()) {
                case Wire.SET_DEFINITION -> {
                    ClusterSpec next = ClusterSpec.parse(new String(request.command(), java.nio.charset.StandardCharsets.UTF_8));
                    setDefinition(next);
                    responder.respond(Wire.okResponse(id, new byte[0]));
                }
                case Wire.ADD_REPLICA -> {
                    checkPartition(p);
                    Membership m = io.bulwark.paxos.Codec.decodeMembership(request.command());
                    if (hosted.contains(p)) {
                        responder.respond(Wire.okResponse(id, new byte[0])); // already here: idempotent
                        return;
                    }
                    host.addGroup(new ReplicaHost.GroupSpec(p, m, PartitionStateMachine::new, false), request.clientId())
                            .whenComplete((v, e) -> {
                                if (e == null) {
                                    hosted.add(p);
                                    responder.respond(Wire.okResponse(id, new byte[0]));
                                } else {
                                    responder.respond(errorFor(id, e));
                                }
                            });
                }
                case Wire.PROPOSE_MEMBERSHIP -> {
                    checkPartition(p);
                    if (!hosted.contains(p)) {
                        responder.respond(Wire.errorResponse(id, Wire.NOT_HOSTED, -1, "node " + nodeId
                                + " holds no replica of partition " + p));
                        return;
                    }
                    int node = (int) request.clientId();
                    long incarnation = request.sequence();
                    byte change = request.command().length == 1 ? request.command()[0] : 0;
                    java.util.function.UnaryOperator<Membership> op;
                    if (change == Wire.ADD_LEARNER) {
                        op = m -> m.contains(node) ? m : m.withLearner(node, incarnation);
                    } else if (change == Wire.REMOVE_MEMBER) {
                        op = m -> m.contains(node) ? m.without(node) : m;
                    } else {
                        throw new IllegalArgumentException("unknown membership change " + change);
                    }
                    host.proposeMembership(p, op).whenComplete((r, e) -> {
                        if (e != null) {
                            responder.respond(errorFor(id, e));
                            return;
                        }
                        byte[] proposed = r.proposed() == null ? new byte[0] : io.bulwark.paxos.Codec.encode(r.proposed());
                        responder.respond(Wire.okResponse(id, java.nio.ByteBuffer.allocate(1 + proposed.length)
                                .put((byte) r.result().ordinal()).put(proposed).array()));
                    });
                }
                case Wire.REMOVE_REPLICA -> {
                    checkPartition(p);
                    if (!hosted.remove(p)) {
                        responder.respond(Wire.okResponse(id, new byte[0])); // already gone: idempotent
                        return;
                    }
                    host.removeGroup(p).whenComplete((v, e) -> responder.respond(e == null
                            ? Wire.okResponse(id, new byte[0]) : errorFor(id, e)));
                }
                default -> responder.respond(Wire.errorResponse(id, Wire.BAD_REQUEST, -1, "unknown admin request"));
            }
        } catch (IllegalArgumentException | IOException e) {
            responder.respond(Wire.errorResponse(id, Wire.BAD_REQUEST, -1, String.valueOf(e.getMessage())));
        }
    }

    private void checkPartition(int p) {
        if (p < 0 || p > spec.metadataGroup()) {
            throw new IllegalArgumentException("partition " + p + " outside [0, " + spec.partitions()
                    + ") (or the metadata group, " + spec.metadataGroup() + ")");
        }
    }

    /**
     * Replaces the cluster definition (a node joined or left): recorded in the data directory first, then
     * used for routing answers and peer addresses. The partitions and replication factor never change.
     */
    private synchronized void setDefinition(ClusterSpec next) throws IOException {
        if (next.partitions() != spec.partitions() || next.replicationFactor() != spec.replicationFactor()) {
            throw new IllegalArgumentException("a cluster's partitions and replication factor are fixed ("
                    + spec.partitions() + " x " + spec.replicationFactor() + ")");
        }
        next.write(specFile);
        spec = next;
        baseTopology = next.topology();
        connectPeers(next);
        LOG.log(System.Logger.Level.INFO, "node " + nodeId + ": cluster definition now has members "
                + next.members().stream().map(Topology.Member::id).toList());
    }

    private void adoptDefinition(ClusterSpec next) {
        try {
            setDefinition(next);
        } catch (IOException | RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": could not take the recorded definition: " + e);
        }
    }

    private static byte[] errorFor(long id, Throwable error) {
        Throwable e = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (e instanceof NotLeaderException nl) {
            return Wire.errorResponse(id, Wire.NOT_LEADER, nl.leaderHint(), e.getMessage());
        }
        if (e instanceof OverloadedException) {
            return Wire.errorResponse(id, Wire.OVERLOADED, -1, e.getMessage());
        }
        if (e instanceof StaleCommandException) {
            return Wire.errorResponse(id, Wire.STALE, -1, e.getMessage());
        }
        if (e instanceof IllegalArgumentException) {
            return Wire.errorResponse(id, Wire.BAD_REQUEST, -1, e.getMessage());
        }
        if (e instanceof ReplicaStoppedException) {
            return Wire.errorResponse(id, Wire.UNAVAILABLE, -1, e.getMessage());
        }
        return Wire.errorResponse(id, Wire.UNAVAILABLE, -1, String.valueOf(e));
    }

    /** Stops serving clients, stops every replica (their logs stay on disk) and the transport. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (admin != null) {
            admin.close();
        }
        sweeper.close();
        leaders.close();
        placement.close();
        clients.close();
        host.close();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": releasing the directory lock failed: " + e);
        }
        LOG.log(System.Logger.Level.INFO, "node " + nodeId + " stopped");
    }
}
