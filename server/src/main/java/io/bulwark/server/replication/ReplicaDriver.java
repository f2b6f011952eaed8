package io.bulwark.server.replication;

import io.bulwark.core.RandomSource;
import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LocalFileStore;
import io.bulwark.paxos.Command;
import io.bulwark.paxos.Entry;
import io.bulwark.paxos.ExactlyOnceStateMachine;
import io.bulwark.paxos.Message;
import io.bulwark.paxos.ProposeResult;
import io.bulwark.paxos.ReadState;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.Replica;
import io.bulwark.paxos.Role;
import io.bulwark.paxos.Value;
import io.bulwark.paxos.storage.ReplicaStorage;
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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * Runs one Paxos {@link Replica} for real: its log on a local disk, its messages over TCP
 * ({@link PeerTransport}), its commands applied to an {@link ExactlyOnceStateMachine}.
 *
 * <h2>Threads</h2>
 * <ul>
 *   <li><b>Event loop</b> (one thread): the only thread that touches the replica and the state machine. It
 *       takes inputs from one queue — peer messages, client commands and reads, sync completions — ticks the
 *       replica every {@code tickMs} (a timed poll of that queue, no timer thread; ticks missed while the loop
 *       was held up are skipped, not replayed; no ticks until the peers are known), and after each batch of
 *       inputs processes the replica's {@link Ready}s in the order their contract prescribes.</li>
 *   <li><b>Sync thread</b> ({@code GroupCommitter}): owns the storage. Whenever it is idle the loop hands it
 *       every Ready produced since the last hand-over; it writes them and fsyncs once. While it syncs, the
 *       loop keeps going and stages the next batch: that is the group commit, and why one fsync covers many
 *       commands under load. Its completion is posted back to the loop, which then sends those Readies'
 *       {@code sendAfterSync} messages and reports them {@link Replica#persisted persisted}, strictly in Ready
 *       order (a Ready that needs no fsync but follows one that does waits for it, because {@code persisted}
 *       covers every earlier Ready too).</li>
 *   <li>The transport's reader and writer threads, which only decode/encode and hand messages over.</li>
 * </ul>
 *
 * <h2>Client API</h2>
 * {@link #submit} replicates a command and completes with the state machine's result once this replica has
 * applied it; only the leader accepts commands. {@link #read} is a linearizable query through the read index.
 * Failures complete the future with a {@link ReplicationException} saying what to do: {@link NotLeaderException}
 * (retry at the hint with the same sequence number), {@link OverloadedException} (back off),
 * {@link ReplicaStoppedException} (closed or failed), {@link StaleCommandException}. Futures complete on the
 * event-loop thread: dependent actions attached with the non-async {@code CompletableFuture} methods run
 * there and must be short and non-blocking; use the {@code *Async} variants for anything else.
 *
 * <h2>Failures</h2>
 * A failed write or fsync is fatal and never retried (the kernel may have dropped the pages it failed to
 * write): the driver stops, fails every pending request with a {@link ReplicaStoppedException} carrying the
 * cause, and closes its transport so the peers elect without it. Restarting a driver on the same directory
 * recovers from what was durable. A command the state machine rejects by throwing (the same bytes throw on
 * every replica) fails only that command's future with an {@link IllegalArgumentException}.
 *
 * <h2>Not yet</h2>
 * No snapshots or log compaction: the log on disk and the replica's in-memory log grow with the number of
 * commands, and a replica that restarts replays the log whole. A snapshot in recovered storage, or one sent by
 * a leader, is refused with a clear error (no driver compacts today, so none is ever sent). Lease reads are
 * refused by {@link ReplicaDriverConfig}.
 *
 * <p>Thread-safety: every public method is thread-safe.
 */
public final class ReplicaDriver implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ReplicaDriver.class.getName());
    /** Inputs taken per loop turn before the Readies are processed: bounds the latency a burst adds. */
    private static final int MAX_EVENTS_PER_TURN = 4_096;
    /** The log counts as idle (worth a sync marker) after this long without a write. */
    private static final long IDLE_MARK_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    /** Subdirectory holding the replica's log, next to the lock file. */
    static final String LOG_DIRECTORY = "paxos";
    static final String LOCK_FILE = "LOCK";

    // ---------------------------------------------------------------------------------------------------------
    // Inputs of the event loop.

    private sealed interface Event permits Inbound, Submit, Read, DiskDone, Stop {
    }

    private record Inbound(Message message) implements Event {
    }

    private record Submit(Command command, CompletableFuture<byte[]> future) implements Event {
    }

    private record Read(byte[] query, CompletableFuture<byte[]> future) implements Event {
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
    private GroupLink transport;
    private volatile boolean running = true;
    private volatile boolean stopRequested;
    /**
     * The replica is not ticked until its peers are known. A replica that campaigns while its messages go
     * nowhere (replicas of a group start one after the other) only staggers the group's election timers, and a
     * late starter whose pre-vote was granted just before another replica won may then depose that new leader
     * with a candidacy it cannot win. A group of one never waits.
     */
    private volatile boolean peersKnown;
    private volatile Throwable failure;
    private volatile DriverStatus status;
    private final ReentrantLock statusLock = new ReentrantLock();
    private final Condition statusChanged = statusLock.newCondition();
    private final AtomicInteger statusWaiters = new AtomicInteger();

    // Metrics: written by the loop thread only, read by anyone.
    private volatile long groupCommits;
    private volatile long readiesSynced;
    private volatile long slotsApplied;
    private volatile long commandsApplied;
    private volatile long commandsProposed;
    private volatile long syncNanosTotal;
    private final AtomicInteger messagesDropped = new AtomicInteger();

    // ---------------------------------------------------------------------------------------------------------
    // Event-loop state: touched by the loop thread only (and by shutdown, which runs on it).

    private final Replica replica;
    private final ExactlyOnceStateMachine machine;
    private final GroupCommitter committer;
    private final Map<ClientKey, CompletableFuture<byte[]>> pendingCommands = new HashMap<>();
    private final Map<Long, PendingRead> pendingReads = new HashMap<>();
    /** Confirmed reads waiting for the state machine to reach their index (index → reads). */
    private final TreeMap<Long, List<PendingRead>> readsAwaitingApply = new TreeMap<>();
    /** Readies whose durable part has not been handed to the sync thread yet, in order. */
    private final List<Ready> staged = new ArrayList<>();
    private boolean stagedNeedsSync;
    private long chosenIndexStaged;
    /** Readies whose sendAfterSync and persisted() wait for an fsync (theirs or an earlier Ready's), in order. */
    private final ArrayDeque<Ready> awaitingSync = new ArrayDeque<>();
    private boolean diskBusy;
    private long lastSyncedReadyId;
    private boolean writtenSinceMark;
    private long lastDiskActivityNanos;
    private long appliedIndex;
    private long nextReadId;
    private boolean wasLeader;
    private boolean warnedSnapshotSend;

    private ReplicaDriver(ReplicaDriverConfig config, FileChannel lockChannel, FileLock lock, CountingFileStore store,
                          ReplicaStorage storage) {
        this.config = config;
        this.nodeId = config.nodeId();
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.store = store;
        this.replica = Replica.start(nodeId, config.replicaOptions(), RandomSource.seeded(config.randomSeed()),
                config.membership(), storage.recovered());
        this.machine = new ExactlyOnceStateMachine(config.stateMachineFactory().get(), config.maxSessions());
        this.committer = new GroupCommitter(storage, "bulwark-replica-" + nodeId + "-sync",
                completion -> inbox.add(new DiskDone(completion)));
        this.status = new DriverStatus(nodeId, true, replica.role(), replica.leaderHint(), replica.chosenIndex(), 0);
        this.loopThread = new Thread(this::runLoop, "bulwark-replica-" + nodeId + "-loop");
        loopThread.setDaemon(true);
    }

    /**
     * Opens (or creates) the replica's storage in {@code config.dataDirectory()}, recovers it, starts the
     * transport on {@code config.bindAddress()} and the event loop. Peers are added with {@link #connectPeers}.
     *
     * @throws IOException if the directory is in use by another driver, or its storage cannot be opened or is
     *                     damaged (see {@link ReplicaStorage#open}), or the address cannot be bound
     */
    public static ReplicaDriver start(ReplicaDriverConfig config) throws IOException {
        return start(config, UnaryOperator.identity());
    }

    /** As {@link #start(ReplicaDriverConfig)}, with the log's file store wrapped (tests inject disk faults). */
    static ReplicaDriver start(ReplicaDriverConfig config, UnaryOperator<FileStore> storeDecorator) throws IOException {
        Objects.requireNonNull(config, "config");
        Path dir = config.dataDirectory();
        Files.createDirectories(dir);
        FileChannel lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = null;
        ReplicaStorage storage = null;
        ReplicaDriver driver = null;
        try {
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new IOException("data directory " + dir + " is in use by another replica driver in this JVM");
            }
            if (lock == null) {
                throw new IOException("data directory " + dir + " is in use by another process");
            }
            CountingFileStore store = new CountingFileStore(
                    storeDecorator.apply(LocalFileStore.open(dir.resolve(LOG_DIRECTORY))));
            storage = ReplicaStorage.open(store.store(), config.logOptions());
            if (storage.recovered().snapshot() != null) {
                throw new IOException("data directory " + dir + " holds a snapshot at index "
                        + storage.recovered().snapshot().index() + ", which this driver cannot restore yet");
            }
            storage.recoveryReport().truncatedTail().ifPresent(cut -> LOG.log(System.Logger.Level.WARNING,
                    "replica " + config.nodeId() + ": cut an unsynced or torn log tail at start: " + cut));
            driver = new ReplicaDriver(config, lockChannel, lock, store, storage);
            driver.transport = config.linkFactory() != null ? config.linkFactory().open(driver::deliver)
                    : GroupLink.own(PeerTransport.start(config.nodeId(), config.bindAddress(),
                            config.transportOptions(), driver::deliver));
            LOG.log(System.Logger.Level.INFO, "replica " + config.nodeId() + " started on " + dir + ", peers at "
                    + driver.transport.localAddress() + ", recovered chosen index "
                    + storage.recovered().chosenIndex() + ", " + storage.recovered().entries().size()
                    + " log entries, seed " + config.randomSeed());
            driver.loopThread.start();
            return driver;
        } catch (IOException | RuntimeException e) {
            if (driver != null) {
                driver.committer.close(STOP_TIMEOUT);
            } else if (storage != null) {
                try {
                    storage.close();
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

    /** This replica's node id. */
    public int nodeId() {
        return nodeId;
    }

    /** Where this replica's peer transport listens. */
    public InetSocketAddress localAddress() {
        return transport.localAddress();
    }

    /** The directory holding this replica's data. */
    public Path dataDirectory() {
        return config.dataDirectory();
    }

    /** Tells this replica where its peers listen; entries for its own id are ignored. May be called again. */
    public void connectPeers(Map<Integer, InetSocketAddress> addresses) {
        for (Map.Entry<Integer, InetSocketAddress> e : addresses.entrySet()) {
            if (e.getKey() != nodeId) {
                transport.setPeer(e.getKey(), e.getValue());
            }
        }
        peersKnown = true;
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
        Command c = new Command(clientId, sequence, command);
        if (c.encodedSize() > config.replicaOptions().maxCommandBytes()) {
            throw new IllegalArgumentException("command of " + command.length + " bytes (+20 bytes of ids) exceeds "
                    + "maxCommandBytes " + config.replicaOptions().maxCommandBytes());
        }
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        enqueueRequest(new Submit(c, future), future);
        return future;
    }

    /**
     * A linearizable query: confirmed through the read index (a quorum acknowledges this replica still leads),
     * then answered from the state machine once it has applied every command chosen before the read began.
     * Only the leader serves reads.
     */
    public CompletableFuture<byte[]> read(byte[] query) {
        Objects.requireNonNull(query, "query");
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        enqueueRequest(new Read(query, future), future);
        return future;
    }

    /** The status published after the loop's last turn. */
    public DriverStatus status() {
        return status;
    }

    /**
     * Waits until the published status satisfies {@code condition}.
     *
     * @return the first status seen that satisfies it
     * @throws TimeoutException if it does not within {@code timeout}; the message has the last status
     */
    public DriverStatus awaitStatus(Predicate<DriverStatus> condition, Duration timeout)
            throws TimeoutException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        statusLock.lock();
        statusWaiters.incrementAndGet();
        try {
            while (true) {
                DriverStatus s = status;
                if (condition.test(s)) {
                    return s;
                }
                long remaining = deadline - System.nanoTime();
                if (remaining <= 0) {
                    throw new TimeoutException("replica " + nodeId + ": condition not met within " + timeout.toMillis()
                            + " ms; last status " + s);
                }
                statusChanged.awaitNanos(remaining);
            }
        } finally {
            statusWaiters.decrementAndGet();
            statusLock.unlock();
        }
    }

    /** The driver's counters so far. */
    public DriverMetrics metrics() {
        return new DriverMetrics(store.syncs(), groupCommits, readiesSynced, slotsApplied, commandsApplied,
                commandsProposed, messagesDropped.get(), syncNanosTotal);
    }

    /** The transport's counters so far. */
    public TransportStats transportStats() {
        return transport.stats();
    }

    /** The fatal error that stopped the driver, if one did. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /** False once the driver stopped (closed or failed). */
    public boolean isRunning() {
        return running;
    }

    /**
     * Stops the driver: no new inputs, everything produced so far is handed to the disk (written, not
     * necessarily synced) and the storage closed, pending requests fail with {@link ReplicaStoppedException},
     * the transport is closed (its port released) and the data directory unlocked. Waits for all of it, up to
     * a bounded time. Idempotent. Called from the event-loop thread (a completion callback), it only requests
     * the stop and returns.
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
            LOG.log(System.Logger.Level.WARNING, "replica " + nodeId + ": event loop did not stop within "
                    + STOP_TIMEOUT.toMillis() + " ms");
        }
    }

    @Override
    public String toString() {
        return "ReplicaDriver[" + status + "]";
    }

    // ---------------------------------------------------------------------------------------------------------
    // Hand-off from other threads.

    private void deliver(Message message) {
        if (queuedMessages.incrementAndGet() > config.maxInboxMessages()) {
            // Paxos tolerates loss; an unbounded inbox would turn a slow loop into an out-of-memory error.
            queuedMessages.decrementAndGet();
            messagesDropped.incrementAndGet();
            return;
        }
        inbox.add(new Inbound(message));
    }

    private void enqueueRequest(Event event, CompletableFuture<byte[]> future) {
        if (!running) {
            future.completeExceptionally(stoppedException());
            return;
        }
        if (outstandingRequests.incrementAndGet() > config.maxOutstandingRequests()) {
            outstandingRequests.decrementAndGet();
            future.completeExceptionally(new OverloadedException("replica " + nodeId + " already has "
                    + config.maxOutstandingRequests() + " requests outstanding (maxOutstandingRequests); back off"));
            return;
        }
        inbox.add(event);
        if (!running) {
            // The loop may have drained the inbox for the last time before this event arrived.
            failQueuedEvents();
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The event loop.

    private void runLoop() {
        Throwable fatal = null;
        try {
            long tickNanos = TimeUnit.MILLISECONDS.toNanos(config.tickMs());
            boolean soleMember = config.membership().all().equals(java.util.Set.of(nodeId));
            long nextTickNanos = System.nanoTime() + tickNanos;
            lastDiskActivityNanos = System.nanoTime();
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
                    if (peersKnown || soleMember) {
                        replica.tick();
                        maybeMarkIdle(now);
                    }
                    nextTickNanos += tickNanos;
                    if (now - nextTickNanos >= 0) {
                        // More than a whole tick late: the missed ticks are skipped, not replayed. After a pause
                        // that stopped every thread (a GC, an overloaded machine) replaying them would time out
                        // followers and the leader's quorum check at once, deposing a healthy leader although
                        // nobody could have sent anything. This is why lease reads are refused (see the config).
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
            replica.step(in.message());
        } else if (event instanceof Submit s) {
            propose(s.command(), s.future());
        } else if (event instanceof Read r) {
            startRead(r.query(), r.future());
        } else if (event instanceof DiskDone d) {
            onDiskDone(d.completion());
        } else if (event instanceof Stop) {
            stopRequested = true;
        }
    }

    private void propose(Command command, CompletableFuture<byte[]> future) {
        ClientKey key = new ClientKey(command.clientId(), command.sequence());
        CompletableFuture<byte[]> inFlight = pendingCommands.get(key);
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
        ProposeResult result = replica.propose(command);
        switch (result) {
            case QUEUED -> {
                pendingCommands.put(key, future);
                commandsProposed++;
            }
            case NOT_LEADER -> fail(future, new NotLeaderException(nodeId, leaderHint(), "commands go to the leader"));
            case BUSY -> fail(future, new OverloadedException("replica " + nodeId + ": the pipeline window and the "
                    + "pending queue (maxPendingCommands " + config.replicaOptions().maxPendingCommands()
                    + ") are full; back off"));
            case TOO_LARGE -> fail(future, new IllegalArgumentException("command of " + command.encodedSize()
                    + " encoded bytes exceeds maxCommandBytes " + config.replicaOptions().maxCommandBytes()));
        }
    }

    private void startRead(byte[] query, CompletableFuture<byte[]> future) {
        long readId = ++nextReadId;
        pendingReads.put(readId, new PendingRead(query, future));
        replica.read(readId);
    }

    /** Drains the replica's output, following the {@link Ready} contract step by step. */
    private void processReadies() {
        while (true) {
            Ready ready = replica.ready();
            if (ready.isEmpty()) {
                break;
            }
            // 1. Messages that do not depend on this replica's disk (the leader's accepts among them: it
            //    counts its own acceptance only once persisted() says it is durable).
            for (Message m : ready.sendNow()) {
                transport.send(m);
            }
            // 2. The durable part goes to the sync thread with the next batch.
            boolean writes = ready.promise() != null || !ready.entries().isEmpty()
                    || ready.chosenIndex() > chosenIndexStaged;
            if (writes || ready.mustSync()) {
                staged.add(ready);
                stagedNeedsSync |= ready.mustSync();
                chosenIndexStaged = Math.max(chosenIndexStaged, ready.chosenIndex());
            }
            // 3-4. sendAfterSync and persisted() wait for the fsync, and for every earlier Ready's.
            if (ready.mustSync() || !awaitingSync.isEmpty()) {
                awaitingSync.add(ready);
            } else {
                completeDurable(ready);
            }
            // 5. Chosen commands and reads do not depend on this replica's disk: a quorum made them durable.
            if (ready.restoreSnapshot() != null) {
                throw new IllegalStateException("replica " + nodeId + " was sent a snapshot at index "
                        + ready.restoreSnapshot().index() + ", which this driver cannot install yet");
            }
            for (Entry entry : ready.committed()) {
                apply(entry);
            }
            for (ReadState read : ready.reads()) {
                answerRead(read);
            }
            // 6. Snapshot transfers (none: this driver never compacts) and commands that were never proposed.
            if (!ready.snapshotSends().isEmpty() && !warnedSnapshotSend) {
                warnedSnapshotSend = true;
                LOG.log(System.Logger.Level.WARNING, "replica " + nodeId + " asked to send a snapshot; not supported");
            }
            for (Command c : ready.abandoned()) {
                CompletableFuture<byte[]> f = pendingCommands.remove(new ClientKey(c.clientId(), c.sequence()));
                if (f != null) {
                    fail(f, new NotLeaderException(nodeId, leaderHint(),
                            "leadership lost before the command was proposed; it was not chosen, retry it"));
                }
            }
        }
        boolean leader = replica.role() == Role.LEADER;
        if (wasLeader && !leader && !pendingCommands.isEmpty()) {
            // Commands already in proposed slots may still be chosen by the next leader, or replaced by no-ops:
            // only a retry with the same sequence number can find out.
            NotLeaderException e = new NotLeaderException(nodeId, leaderHint(),
                    "leadership lost; the command may or may not be chosen, retry it with the same sequence number");
            for (CompletableFuture<byte[]> f : pendingCommands.values()) {
                fail(f, e);
            }
            pendingCommands.clear();
        }
        wasLeader = leader;
    }

    private void completeDurable(Ready ready) {
        for (Message m : ready.sendAfterSync()) {
            transport.send(m);
        }
        replica.persisted(ready.id());
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
        if (c.synced()) {
            groupCommits++;
            readiesSynced += c.readies();
            lastSyncedReadyId = Math.max(lastSyncedReadyId, c.lastReadyId());
        }
        while (!awaitingSync.isEmpty()) {
            Ready head = awaitingSync.peek();
            if (head.mustSync() && head.id() > lastSyncedReadyId) {
                break;
            }
            awaitingSync.poll();
            completeDurable(head);
        }
    }

    private void apply(Entry entry) {
        if (entry.slot() != appliedIndex + 1) {
            throw new AssertionError("replica " + nodeId + " was handed slot " + entry.slot() + " to apply after "
                    + appliedIndex);
        }
        appliedIndex = entry.slot();
        slotsApplied++;
        if (entry.value() instanceof Value.Batch batch) {
            for (Command c : batch.commands()) {
                applyCommand(entry.slot(), c);
            }
        }
        serveReadsUpTo(appliedIndex);
    }

    private void applyCommand(long slot, Command c) {
        CompletableFuture<byte[]> future = pendingCommands.remove(new ClientKey(c.clientId(), c.sequence()));
        ExactlyOnceStateMachine.Applied applied;
        try {
            applied = machine.apply(slot, c);
        } catch (RuntimeException e) {
            // Deterministic: the same bytes throw on every replica, so the replicas stay equal. Failing the one
            // command keeps a single malformed request from stopping every replica of the group.
            LOG.log(System.Logger.Level.WARNING, "replica " + nodeId + ": state machine rejected command "
                    + c + " in slot " + slot + ": " + e);
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
            LOG.log(System.Logger.Level.ERROR, "replica " + nodeId + ": apply listener failed on slot " + slot, e);
        }
        if (future == null) {
            return;
        }
        if (applied.duplicate() && machine.lastSequence(c.clientId()) > c.sequence()) {
            fail(future, new StaleCommandException("client " + c.clientId() + " already had sequence "
                    + machine.lastSequence(c.clientId()) + " applied; the result of " + c.sequence()
                    + " is no longer kept"));
        } else {
            succeed(future, applied.result());
        }
    }

    private void answerRead(ReadState state) {
        PendingRead read = pendingReads.remove(state.readId());
        if (read == null) {
            return;
        }
        if (!state.ok()) {
            fail(read.future(), new NotLeaderException(nodeId, leaderHint(), "reads are served by the leader"));
        } else if (appliedIndex >= state.index()) {
            serve(read);
        } else {
            readsAwaitingApply.computeIfAbsent(state.index(), i -> new ArrayList<>()).add(read);
        }
    }

    private void serveReadsUpTo(long index) {
        while (!readsAwaitingApply.isEmpty() && readsAwaitingApply.firstKey() <= index) {
            for (PendingRead read : readsAwaitingApply.pollFirstEntry().getValue()) {
                serve(read);
            }
        }
    }

    private void serve(PendingRead read) {
        byte[] answer;
        try {
            answer = machine.inner().query(read.query());
        } catch (RuntimeException e) {
            fail(read.future(), new IllegalArgumentException("the state machine rejected the query: " + e.getMessage(), e));
            return;
        }
        succeed(read.future(), answer);
    }

    private int leaderHint() {
        int hint = replica.leaderHint();
        return hint == Replica.NO_NODE ? NotLeaderException.UNKNOWN_LEADER : hint;
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
        DriverStatus previous = status;
        DriverStatus next = new DriverStatus(nodeId, running, replica.role(), leaderHint(), replica.chosenIndex(),
                appliedIndex);
        if (next.equals(previous)) {
            return;
        }
        status = next;
        signalStatus();
        if (previous.role() != next.role() || previous.leaderHint() != next.leaderHint()
                || previous.running() != next.running()) {
            if (previous.role() != next.role() && (previous.role() == Role.LEADER || next.role() == Role.LEADER)) {
                LOG.log(System.Logger.Level.INFO, "replica " + nodeId + ": " + previous.role() + " -> " + next.role()
                        + " at chosen index " + next.chosenIndex());
            }
            runStatusListener();
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

    private void runStatusListener() {
        try {
            config.statusListener().run();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "replica " + nodeId + ": status listener failed", e);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Stopping.

    /** A write or fsync failed: the storage is unusable and the driver must stop. */
    private static final class StorageFailure extends Exception {
        StorageFailure(Throwable cause) {
            super(cause);
        }
    }

    private ReplicaStoppedException stoppedException() {
        Throwable f = failure;
        if (f == null) {
            return new ReplicaStoppedException("replica " + nodeId + " is closed", null);
        }
        return new ReplicaStoppedException("replica " + nodeId + " stopped after a fatal error: " + f.getMessage(), f);
    }

    private void shutdown(Throwable fatal) {
        if (fatal instanceof StorageFailure sf) {
            failure = new IOException("write or fsync of the replica log failed (" + sf.getCause().getMessage()
                    + "); not retried, because the kernel may have dropped the unsynced pages. Restart the replica:"
                    + " it recovers from what is durable and catches up from its peers", sf.getCause());
            LOG.log(System.Logger.Level.ERROR, "replica " + nodeId + " stopped: " + failure.getMessage());
        } else if (fatal != null) {
            failure = fatal;
            LOG.log(System.Logger.Level.ERROR, "replica " + nodeId + " stopped by an unexpected error", fatal);
        }
        running = false;
        ReplicaStoppedException stopped = stoppedException();
        for (CompletableFuture<byte[]> f : pendingCommands.values()) {
            f.completeExceptionally(stopped);
        }
        pendingCommands.clear();
        for (PendingRead r : pendingReads.values()) {
            r.future().completeExceptionally(stopped);
        }
        pendingReads.clear();
        for (List<PendingRead> reads : readsAwaitingApply.values()) {
            for (PendingRead r : reads) {
                r.future().completeExceptionally(stopped);
            }
        }
        readsAwaitingApply.clear();
        failQueuedEvents();
        // A clean stop hands everything produced so far to the disk, so a restart on this directory finds it
        // (written, not synced: nothing was acknowledged on the strength of these bytes). After a storage
        // failure nothing more is written.
        if (failure == null && !staged.isEmpty()) {
            committer.commit(List.copyOf(staged), stagedNeedsSync);
            staged.clear();
        }
        committer.close(STOP_TIMEOUT);
        transport.close();
        try {
            lock.release();
            lockChannel.close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "replica " + nodeId + ": releasing the directory lock failed: " + e);
        }
        publishStatus();
        signalStatus();
        LOG.log(System.Logger.Level.INFO, "replica " + nodeId + " stopped at applied index " + appliedIndex);
    }

    private void failQueuedEvents() {
        ReplicaStoppedException stopped = null;
        Event e;
        while ((e = inbox.poll()) != null) {
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
