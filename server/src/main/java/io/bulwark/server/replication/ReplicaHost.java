package io.bulwark.server.replication;

import io.bulwark.core.RandomSource;
import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LocalFileStore;
import io.bulwark.paxos.Command;
import io.bulwark.paxos.Entry;
import io.bulwark.paxos.ExactlyOnceStateMachine;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Message;
import io.bulwark.paxos.ProposeResult;
import io.bulwark.paxos.ReadState;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.Replica;
import io.bulwark.paxos.Role;
import io.bulwark.paxos.SnapshotMeta;
import io.bulwark.paxos.StateMachine;
import io.bulwark.paxos.Value;
import io.bulwark.paxos.log.StoredSnapshot;
import io.bulwark.paxos.storage.SharedLog;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Runs one node's replicas of many Paxos groups (one per partition) for real, on one event loop, one shared
 * write-ahead log ({@link SharedLog}) and one peer transport whose connections carry every group.
 *
 * <h2>Why one loop and one log for all groups</h2>
 * A thread pair and a log per group cost a node 2 threads, one fsync stream and a set of timers per
 * partition: on a 2-core machine with three nodes of 16 partitions that is ~100 runnable threads, event loops
 * starved long enough to miss heartbeats (leaders deposed under load), and 16 fsyncs where one would do. Here
 * a node has one loop thread that steps every group, one sync thread that writes every group's Readies and
 * covers them all with one fsync (group commit across partitions), and per-peer transport writers that put
 * every group's messages to that peer in one write.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li><b>Event loop</b>: the only thread that touches the replicas and state machines. It takes inputs from
 *       one queue — peer messages, client commands and reads, sync completions — ticks every group every
 *       {@code tickMs} (missed ticks are skipped, not replayed), and after each batch of inputs processes the
 *       Readies of the groups those inputs touched, in the order the {@link Ready} contract prescribes.</li>
 *   <li><b>Sync thread</b> ({@link GroupCommitter}): owns the log. Whenever idle it takes every Ready staged
 *       since the last hand-over, writes them and fsyncs once. Completions come back to the loop, which then
 *       sends each group's {@code sendAfterSync} messages and reports {@link Replica#persisted}, per group in
 *       Ready order.</li>
 *   <li><b>Snapshot thread</b> ({@link SnapshotWorker}): owns the groups' snapshot files; saves, sends and
 *       receives snapshots (see below).</li>
 *   <li>The transport's reader and writer threads, which only decode/encode and hand messages over.</li>
 * </ul>
 *
 * <h2>Client API</h2>
 * {@link #submit} replicates a command in a group and completes with the state machine's result once this
 * replica has applied it; only the group's leader accepts commands. {@link #read} is a linearizable query
 * through the group's read index. Failures complete the future with a {@link ReplicationException}
 * ({@link NotLeaderException}, {@link OverloadedException}, {@link ReplicaStoppedException},
 * {@link StaleCommandException}) or an {@link IllegalArgumentException} for a rejected command. Futures
 * complete on the event-loop thread: dependent actions must be short and non-blocking.
 *
 * <h2>Snapshots and compaction</h2>
 * When a group has applied {@link SnapshotPolicy#everySlots()} slots (or {@link SnapshotPolicy#everyBytes()}
 * bytes of commands) since its last snapshot, the loop takes the image of its exactly-once state machine
 * between two inputs, and a <b>snapshot thread</b> ({@link SnapshotWorker}) saves it in the group's snapshot
 * store beside the log (temp file, fsync, rename, directory fsync; CRC32C over the file), so a large state
 * never stalls the loop or the other groups' commits. Once it is durable the loop stages a checkpoint of the
 * group into the log with the next group commit, and tells the replica it may drop its entries up to the
 * snapshot before this one (one snapshot behind, so that a follower missing a few entries just before a
 * snapshot gets entries, not a whole snapshot). After each group commit the sync thread deletes the log
 * segments every live group has checkpointed past ({@link SharedLog}); if the log still exceeds
 * {@link SnapshotPolicy#maxLogBytes()}, the groups that keep its oldest segment snapshot early. A group whose
 * state is small (at most 1/{@value #CHEAP_CHECKPOINT_FRACTION} of a segment) snapshots early as soon as it keeps
 * an old segment (more than two in all): a quiet group such as the cluster's metadata group would otherwise pin
 * every segment written since its last write until the bound. A restart
 * starts each group from its newest usable snapshot and replays only its records above it.
 *
 * <p>A follower (or a new learner) behind the leader's compacted log receives the leader's snapshot in chunks
 * of {@link SnapshotPolicy#chunkBytes()}: the snapshot thread reads them on the leader, and on the follower
 * writes them, verifies the whole snapshot's CRC32C, installs it durably (fsync, rename) and the loop restores
 * the state machine from it (the KV state machine checks every value's CRC32C again) before applying the
 * entries after it. An interrupted transfer resumes where it stopped, also across a restart.
 *
 * <h2>Failures</h2>
 * A failed write or fsync — of the log, a snapshot, or a received snapshot chunk — is fatal and never retried:
 * the host stops every group, fails every pending request with a {@link ReplicaStoppedException} carrying the
 * cause, and closes its transport. Restarting on the same directory recovers every group from what was
 * durable.
 *
 * <h2>Not yet</h2>
 * Lease reads are refused. Snapshots are built, saved and installed whole in memory. Groups are added and
 * removed at run time ({@link #addGroup}, {@link #removeGroup}) as replicas move between nodes.
 *
 * <p>Thread-safety: every public method is thread-safe.
 */
public final class ReplicaHost implements AutoCloseable {

    /** A group whose state is at most a segment's size divided by this is cheap to checkpoint early. */
    static final int CHEAP_CHECKPOINT_FRACTION = 16;

    private static final System.Logger LOG = System.getLogger(ReplicaHost.class.getName());
    private static final int MAX_EVENTS_PER_TURN = 4_096;
    private static final long IDLE_MARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** Subdirectory of the data directory holding the shared log. */
    static final String LOG_DIRECTORY = "wal";
    /** Where the per-group logs of earlier versions lived; refused rather than silently ignored. */
    static final String OLD_LOG_DIRECTORY = "paxos";
    static final String LOCK_FILE = "LOCK";

    /**
     * One group this host runs a replica of. {@code preferredLeader}: this replica should lead the group when
     * all are healthy (a node hosting many groups spreads leadership, and with it the leader's work, by
     * preferring each group's primary); it starts its first election timer one timeout ahead, nothing more.
     */
    public record GroupSpec(int group, Membership membership, Supplier<StateMachine> stateMachine,
                            boolean preferredLeader) {
        public GroupSpec(int group, Membership membership, Supplier<StateMachine> stateMachine) {
            this(group, membership, stateMachine, false);
        }

        public GroupSpec {
            Objects.requireNonNull(membership, "membership");
            Objects.requireNonNull(stateMachine, "stateMachine");
            if (group < 0) {
                throw new IllegalArgumentException("group ids must not be negative, was " + group);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inputs of the event loop.

    private sealed interface Event permits Inbound, Submit, Read, DiskDone, Stop, AddGroup, GroupOpened, RemoveGroup,
            Reconfigure, SnapshotSaved, ChunkReceived, StateImage, Transfer {
    }

    private record Transfer(int group, int successor, CompletableFuture<Boolean> future) implements Event {
    }

    private record SnapshotSaved(SnapshotWorker.Saved saved) implements Event {
    }

    private record ChunkReceived(SnapshotWorker.Received received) implements Event {
    }

    private record StateImage(int group, CompletableFuture<GroupImage> future) implements Event {
    }

    /** A group's state machine image (sessions and state) at {@code appliedIndex}, see {@link #stateImage}. */
    public record GroupImage(long appliedIndex, byte[] image) {
    }

    private record AddGroup(GroupSpec spec, long incarnation, CompletableFuture<Void> future) implements Event {
    }

    private record GroupOpened(GroupSpec spec, SharedLog.Group view, Throwable error, CompletableFuture<Void> future)
            implements Event {
    }

    private record RemoveGroup(int group, CompletableFuture<Void> future) implements Event {
    }

    private record Reconfigure(int group, java.util.function.UnaryOperator<Membership> change,
                               CompletableFuture<Proposal> future) implements Event {
    }

    /** What {@link #proposeMembership} did: the result and, if {@code QUEUED}, the membership proposed. */
    public record Proposal(ProposeResult result, Membership proposed) {
    }

    private record Inbound(int group, Message message) implements Event {
    }

    private record Submit(int group, Command command, CompletableFuture<byte[]> future) implements Event {
    }

    private record Read(int group, byte[] query, CompletableFuture<byte[]> future) implements Event {
    }

    private record DiskDone(GroupCommitter.Completion completion) implements Event {
    }

    private record Stop() implements Event {
    }

    private record ClientKey(long clientId, long sequence) {
    }

    private record PendingRead(byte[] query, CompletableFuture<byte[]> future) {
    }

    // ---------------------------------------------------------------------------------------------------------
    // Shared state.

    private final ReplicaDriverConfig config;
    private final int nodeId;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final CountingFileStore store;
    private final LinkedBlockingQueue<Event> inbox = new LinkedBlockingQueue<>();
    private final AtomicInteger queuedMessages = new AtomicInteger();
    private final AtomicInteger outstandingRequests = new AtomicInteger();
    private final Thread loopThread;
    /** Read by transport threads (routing) and callers; changed only by the loop (and the constructor). */
    private final java.util.concurrent.ConcurrentSkipListMap<Integer, GroupState> groups =
            new java.util.concurrent.ConcurrentSkipListMap<>();
    private PeerTransport transport;
    private volatile boolean running = true;
    private volatile boolean stopRequested;
    /** No group is ticked until the peers are known (see {@link #connectPeers}); a lone member never waits. */
    private volatile boolean peersKnown;
    private volatile Throwable failure;
    private final ReentrantLock statusLock = new ReentrantLock();
    private final Condition statusChanged = statusLock.newCondition();
    private final AtomicInteger statusWaiters = new AtomicInteger();

    private volatile long groupCommits;
    private volatile long readiesSynced;
    private volatile long slotsApplied;
    private volatile long commandsApplied;
    private volatile long commandsProposed;
    private volatile long syncNanosTotal;
    private volatile long snapshotsTaken;
    private volatile long snapshotsInstalled;
    private volatile long segmentsDeleted;
    private final AtomicInteger messagesDropped = new AtomicInteger();
    private final AtomicInteger messagesUnroutable = new AtomicInteger();

    // ---------------------------------------------------------------------------------------------------------
    // Event-loop state.

    private final GroupCommitter committer;
    /** Set in {@link #start} once the transport exists; the loop starts only after. */
    private SnapshotWorker snapshotter;
    /** Readies whose durable part has not been handed to the sync thread yet, in order. */
    private final List<GroupCommitter.Staged> staged = new ArrayList<>();
    private boolean stagedNeedsSync;
    private boolean diskBusy;
    private boolean writtenSinceMark;
    /**
     * Whether a sync has covered the log since start: until then the creation records of the bootstrap groups
     * may not be durable, and a snapshot must never outlive the record saying whose it is.
     */
    private boolean logSyncedOnce;
    private long lastDiskActivityNanos;
    /** Groups touched by inputs since their Readies were last processed. */
    private final Set<GroupState> dirty = new LinkedHashSet<>();
    /** Groups processed in this turn: only their status can have changed. */
    private final List<GroupState> touched = new ArrayList<>();

    /** One group's replica and its bookkeeping; touched by the loop thread only (status: published). */
    private final class GroupState {
        final int id;
        final Replica replica;
        final ExactlyOnceStateMachine machine;
        final SharedLog.Group log;
        final boolean soleMember;
        final boolean preferredLeader;
        boolean headStartGiven;
        final Map<ClientKey, CompletableFuture<byte[]>> pendingCommands = new HashMap<>();
        final Map<Long, PendingRead> pendingReads = new HashMap<>();
        final TreeMap<Long, List<PendingRead>> readsAwaitingApply = new TreeMap<>();
        final ArrayDeque<Ready> awaitingSync = new ArrayDeque<>();
        long chosenIndexStaged;
        long lastSyncedReadyId;
        long appliedIndex;
        long nextReadId;
        boolean wasLeader;
        /** Index of the newest durable snapshot of the group (own or installed); 0 if none. */
        long lastSnapshotIndex;
        /** Bytes of commands applied since the last snapshot was taken. */
        long bytesSinceSnapshot;
        /** Size of the last snapshot image taken or restored: the byte threshold never goes below it. */
        long lastSnapshotBytes;
        long snapshotsTaken;
        long snapshotsInstalled;
        /** A snapshot is being saved by the snapshot thread. */
        boolean snapshotInFlight;
        /** A checkpoint was staged and is not yet synced. */
        boolean checkpointInFlight;
        /** This group keeps the log's oldest segment and the log is above its bound, or the group is cheap to checkpoint. */
        boolean checkpointRequested;
        /** A received chunk is with the snapshot thread; later chunks are dropped until it is done. */
        boolean chunkInFlight;
        /**
         * The newest snapshot this replica saved itself, which its Replica has not been told of yet: the Replica
         * compacts its memory one snapshot behind the newest, so that a follower that misses a few entries just
         * before a snapshot still gets them as entries rather than as a whole snapshot.
         */
        SnapshotMeta newestUncompacted;
        /** The snapshot the next {@code restoreSnapshot} of a Ready restores from (recovered or installed). */
        StoredSnapshot pendingRestore;
        /** Whether {@link #pendingRestore} was installed from a leader (then the log records a checkpoint). */
        boolean pendingRestoreInstalled;
        volatile DriverStatus status;

        GroupState(GroupSpec spec, SharedLog.Group log, long seed) {
            this.id = spec.group();
            this.log = log;
            // A group created here at run time (a replica added to an existing group) recorded the membership it
            // started with; it wins over the caller's guess until the log itself says otherwise.
            Membership initial = log.initialMembership() != null ? log.initialMembership() : spec.membership();
            if (!initial.contains(nodeId)) {
                throw new IllegalArgumentException("node " + nodeId + " is not a member of group " + spec.group()
                        + " (" + initial + ")");
            }
            this.replica = Replica.start(nodeId, config.replicaOptions(), RandomSource.seeded(seed), initial,
                    log.recovered());
            this.machine = new ExactlyOnceStateMachine(spec.stateMachine().get(), config.maxSessions());
            this.soleMember = initial.all().equals(Set.of(nodeId));
            this.preferredLeader = spec.preferredLeader();
            this.pendingRestore = log.recoveredSnapshot();
            this.lastSnapshotIndex = pendingRestore == null ? 0 : pendingRestore.index();
            this.status = new DriverStatus(nodeId, true, replica.role(), hint(), replica.chosenIndex(), 0,
                    replica.membership(), lastSnapshotIndex, 0, 0);
        }

        int hint() {
            int h = replica.leaderHint();
            return h == Replica.NO_NODE ? NotLeaderException.UNKNOWN_LEADER : h;
        }
    }

    private ReplicaHost(ReplicaDriverConfig config, FileChannel lockChannel, FileLock lock, CountingFileStore store,
                        SharedLog log, List<GroupSpec> specs) throws IOException {
        this.config = config;
        this.nodeId = config.nodeId();
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.store = store;
        Map<Integer, GroupSpec> byId = new TreeMap<>();
        for (GroupSpec spec : specs) {
            if (byId.put(spec.group(), spec) != null) {
                throw new IllegalArgumentException("group " + spec.group() + " is listed twice");
            }
        }
        if (log.wasEmpty()) {
            // A new node: the bootstrap groups, each recorded with its initial membership.
            for (GroupSpec spec : specs) {
                SharedLog.Group g = log.group(spec.group(), Membership.BOOTSTRAP_INCARNATION, spec.membership());
                groups.put(spec.group(), new GroupState(spec, g, config.randomSeed() * 1_000_003L + spec.group()));
            }
        } else {
            // A restart: exactly the groups the log holds (groups added or removed at run time included).
            for (int id : log.recoveredGroups()) {
                GroupSpec spec = byId.get(id);
                Membership recorded = log.recordedMembership(id);
                if (spec == null && recorded == null) {
                    throw new CorruptGroupException("node " + nodeId + ": the log holds group " + id
                            + " but neither records its membership nor was it given one");
                }
                GroupSpec effective = new GroupSpec(id, recorded != null ? recorded : spec.membership(),
                        spec != null ? spec.stateMachine() : config.stateMachineFactory(),
                        spec != null && spec.preferredLeader());
                SharedLog.Group g = log.group(id, Membership.BOOTSTRAP_INCARNATION);
                groups.put(id, new GroupState(effective, g, config.randomSeed() * 1_000_003L + id));
            }
        }
        long maxLogBytes = config.snapshotPolicy().maxLogBytes();
        long maxSegments = maxLogBytes == 0 ? 0
                : Math.max(2, maxLogBytes / config.logOptions().maxSegmentBytes());
        this.committer = new GroupCommitter(log, "bulwark-node-" + nodeId + "-sync", maxSegments,
                completion -> inbox.add(new DiskDone(completion)));
        this.loopThread = new Thread(this::runLoop, "bulwark-node-" + nodeId + "-loop");
        loopThread.setDaemon(true);
    }

    /**
     * Opens (or creates) the shared log in {@code config.dataDirectory()}, recovers every group in
     * {@code specs}, starts the transport on {@code config.bindAddress()} and the event loop.
     * {@code config.membership()} and {@code stateMachineFactory()} are not used: each group brings its own. Peers are added with {@link #connectPeers}.
     *
     * @throws IOException if the directory is in use, its log cannot be opened or is damaged, or the address
     *                     cannot be bound
     */
    public static ReplicaHost start(ReplicaDriverConfig config, List<GroupSpec> specs) throws IOException {
        return start(config, specs, UnaryOperator.identity());
    }

    /** As {@link #start(ReplicaDriverConfig, List)}, with the log's file store wrapped (tests inject faults). */
    static ReplicaHost start(ReplicaDriverConfig config, List<GroupSpec> specs, UnaryOperator<FileStore> storeDecorator)
            throws IOException {
        Objects.requireNonNull(config, "config");
        Path dir = config.dataDirectory();
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(OLD_LOG_DIRECTORY))) {
            throw new IOException("data directory " + dir + " holds a per-group log ('" + OLD_LOG_DIRECTORY + "/') "
                    + "written by an earlier version, which this version cannot read; start on a new directory");
        }
        FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = null;
        SharedLog log = null;
        ReplicaHost host = null;
        try {
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new IOException("data directory " + dir + " is in use by another replica host in this JVM");
            }
            if (lock == null) {
                throw new IOException("data directory " + dir + " is in use by another process");
            }
            CountingFileStore store = new CountingFileStore(
                    storeDecorator.apply(LocalFileStore.open(dir.resolve(LOG_DIRECTORY))));
            log = SharedLog.open(store.store(), config.logOptions());
            log.recoveryReport().truncatedTail().ifPresent(cut -> LOG.log(System.Logger.Level.WARNING,
                    "node " + config.nodeId() + ": cut an unsynced or torn log tail at start: " + cut));
            host = new ReplicaHost(config, lockChannel, lock, store, log, specs);
            ReplicaHost h = host;
            host.transport = PeerTransport.startMultiplexed(config.nodeId(), config.bindAddress(),
                    config.transportOptions(), h::deliver);
            host.snapshotter = new SnapshotWorker(config.nodeId(), host.transport, config.snapshotPolicy().chunkBytes(),
                    "bulwark-node-" + config.nodeId() + "-snapshot");
            LOG.log(System.Logger.Level.INFO, "node " + config.nodeId() + " hosts " + specs.size() + " groups on "
                    + dir + ", peers at " + host.transport.localAddress() + ", seed " + config.randomSeed());
            host.loopThread.start();
            return host;
        } catch (IOException | RuntimeException e) {
            if (host != null) {
                if (host.snapshotter != null) {
                    host.snapshotter.close(STOP_TIMEOUT);
                }
                if (host.transport != null) {
                    host.transport.close();
                }
                host.committer.close(STOP_TIMEOUT);
            } else if (log != null) {
                try {
                    log.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            if (lock != null) {
                lock.release();
            }
            lockChannel.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Public API.

    public int nodeId() {
        return nodeId;
    }

    /** Where this host's peer transport listens. */
    public InetSocketAddress localAddress() {
        return transport.localAddress();
    }

    public Path dataDirectory() {
        return config.dataDirectory();
    }

    /** The log holds a group this host cannot start. */
    static final class CorruptGroupException extends IOException {
        CorruptGroupException(String message) {
            super(message);
        }
    }

    /**
     * Starts a replica of an existing group here, on new storage stamped with {@code incarnation}; the group's
     * leader then adds it (as a learner named with that incarnation) with {@link #proposeMembership}. The
     * creation is synced before the future completes, so a restart brings the replica back.
     */
    public CompletableFuture<Void> addGroup(GroupSpec spec, long incarnation) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(stoppedException());
        } else if (!spec.membership().contains(nodeId)) {
            f.completeExceptionally(new IllegalArgumentException("node " + nodeId + " is not in " + spec.membership()));
        } else {
            inbox.add(new AddGroup(spec, incarnation, f));
        }
        return f;
    }

    /**
     * Stops this node's replica of {@code group} (after the group's membership no longer names it) and records
     * that in the log, so a restart does not bring it back. Pending requests fail with a not-leader error.
     */
    public CompletableFuture<Void> removeGroup(int group) {
        return post(f -> new RemoveGroup(group, f));
    }

    /**
     * Asks this node's replica of {@code group} to propose {@code change} applied to the membership it knows
     * (one voter change at a time). The future tells what happened: {@code QUEUED} with the membership proposed
     * (watch {@link #status} for it to take effect), {@code NOT_LEADER}, {@code BUSY} (a change is in flight).
     */
    public CompletableFuture<Proposal> proposeMembership(int group, java.util.function.UnaryOperator<Membership> change) {
        return post(f -> new Reconfigure(group, change, f));
    }

    /** Posts the event {@code event} makes around a new future to the loop, or fails the future if stopped. */
    private <T> CompletableFuture<T> post(java.util.function.Function<CompletableFuture<T>, Event> event) {
        CompletableFuture<T> f = new CompletableFuture<>();
        if (!running) {
            f.completeExceptionally(stoppedException());
        } else {
            inbox.add(event.apply(f));
        }
        return f;
    }

    /** The groups this host runs, in id order. */
    public List<Integer> groups() {
        return List.copyOf(groups.keySet());
    }

    /** Tells the host where its peers listen; entries for its own id are ignored. May be called again. */
    public void connectPeers(Map<Integer, InetSocketAddress> addresses) {
        for (Map.Entry<Integer, InetSocketAddress> e : addresses.entrySet()) {
            if (e.getKey() != nodeId) {
                transport.setPeer(e.getKey(), e.getValue());
            }
        }
        peersKnown = true;
    }

    /**
     * Replicates {@code command} in {@code group} for client {@code clientId} with sequence number
     * {@code sequence} (increasing per client, one in flight) and completes with the state machine's result
     * once this replica applied it. A retry with the same sequence returns the original result.
     *
     * @throws IllegalArgumentException if {@code sequence < 1}, or the command is larger than
     *                                  {@code maxCommandBytes} (a group not hosted here fails the future with a
     *                                  {@link NotLeaderException})
     */
    public CompletableFuture<byte[]> submit(int group, long clientId, long sequence, byte[] command) {
        if (!groups.containsKey(group)) {
            return CompletableFuture.failedFuture(new NotLeaderException(nodeId, NotLeaderException.UNKNOWN_LEADER,
                    "node " + nodeId + " has no replica of group " + group));
        }
        Command c = new Command(clientId, sequence, command);
        if (c.encodedSize() > config.replicaOptions().maxCommandBytes()) {
            throw new IllegalArgumentException("command of " + command.length + " bytes (+20 bytes of ids) exceeds "
                    + "maxCommandBytes " + config.replicaOptions().maxCommandBytes());
        }
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        enqueueRequest(new Submit(group, c, future), future);
        return future;
    }

    /**
     * A linearizable query of {@code group}: confirmed through the read index, then answered from the state
     * machine once it has applied every command chosen before the read began. Only the leader serves reads.
     */
    public CompletableFuture<byte[]> read(int group, byte[] query) {
        if (!groups.containsKey(group)) {
            return CompletableFuture.failedFuture(new NotLeaderException(nodeId, NotLeaderException.UNKNOWN_LEADER,
                    "node " + nodeId + " has no replica of group " + group));
        }
        Objects.requireNonNull(query, "query");
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        enqueueRequest(new Read(group, query, future), future);
        return future;
    }

    /** The status of {@code group} published after the loop's last turn. */
    public DriverStatus status(int group) {
        return state(group).status;
    }

    /**
     * Waits until {@code group}'s published status satisfies {@code condition}.
     *
     * @throws TimeoutException if it does not within {@code timeout}; the message has the last status
     */
    public DriverStatus awaitStatus(int group, Predicate<DriverStatus> condition, Duration timeout)
            throws TimeoutException, InterruptedException {
        GroupState g = state(group);
        long deadline = System.nanoTime() + timeout.toNanos();
        statusLock.lock();
        statusWaiters.incrementAndGet();
        try {
            while (true) {
                DriverStatus s = g.status;
                if (condition.test(s)) {
                    return s;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw new TimeoutException("node " + nodeId + " group " + group + ": condition not met within "
                            + timeout.toMillis() + " ms; last status " + s);
                }
                statusChanged.awaitNanos(remaining);
            }
        } finally {
            statusWaiters.decrementAndGet();
            statusLock.unlock();
        }
    }

    /** The host's counters so far (all groups together). */
    public DriverMetrics metrics() {
        return new DriverMetrics(store.syncs(), groupCommits, readiesSynced, slotsApplied, commandsApplied,
                commandsProposed, messagesDropped.get(), syncNanosTotal, snapshotsTaken, snapshotsInstalled,
                segmentsDeleted);
    }

    /**
     * The image of {@code group}'s state machine (exactly-once sessions and state, as a snapshot holds it) and
     * the index it was applied through, taken on the event loop between two inputs. For checks that replicas
     * hold equal state, and for tests; it copies the whole state.
     */
    public CompletableFuture<GroupImage> stateImage(int group) {
        return post(f -> new StateImage(group, f));
    }

    /**
     * Asks this node's replica of {@code group}, if it leads, to hand leadership to {@code successor}
     * ({@link io.bulwark.paxos.Replica#transferLeadership}): completes with true if it stepped down for it, false if
     * it does not lead or the successor does not qualify yet (behind, not heard from lately, not a voter, or a
     * membership change in flight). Commands waiting on this replica fail with {@link NotLeaderException} and are
     * retried by clients, as after any change of leader.
     */
    public CompletableFuture<Boolean> transferLeadership(int group, int successor) {
        return post(f -> new Transfer(group, successor, f));
    }

    /** The shared log's segment files, oldest first (status and tests). */
    public List<String> logSegments() throws IOException {
        List<String> names = new ArrayList<>();
        for (String name : store.store().list()) {
            if (name.startsWith("wal-")) {
                names.add(name);
            }
        }
        return names;
    }

    /** The transport's counters so far. */
    public TransportStats transportStats() {
        return transport.stats();
    }

    /** Inbound messages for groups this host does not run, dropped. */
    public int messagesUnroutable() {
        return messagesUnroutable.get();
    }

    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    public boolean isRunning() {
        return running;
    }

    /**
     * Stops the host: no new inputs, everything produced so far is handed to the disk (written, not
     * necessarily synced) and the log closed, pending requests fail with {@link ReplicaStoppedException}, the
     * transport is closed and the data directory unlocked. Waits for all of it, up to a bounded time.
     * Idempotent. Called from the event-loop thread, it only requests the stop.
     */
    @Override
    public void close() {
        stopRequested = true;
        inbox.add(new Stop());
        if (Thread.currentThread() == loopThread) {
            return;
        }
        try {
            loopThread.join(STOP_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (loopThread.isAlive()) {
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": event loop did not stop within "
                    + STOP_TIMEOUT.toMillis() + " ms");
        }
    }

    @Override
    public String toString() {
        return "ReplicaHost[node " + nodeId + ", " + groups.size() + " groups, running " + running + "]";
    }

    private GroupState state(int group) {
        GroupState g = groups.get(group);
        if (g == null) {
            throw new IllegalArgumentException("node " + nodeId + " runs no replica of group " + group);
        }
        return g;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Hand-off from other threads.

    private void deliver(int group, Message message) {
        if (!groups.containsKey(group)) {
            messagesUnroutable.incrementAndGet();
            return;
        }
        if (queuedMessages.incrementAndGet() > config.maxInboxMessages()) {
            queuedMessages.decrementAndGet();
            messagesDropped.incrementAndGet();
            return;
        }
        inbox.add(new Inbound(group, message));
    }

    private void enqueueRequest(Event event, CompletableFuture<byte[]> future) {
        if (!running) {
            future.completeExceptionally(stoppedException());
            return;
        }
        if (outstandingRequests.incrementAndGet() > config.maxOutstandingRequests()) {
            outstandingRequests.decrementAndGet();
            future.completeExceptionally(new OverloadedException("node " + nodeId + " already has "
                    + config.maxOutstandingRequests() + " requests outstanding (maxOutstandingRequests); back off"));
            return;
        }
        inbox.add(event);
        if (!running) {
            failQueuedEvents();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The event loop.

    private void runLoop() {
        Throwable fatal = null;
        try {
            long tickNanos = TimeUnit.MILLISECONDS.toNanos(config.tickMs());
            long nextTickNanos = System.nanoTime() + tickNanos;
            lastDiskActivityNanos = System.nanoTime();
            dirty.addAll(groups.values());
            processReadies();
            dispatchToDisk();
            publishStatus();
            while (!stopRequested) {
                long waitNanos = nextTickNanos - System.nanoTime();
                Event event = waitNanos > 0 ? inbox.poll(waitNanos, TimeUnit.NANOSECONDS) : inbox.poll();
                int handled = 0;
                while (event != null && !stopRequested) {
                    handle(event);
                    event = ++handled < MAX_EVENTS_PER_TURN ? inbox.poll() : null;
                }
                long now = System.nanoTime();
                if (now - nextTickNanos >= 0) {
                    for (GroupState g : groups.values()) {
                        if (peersKnown || g.soleMember) {
                            g.replica.tick();
                            if (g.preferredLeader && !g.headStartGiven) {
                                // The preferred leader's first election timer runs one timeout ahead, so it
                                // usually campaigns first; afterwards it is an ordinary replica.
                                g.headStartGiven = true;
                                for (int i = 1; i < config.replicaOptions().electionTimeoutTicks(); i++) {
                                    g.replica.tick();
                                }
                            }
                            dirty.add(g);
                        }
                    }
                    maybeMarkIdle(now);
                    nextTickNanos += tickNanos;
                    if (now - nextTickNanos >= 0) {
                        // More than a whole tick late: the missed ticks are skipped, not replayed (a pause that
                        // stopped every thread must not time out every follower and leader at once).
                        nextTickNanos = now + tickNanos;
                    }
                }
                processReadies();
                dispatchToDisk();
                publishStatus();
            }
        } catch (InterruptedException e) {
            fatal = e;
        } catch (Throwable t) {
            fatal = t;
        } finally {
            shutdown(fatal);
        }
    }

    private void handle(Event event) throws StorageFailure {
        if (event instanceof Inbound in) {
            queuedMessages.decrementAndGet();
            GroupState g = groups.get(in.group());
            if (g == null) {
                messagesUnroutable.incrementAndGet(); // removed since the message arrived
                return;
            }
            if (in.message() instanceof Message.InstallSnapshot chunk) {
                receiveChunk(g, chunk);
            } else {
                g.replica.step(in.message());
            }
            dirty.add(g);
        } else if (event instanceof SnapshotSaved saved) {
            onSnapshotSaved(saved.saved());
        } else if (event instanceof ChunkReceived received) {
            onChunkReceived(received.received());
        } else if (event instanceof Transfer t) {
            GroupState g = groups.get(t.group());
            boolean handed = g != null && g.replica.transferLeadership(t.successor());
            if (handed) {
                dirty.add(g);
                LOG.log(System.Logger.Level.INFO, "node " + nodeId + " group " + g.id + ": handed leadership to node "
                        + t.successor());
            }
            t.future().complete(handed);
        } else if (event instanceof StateImage image) {
            GroupState g = groups.get(image.group());
            if (g == null) {
                image.future().completeExceptionally(new IllegalArgumentException("node " + nodeId
                        + " runs no replica of group " + image.group()));
            } else {
                image.future().complete(new GroupImage(g.appliedIndex, g.machine.snapshot()));
            }
        } else if (event instanceof Submit s) {
            GroupState g = groups.get(s.group());
            if (g == null) {
                fail(s.future(), new NotLeaderException(nodeId, NotLeaderException.UNKNOWN_LEADER,
                        "node " + nodeId + " no longer has a replica of group " + s.group()));
                return;
            }
            propose(g, s.command(), s.future());
            dirty.add(g);
        } else if (event instanceof Read r) {
            GroupState g = groups.get(r.group());
            if (g == null) {
                fail(r.future(), new NotLeaderException(nodeId, NotLeaderException.UNKNOWN_LEADER,
                        "node " + nodeId + " no longer has a replica of group " + r.group()));
                return;
            }
            long readId = ++g.nextReadId;
            g.pendingReads.put(readId, new PendingRead(r.query(), r.future()));
            g.replica.read(readId);
            dirty.add(g);
        } else if (event instanceof DiskDone d) {
            onDiskDone(d.completion());
        } else if (event instanceof AddGroup a) {
            if (groups.containsKey(a.spec().group())) {
                a.future().completeExceptionally(new IllegalStateException("node " + nodeId + " already has a replica of"
                        + " group " + a.spec().group()));
                return;
            }
            committer.openGroup(a.spec().group(), a.incarnation(), a.spec().membership()).whenComplete((view, error) ->
                    inbox.add(new GroupOpened(a.spec(), view, error, a.future())));
        } else if (event instanceof GroupOpened o) {
            if (o.error() != null) {
                // The log could not record the group: it is as unusable as after any failed write.
                o.future().completeExceptionally(o.error());
                throw new StorageFailure(o.error());
            }
            GroupState g = new GroupState(o.spec(), o.view(), config.randomSeed() * 1_000_003L + o.spec().group());
            groups.put(o.spec().group(), g);
            dirty.add(g);
            LOG.log(System.Logger.Level.INFO, "node " + nodeId + " added a replica of group " + g.id + " ("
                    + g.replica.membership() + ")");
            o.future().complete(null);
        } else if (event instanceof RemoveGroup r) {
            GroupState g = groups.remove(r.group());
            if (g == null) {
                r.future().complete(null);
                return;
            }
            dirty.remove(g);
            touched.remove(g);
            NotLeaderException gone = new NotLeaderException(nodeId, NotLeaderException.UNKNOWN_LEADER,
                    "node " + nodeId + " no longer has a replica of group " + g.id);
            for (CompletableFuture<byte[]> f : g.pendingCommands.values()) {
                fail(f, gone);
            }
            for (PendingRead pr : g.pendingReads.values()) {
                fail(pr.future(), gone);
            }
            for (List<PendingRead> reads : g.readsAwaitingApply.values()) {
                for (PendingRead pr : reads) {
                    fail(pr.future(), gone);
                }
            }
            LOG.log(System.Logger.Level.INFO, "node " + nodeId + " removed its replica of group " + g.id);
            committer.removeGroup(g.id).whenComplete((v, error) -> {
                if (error != null) {
                    r.future().completeExceptionally(error);
                    inbox.add(new DiskDone(new GroupCommitter.Completion(Map.of(), 0, false, 0, error)));
                } else {
                    // The removal is durable: the group's snapshots can go (or at the next start, if this fails).
                    snapshotter.discard(g.id, g.log);
                    r.future().complete(null);
                }
            });
        } else if (event instanceof Reconfigure c) {
            GroupState g = groups.get(c.group());
            if (g == null) {
                c.future().complete(new Proposal(ProposeResult.NOT_LEADER, null));
                return;
            }
            try {
                Membership current = g.replica.membership();
                Membership next = c.change().apply(current);
                if (next.equals(current)) {
                    // Already so (a retry after the change was chosen): nothing to propose.
                    c.future().complete(new Proposal(g.replica.role() == Role.LEADER ? ProposeResult.QUEUED
                            : ProposeResult.NOT_LEADER, current));
                    return;
                }
                ProposeResult result = g.replica.proposeMembership(next);
                c.future().complete(new Proposal(result, result == ProposeResult.QUEUED ? next : null));
            } catch (IllegalArgumentException e) {
                c.future().completeExceptionally(e);
            }
            dirty.add(g);
        } else if (event instanceof Stop) {
            stopRequested = true;
        }
    }

    private void propose(GroupState g, Command command, CompletableFuture<byte[]> future) {
        ClientKey key = new ClientKey(command.clientId(), command.sequence());
        CompletableFuture<byte[]> inFlight = g.pendingCommands.get(key);
        if (inFlight != null) {
            // A retry of a command still in flight here: answer both with the one outcome, propose it once.
            outstandingRequests.decrementAndGet();
            inFlight.whenComplete((result, error) -> {
                if (error == null) {
                    future.complete(result);
                } else {
                    future.completeExceptionally(error);
                }
            });
            return;
        }
        ProposeResult result = g.replica.propose(command);
        switch (result) {
            case QUEUED -> {
                g.pendingCommands.put(key, future);
                commandsProposed++;
            }
            case NOT_LEADER -> fail(future, new NotLeaderException(nodeId, g.hint(), "commands go to the leader"));
            case BUSY -> fail(future, new OverloadedException("node " + nodeId + " group " + g.id + ": the pipeline "
                    + "window and the pending queue (maxPendingCommands " + config.replicaOptions().maxPendingCommands()
                    + ") are full; back off"));
            case TOO_LARGE -> fail(future, new IllegalArgumentException("command of " + command.encodedSize()
                    + " encoded bytes exceeds maxCommandBytes " + config.replicaOptions().maxCommandBytes()));
        }
    }

    /** Drains the Readies of every group touched since the last turn, following the {@link Ready} contract. */
    private void processReadies() {
        touched.clear();
        for (GroupState g : dirty) {
            processReadies(g);
            touched.add(g);
        }
        dirty.clear();
    }

    private void processReadies(GroupState g) {
        while (true) {
            Ready ready = g.replica.ready();
            if (ready.isEmpty()) {
                break;
            }
            // 1. Messages that do not depend on this replica's disk.
            for (Message m : ready.sendNow()) {
                transport.send(g.id, m);
            }
            // 2. The durable part goes to the sync thread with the next batch.
            boolean writes = ready.promise() != null || !ready.entries().isEmpty()
                    || ready.chosenIndex() > g.chosenIndexStaged;
            if (writes || ready.mustSync()) {
                staged.add(new GroupCommitter.Staged(g.log, ready));
                stagedNeedsSync |= ready.mustSync();
                g.chosenIndexStaged = Math.max(g.chosenIndexStaged, ready.chosenIndex());
            }
            // 3-4. sendAfterSync and persisted() wait for the fsync, and for every earlier Ready's of the group.
            if (ready.mustSync() || !g.awaitingSync.isEmpty()) {
                g.awaitingSync.add(ready);
            } else {
                completeDurable(g, ready);
            }
            // 5. Chosen commands and reads do not depend on this replica's disk: a quorum made them durable.
            if (ready.restoreSnapshot() != null) {
                restore(g, ready.restoreSnapshot());
            }
            for (Entry entry : ready.committed()) {
                apply(g, entry);
            }
            for (ReadState read : ready.reads()) {
                answerRead(g, read);
            }
            for (Command c : ready.abandoned()) {
                CompletableFuture<byte[]> f = g.pendingCommands.remove(new ClientKey(c.clientId(), c.sequence()));
                if (f != null) {
                    fail(f, new NotLeaderException(nodeId, g.hint(),
                            "leadership lost before the command was proposed; it was not chosen, retry it"));
                }
            }
            // 6. Snapshot chunks for lagging peers: read and sent by the snapshot thread.
            for (Ready.SnapshotSend send : ready.snapshotSends()) {
                snapshotter.send(g.id, g.log, send);
            }
        }
        maybeSnapshot(g);
        boolean leader = g.replica.role() == Role.LEADER;
        if (g.wasLeader && !leader && !g.pendingCommands.isEmpty()) {
            // Commands in proposed slots may still be chosen by the next leader, or replaced by no-ops: only a
            // retry with the same sequence number can find out.
            NotLeaderException e = new NotLeaderException(nodeId, g.hint(),
                    "leadership lost; the command may or may not be chosen, retry it with the same sequence number");
            for (CompletableFuture<byte[]> f : g.pendingCommands.values()) {
                fail(f, e);
            }
            g.pendingCommands.clear();
        }
        g.wasLeader = leader;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Snapshots and compaction.

    /**
     * Takes a snapshot of the group's state machine when the policy says so (or the log's oldest segment waits
     * for this group), and hands it to the snapshot thread; or, if the group has applied nothing since its last
     * snapshot, only re-checkpoints it so that it stops holding the oldest segment.
     */
    private void maybeSnapshot(GroupState g) {
        SnapshotPolicy policy = config.snapshotPolicy();
        if (g.snapshotInFlight || g.pendingRestore != null || !logSyncedOnce || groups.get(g.id) != g) {
            return;
        }
        long slots = g.appliedIndex - g.lastSnapshotIndex;
        boolean due = (policy.everySlots() > 0 && slots >= policy.everySlots())
                || (policy.everyBytes() > 0 && g.bytesSinceSnapshot >= Math.max(policy.everyBytes(), g.lastSnapshotBytes))
                || g.checkpointRequested;
        if (due && slots > 0) {
            // The image is taken here, between two inputs, so it is exactly the state at appliedIndex; encoding,
            // writing and fsyncing it happen on the snapshot thread.
            byte[] image = g.machine.snapshot();
            Membership membership = g.replica.membershipAt(g.appliedIndex);
            g.snapshotInFlight = true;
            g.checkpointRequested = false;
            g.bytesSinceSnapshot = 0;
            g.lastSnapshotBytes = image.length;
            snapshotter.save(g.id, g.log, g.appliedIndex, membership, image, saved -> inbox.add(new SnapshotSaved(saved)));
        } else if (g.checkpointRequested && slots == 0 && !g.checkpointInFlight) {
            g.checkpointRequested = false;
            stageCheckpoint(g, g.lastSnapshotIndex);
        }
    }

    /** The snapshot thread saved (or failed to save) a snapshot. */
    private void onSnapshotSaved(SnapshotWorker.Saved s) throws StorageFailure {
        GroupState g = groups.get(s.group());
        if (g == null || g.log != s.view()) {
            return; // the group was removed meanwhile
        }
        g.snapshotInFlight = false;
        dirty.add(g);
        if (s.failure() instanceof IllegalArgumentException) {
            // A snapshot installed from the leader meanwhile is newer: this one is moot.
            LOG.log(System.Logger.Level.INFO, "node " + nodeId + " group " + g.id + ": snapshot not saved: "
                    + s.failure().getMessage());
            return;
        }
        if (s.failure() != null) {
            throw new StorageFailure("saving a snapshot of group " + g.id, s.failure());
        }
        SnapshotMeta meta = s.meta();
        g.snapshotsTaken++;
        snapshotsTaken++;
        if (meta.index() <= g.lastSnapshotIndex) {
            return; // an installed snapshot overtook it
        }
        if (g.newestUncompacted != null && g.newestUncompacted.index() > g.replica.snapshotIndex()) {
            g.replica.compacted(g.newestUncompacted);
        }
        g.newestUncompacted = meta;
        g.lastSnapshotIndex = meta.index();
        stageCheckpoint(g, meta.index());
        LOG.log(System.Logger.Level.DEBUG, "node " + nodeId + " group " + g.id + ": snapshot at index " + meta.index()
                + " (" + meta.totalBytes() + " bytes) is durable");
    }

    /**
     * Stages the group's checkpoint after its snapshot at {@code snapshotIndex} (0: none) is durable: what the
     * replica holds now is re-stated in the log, so that every older record of the group can go.
     */
    private void stageCheckpoint(GroupState g, long snapshotIndex) {
        staged.add(new GroupCommitter.Staged(g.log, new GroupCommitter.Checkpoint(snapshotIndex, g.replica.promised(),
                g.replica.entriesAfter(snapshotIndex), g.replica.chosenIndex())));
        stagedNeedsSync = true;
        g.checkpointInFlight = true;
    }

    /** A leader's snapshot chunk: one at a time goes to the snapshot thread; the replica answers once it is written. */
    private void receiveChunk(GroupState g, Message.InstallSnapshot chunk) {
        if (chunk.index() <= g.replica.chosenIndex()) {
            // Already past it (learned meanwhile, or a retransmission of one installed): tell the sender so.
            g.replica.snapshotReceived(chunk, chunk.totalBytes(), null);
            return;
        }
        if (g.chunkInFlight || g.pendingRestore != null) {
            return; // the sender resends from the offset the reply to the chunk in flight names
        }
        g.chunkInFlight = true;
        snapshotter.receive(g.id, g.log, chunk, r -> inbox.add(new ChunkReceived(r)));
    }

    /** The snapshot thread wrote a received chunk (and, for the last one, verified and installed the snapshot). */
    private void onChunkReceived(SnapshotWorker.Received r) throws StorageFailure {
        GroupState g = groups.get(r.group());
        if (g == null || g.log != r.view()) {
            return;
        }
        g.chunkInFlight = false;
        dirty.add(g);
        if (r.failure() != null) {
            throw new StorageFailure("receiving a snapshot of group " + g.id, r.failure());
        }
        long chosenBefore = g.replica.chosenIndex();
        g.replica.snapshotReceived(r.chunk(), r.receivedBytes(), r.completedMeta());
        if (r.completed() != null && g.replica.snapshotIndex() == r.completed().index()
                && g.replica.chosenIndex() >= r.completed().index() && chosenBefore < r.completed().index()) {
            // Installed: the Ready that asks to restore from it follows.
            g.pendingRestore = r.completed();
            g.pendingRestoreInstalled = true;
        }
    }

    /** Replaces the state machine with a snapshot's state, as a Ready asked (at start, or after an install). */
    private void restore(GroupState g, SnapshotMeta meta) {
        StoredSnapshot s = g.pendingRestore;
        if (s == null || s.index() != meta.index()) {
            throw new IllegalStateException("node " + nodeId + " group " + g.id + " was told to restore snapshot "
                    + meta.index() + " but holds " + (s == null ? "none" : "snapshot " + s.index()));
        }
        // The snapshot file passed its CRC32C when it was read or received; the KV state machine checks each
        // value's own CRC32C again as it restores.
        g.machine.restore(s.state());
        g.lastSnapshotBytes = s.state().length;
        g.appliedIndex = meta.index();
        g.lastSnapshotIndex = Math.max(g.lastSnapshotIndex, meta.index());
        g.bytesSinceSnapshot = 0;
        g.newestUncompacted = null;
        g.pendingRestore = null;
        g.log.releaseRecoveredSnapshot();
        if (g.pendingRestoreInstalled) {
            g.pendingRestoreInstalled = false;
            g.snapshotsInstalled++;
            snapshotsInstalled++;
            stageCheckpoint(g, meta.index());
            LOG.log(System.Logger.Level.INFO, "node " + nodeId + " group " + g.id + ": installed the leader's snapshot"
                    + " at index " + meta.index() + " (" + meta.totalBytes() + " bytes)");
        }
        serveReadsUpTo(g, g.appliedIndex);
    }

    private void completeDurable(GroupState g, Ready ready) {
        for (Message m : ready.sendAfterSync()) {
            transport.send(g.id, m);
        }
        g.replica.persisted(ready.id());
        dirty.add(g);
    }

    private void dispatchToDisk() {
        if (diskBusy || staged.isEmpty()) {
            return;
        }
        committer.commit(List.copyOf(staged), stagedNeedsSync);
        staged.clear();
        stagedNeedsSync = false;
        diskBusy = true;
        writtenSinceMark = true;
    }

    private void maybeMarkIdle(long now) {
        if (!diskBusy && staged.isEmpty() && writtenSinceMark && now - lastDiskActivityNanos >= IDLE_MARK_NANOS) {
            committer.markIdle();
            diskBusy = true;
            writtenSinceMark = false;
        }
    }

    private void onDiskDone(GroupCommitter.Completion c) throws StorageFailure {
        diskBusy = false;
        lastDiskActivityNanos = System.nanoTime();
        if (c.failure() != null) {
            throw new StorageFailure(c.failure());
        }
        syncNanosTotal += c.nanos();
        if (!c.synced()) {
            return;
        }
        logSyncedOnce = true;
        segmentsDeleted += c.segmentsDeleted();
        for (int id : c.checkpointed()) {
            GroupState g = groups.get(id);
            if (g != null) {
                g.checkpointInFlight = false;
            }
        }
        long cheapBytes = config.logOptions().maxSegmentBytes() / CHEAP_CHECKPOINT_FRACTION;
        for (int id : c.holdingOldest()) {
            GroupState g = groups.get(id);
            boolean cheap = g != null && (g.appliedIndex == g.lastSnapshotIndex
                    || g.lastSnapshotBytes + g.bytesSinceSnapshot <= cheapBytes);
            if (g != null && !g.checkpointRequested && (c.aboveBound() || cheap)) {
                g.checkpointRequested = true;
                dirty.add(g);
            }
        }
        groupCommits++;
        readiesSynced += c.readies();
        for (Map.Entry<Integer, Long> e : c.lastReadyIds().entrySet()) {
            GroupState g = groups.get(e.getKey());
            if (g == null) {
                continue; // removed meanwhile
            }
            g.lastSyncedReadyId = Math.max(g.lastSyncedReadyId, e.getValue());
            while (!g.awaitingSync.isEmpty()) {
                Ready head = g.awaitingSync.peek();
                if (head.mustSync() && head.id() > g.lastSyncedReadyId) {
                    break;
                }
                g.awaitingSync.poll();
                completeDurable(g, head);
            }
        }
    }

    private void apply(GroupState g, Entry entry) {
        if (entry.slot() != g.appliedIndex + 1) {
            throw new AssertionError("node " + nodeId + " group " + g.id + " was handed slot " + entry.slot()
                    + " to apply after " + g.appliedIndex);
        }
        g.appliedIndex = entry.slot();
        slotsApplied++;
        if (entry.value() instanceof Value.Batch batch) {
            for (Command c : batch.commands()) {
                g.bytesSinceSnapshot += c.encodedSize();
                applyCommand(g, entry.slot(), c);
            }
        }
        serveReadsUpTo(g, g.appliedIndex);
    }

    private void applyCommand(GroupState g, long slot, Command c) {
        CompletableFuture<byte[]> future = g.pendingCommands.remove(new ClientKey(c.clientId(), c.sequence()));
        ExactlyOnceStateMachine.Applied applied;
        try {
            applied = g.machine.apply(slot, c);
        } catch (RuntimeException e) {
            // Deterministic: the same bytes throw on every replica, so the replicas stay equal.
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + " group " + g.id + ": state machine rejected "
                    + "command " + c + " in slot " + slot + ": " + e);
            if (future != null) {
                fail(future, new IllegalArgumentException("the state machine rejected the command: " + e.getMessage(), e));
            }
            return;
        }
        if (!applied.duplicate()) {
            commandsApplied++;
        }
        try {
            config.applyListener().applied(slot, c, applied.duplicate());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "node " + nodeId + ": apply listener failed on slot " + slot, e);
        }
        if (future == null) {
            return;
        }
        if (applied.duplicate() && g.machine.lastSequence(c.clientId()) > c.sequence()) {
            fail(future, new StaleCommandException("client " + c.clientId() + " already had sequence "
                    + g.machine.lastSequence(c.clientId()) + " applied; the result of " + c.sequence()
                    + " is no longer kept"));
        } else {
            succeed(future, applied.result());
        }
    }

    private void answerRead(GroupState g, ReadState state) {
        PendingRead read = g.pendingReads.remove(state.readId());
        if (read == null) {
            return;
        }
        if (!state.ok()) {
            fail(read.future(), new NotLeaderException(nodeId, g.hint(), "reads are served by the leader"));
        } else if (g.appliedIndex >= state.index()) {
            serve(g, read);
        } else {
            g.readsAwaitingApply.computeIfAbsent(state.index(), i -> new ArrayList<>()).add(read);
        }
    }

    private void serveReadsUpTo(GroupState g, long index) {
        while (!g.readsAwaitingApply.isEmpty() && g.readsAwaitingApply.firstKey() <= index) {
            for (PendingRead read : g.readsAwaitingApply.pollFirstEntry().getValue()) {
                serve(g, read);
            }
        }
    }

    private void serve(GroupState g, PendingRead read) {
        byte[] answer;
        try {
            answer = g.machine.inner().query(read.query());
        } catch (RuntimeException e) {
            fail(read.future(), new IllegalArgumentException("the state machine rejected the query: " + e.getMessage(), e));
            return;
        }
        succeed(read.future(), answer);
    }

    private void succeed(CompletableFuture<byte[]> future, byte[] result) {
        outstandingRequests.decrementAndGet();
        future.complete(result);
    }

    private void fail(CompletableFuture<byte[]> future, Throwable error) {
        outstandingRequests.decrementAndGet();
        future.completeExceptionally(error);
    }

    private void publishStatus() {
        publishStatus(touched);
    }

    private void publishStatus(java.util.Collection<GroupState> which) {
        boolean changed = false;
        boolean notify = false;
        for (GroupState g : which) {
            DriverStatus previous = g.status;
            DriverStatus next = new DriverStatus(nodeId, running, g.replica.role(), g.hint(), g.replica.chosenIndex(),
                    g.appliedIndex, g.replica.membership(), g.lastSnapshotIndex, g.snapshotsTaken, g.snapshotsInstalled);
            if (next.equals(previous)) {
                continue;
            }
            g.status = next;
            changed = true;
            if (previous.role() != next.role() || previous.leaderHint() != next.leaderHint()
                    || previous.running() != next.running()) {
                notify = true;
                if (previous.role() != next.role() && (previous.role() == Role.LEADER || next.role() == Role.LEADER)) {
                    LOG.log(System.Logger.Level.INFO, "node " + nodeId + " group " + g.id + ": " + previous.role()
                            + " -> " + next.role() + " at chosen index " + next.chosenIndex());
                }
            }
        }
        if (changed) {
            signalStatus();
        }
        if (notify) {
            try {
                config.statusListener().run();
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "node " + nodeId + ": status listener failed", e);
            }
        }
    }

    private void signalStatus() {
        if (statusWaiters.get() > 0) {
            statusLock.lock();
            try {
                statusChanged.signalAll();
            } finally {
                statusLock.unlock();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Stopping.

    /** A write or fsync failed: the log (or a snapshot) is unusable and the host must stop. */
    private static final class StorageFailure extends Exception {
        final String what;

        StorageFailure(Throwable cause) {
            this("write or fsync of the node's log", cause);
        }

        StorageFailure(String what, Throwable cause) {
            super(cause);
            this.what = what;
        }
    }

    private ReplicaStoppedException stoppedException() {
        Throwable f = failure;
        if (f == null) {
            return new ReplicaStoppedException("node " + nodeId + " is closed", null);
        }
        return new ReplicaStoppedException("node " + nodeId + " stopped after a fatal error: " + f.getMessage(), f);
    }

    private void shutdown(Throwable fatal) {
        if (fatal instanceof StorageFailure sf) {
            failure = new IOException(sf.what + " failed (" + sf.getCause().getMessage()
                    + "); not retried, because the kernel may have dropped the unsynced pages. Restart the node:"
                    + " it recovers from what is durable and catches up from its peers", sf.getCause());
            LOG.log(System.Logger.Level.ERROR, "node " + nodeId + " stopped: " + failure.getMessage());
        } else if (fatal != null) {
            failure = fatal;
            LOG.log(System.Logger.Level.ERROR, "node " + nodeId + " stopped by an unexpected error", fatal);
        }
        running = false;
        ReplicaStoppedException stopped = stoppedException();
        for (GroupState g : groups.values()) {
            for (CompletableFuture<byte[]> f : g.pendingCommands.values()) {
                f.completeExceptionally(stopped);
            }
            g.pendingCommands.clear();
            for (PendingRead r : g.pendingReads.values()) {
                r.future().completeExceptionally(stopped);
            }
            g.pendingReads.clear();
            for (List<PendingRead> reads : g.readsAwaitingApply.values()) {
                for (PendingRead r : reads) {
                    r.future().completeExceptionally(stopped);
                }
            }
            g.readsAwaitingApply.clear();
        }
        failQueuedEvents();
        // A clean stop hands everything produced so far to the disk (written, not synced: nothing was
        // acknowledged on the strength of these bytes). After a storage failure nothing more is written.
        if (failure == null && !staged.isEmpty()) {
            committer.commit(List.copyOf(staged), stagedNeedsSync);
            staged.clear();
        }
        snapshotter.close(STOP_TIMEOUT);
        committer.close(STOP_TIMEOUT);
        transport.close();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": releasing the directory lock failed: " + e);
        }
        publishStatus(groups.values());
        signalStatus();
        try {
            config.statusListener().run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "node " + nodeId + ": status listener failed", e);
        }
        LOG.log(System.Logger.Level.INFO, "node " + nodeId + " stopped");
    }

    private void failQueuedEvents() {
        ReplicaStoppedException stopped = null;
        Event e;
        while ((e = inbox.poll()) != null) {
            CompletableFuture<?> admin = e instanceof AddGroup a ? a.future() : e instanceof GroupOpened o ? o.future()
                    : e instanceof RemoveGroup rg ? rg.future() : e instanceof Reconfigure c ? c.future()
                    : e instanceof StateImage i ? i.future() : null;
            if (admin != null) {
                admin.completeExceptionally(stoppedException());
                continue;
            }
            CompletableFuture<byte[]> f = e instanceof Submit s ? s.future() : e instanceof Read r ? r.future() : null;
            if (f != null) {
                if (stopped == null) {
                    stopped = stoppedException();
                }
                outstandingRequests.decrementAndGet();
                f.completeExceptionally(stopped);
            }
        }
    }
}
