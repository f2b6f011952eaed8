package io.bulwark.client;

import io.bulwark.client.protocol.NodeStatus;
import io.bulwark.client.protocol.Topology;
import io.bulwark.client.protocol.Wire;
import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.paxos.kv.KvResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Java client of a Bulwark cluster.
 *
 * <h2>What it does for you</h2>
 * <ul>
 *   <li><b>Routing.</b> A key's partition is computed here ({@link Topology#partitionOf}); the request goes to
 *       the replica believed to lead that partition (learned from the topology and from every redirect).
 *       {@code NOT_LEADER} answers, dead or paused nodes and elections are handled inside: the client tries
 *       the hinted leader, then the other replicas, with jittered backoff, until the request timeout.</li>
 *   <li><b>Exactly once.</b> Every write is tagged with a session id and sequence number; retries reuse them,
 *       so a write retried after a lost answer or a leader change is applied once. A session carries one write
 *       at a time; the client keeps a pool of them for concurrent writes.</li>
 *   <li><b>Integrity.</b> Every value travels with the CRC32C computed here; the node checks it before
 *       storing and on every read, and a damaged value is an error ({@link CorruptValueException}), never data.
 *       Frames are checksummed on the wire too.</li>
 *   <li><b>Linearizable</b> gets and scans, through the partition leader's read index.</li>
 * </ul>
 *
 * <h2>Errors</h2>
 * {@link UnavailableException} (no replica could answer in time), {@link OperationTimeoutException},
 * {@link CorruptValueException}, {@link InvalidRequestException}; all are {@link BulwarkException}s. After an
 * unavailable or timed-out write the write may or may not have been applied.
 *
 * <p>Thread-safety: thread-safe; share one client. The futures of the {@code *Async} methods complete on the
 * client's I/O threads: attach only short, non-blocking actions, or use the {@code *Async} variants of
 * {@link CompletableFuture}.
 */
public final class BulwarkClient implements AutoCloseable {

    /** Largest value, in bytes. */
    public static final int MAX_VALUE_BYTES = 60 << 10;
    /**
     * Largest value of a reserved key (the cluster's own records, written through {@link ClusterAdmin}): the
     * cluster record holds two definitions with the placement of every partition, up to 4,096 of them.
     */
    public static final int MAX_RESERVED_VALUE_BYTES = 1 << 20;
    private static final long MIN_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    /** How often request deadlines are checked: an attempt's timeout is honoured to within this. */
    private static final long EXPIRY_SWEEP_MS = 20;

    private final ClientOptions options;
    private volatile Topology topology;
    private final AtomicIntegerArray leaders;
    private final Map<Integer, NodeConnection> connections = new ConcurrentHashMap<>();
    private final Object connectLock = new Object();
    private final ConcurrentLinkedDeque<Session> sessions = new ConcurrentLinkedDeque<>();
    private final SecureRandom ids = new SecureRandom();
    private final ScheduledExecutorService timer;
    private final AtomicLong retries = new AtomicLong();
    /** Nodes the admin said to reach although the topology may not list them (joining or leaving). */
    private final Map<Integer, Topology.Member> extraMembers = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean refreshing = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long lastRefreshNanos = System.nanoTime();
    /** A topology refresh is asked for at most this often (redirects to unknown nodes, partitions moved). */
    private static final long REFRESH_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
    private volatile boolean closed;
    private final TxnRunner transactions = new TxnRunner(this);
    /** Names this client's transactions: random per client, then counted. */
    private final long txnPrefix = new SecureRandom().nextLong();
    private final AtomicLong txnCounter = new AtomicLong();

    /** One exactly-once session: a random id and the last sequence number used. One write at a time. */
    private static final class Session {
        final long clientId;
        long sequence;

        Session(long clientId) {
            this.clientId = clientId;
        }
    }

    private BulwarkClient(ClientOptions options, Topology topology) {
        this.options = options;
        this.topology = topology;
        this.leaders = new AtomicIntegerArray(topology.leaderHints());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "bulwark-client-timer");
            t.setDaemon(true);
            return t;
        });
        // One sweep for every connection's request deadlines instead of a timer task per request.
        timer.scheduleWithFixedDelay(() -> {
            long now = System.nanoTime();
            for (NodeConnection c : connections.values()) {
                c.expire(now);
            }
        }, EXPIRY_SWEEP_MS, EXPIRY_SWEEP_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to the cluster through the first reachable seed and learns its topology.
     *
     * @throws UnavailableException if no seed answers
     */
    public static BulwarkClient connect(ClientOptions options) {
        Objects.requireNonNull(options, "options");
        List<String> failures = new ArrayList<>();
        for (InetSocketAddress seed : options.seeds()) {
            InetSocketAddress resolved = new InetSocketAddress(seed.getHostString(), seed.getPort());
            try (NodeConnection c = NodeConnection.open(-1, resolved, (int) options.connectTimeout().toMillis())) {
                long id = c.nextRequestId();
                Wire.Response r = c.send(id, Wire.topologyRequest(id), options.attemptTimeout().toNanos() * 3)
                        .get(options.attemptTimeout().toMillis() * 3, TimeUnit.MILLISECONDS);
                if (r.status() != Wire.OK) {
                    failures.add(seed + ": " + r.message());
                    continue;
                }
                return new BulwarkClient(options, Topology.decode(r.body()));
            } catch (IOException | ExecutionException | java.util.concurrent.TimeoutException e) {
                failures.add(seed + ": " + rootMessage(e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new UnavailableException("interrupted while connecting");
            }
        }
        throw new UnavailableException("no Bulwark node answered: " + String.join("; ", failures));
    }

    /** Connects through {@code host:port[,host:port...]}. */
    public static BulwarkClient connect(String endpoints) {
        return connect(ClientOptions.parse(endpoints));
    }

    /** The routing table, with the leader hints learned so far. */
    public Topology topology() {
        Topology t = topology;
        int[] hints = new int[t.groups()];
        for (int p = 0; p < hints.length; p++) {
            hints[p] = leaders.get(p);
        }
        return new Topology(t.partitions(), t.replicationFactor(), t.members(), t.replicas(), hints);
    }

    /** The partition {@code key} belongs to. */
    public int partitionOf(byte[] key) {
        return topology.partitionOf(key);
    }

    /** Requests retried so far (redirects, lost connections, elections). */
    public long retries() {
        return retries.get();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Operations.

    /** The value of {@code key}, or null if it has none. Linearizable. */
    public byte[] get(byte[] key) {
        return join(getAsync(key));
    }

    public CompletableFuture<byte[]> getAsync(byte[] key) {
        KvCommand.Get get = checked(() -> KvCommand.get(key));
        return kv(topology.partitionOf(key), false, get.encode()).thenApply(r -> ((KvResult.Found) r).value());
    }

    /** Sets {@code key} to {@code value}. */
    public void put(byte[] key, byte[] value) {
        join(putAsync(key, value));
    }

    public CompletableFuture<Void> putAsync(byte[] key, byte[] value) {
        checkWritable(key);
        checkValue(value);
        KvCommand.Put put = checked(() -> KvCommand.put(key, value));
        return kv(topology.partitionOf(key), true, put.encode()).thenApply(r -> null);
    }

    /** Removes {@code key} (no error if it has no value). */
    public void delete(byte[] key) {
        join(deleteAsync(key));
    }

    public CompletableFuture<Void> deleteAsync(byte[] key) {
        checkWritable(key);
        KvCommand.Delete del = checked(() -> KvCommand.delete(key));
        return kv(topology.partitionOf(key), true, del.encode()).thenApply(r -> null);
    }

    /**
     * Sets {@code key} to {@code value} only if its current value equals {@code expected} ({@code null}: only
     * if it has none), atomically.
     *
     * @return whether the value was set
     */
    public boolean compareAndSet(byte[] key, byte[] expected, byte[] value) {
        return join(compareAndSetAsync(key, expected, value));
    }

    public CompletableFuture<Boolean> compareAndSetAsync(byte[] key, byte[] expected, byte[] value) {
        checkWritable(key);
        checkValue(value);
        KvCommand.CompareAndSet cas = checked(() -> KvCommand.compareAndSet(key, expected, value));
        return kv(topology.partitionOf(key), true, cas.encode()).thenApply(r -> ((KvResult.CasOutcome) r).succeeded());
    }

    /**
     * Reads a reserved key from the metadata group ({@link Topology#metadataGroup()}), or from the key's partition
     * in a cluster without one. Linearizable.
     */
    CompletableFuture<byte[]> getMetadataAsync(byte[] key) {
        KvCommand.Get get = checked(() -> KvCommand.get(key));
        return kv(metadataGroupFor(key), false, get.encode()).thenApply(r -> ((KvResult.Found) r).value());
    }

    /** Compare-and-set of a reserved key in the metadata group (see {@link #getMetadataAsync}). */
    CompletableFuture<Boolean> compareAndSetMetadataAsync(byte[] key, byte[] expected, byte[] value) {
        if (!isReserved(key)) {
            throw new InvalidRequestException("only the cluster's reserved keys live in the metadata group");
        }
        checkValue(value, MAX_RESERVED_VALUE_BYTES);
        KvCommand.CompareAndSet cas = checked(() -> KvCommand.compareAndSet(key, expected, value));
        return kv(metadataGroupFor(key), true, cas.encode()).thenApply(r -> ((KvResult.CasOutcome) r).succeeded());
    }

    private int metadataGroupFor(byte[] key) {
        Topology t = topology;
        return t.hasMetadataGroup() ? t.metadataGroup() : t.partitionOf(key);
    }

    /**
     * The keys of one partition in {@code [start, end)} (unsigned byte order), at most {@code limit}.
     * Linearizable.
     *
     * @param start first key, or an empty array for the partition's first key
     * @param end   exclusive end, or null for no bound
     */
    public KvResult.Entries scan(int partition, byte[] start, byte[] end, int limit) {
        return join(scanAsync(partition, start, end, limit));
    }

    public CompletableFuture<KvResult.Entries> scanAsync(int partition, byte[] start, byte[] end, int limit) {
        if (partition < 0 || partition >= topology.partitions()) {
            throw new InvalidRequestException("partition " + partition + " outside [0, " + topology.partitions() + ")");
        }
        KvCommand.Scan scan = checked(() -> KvCommand.scan(start, end, limit));
        return kv(partition, false, scan.encode()).thenApply(r -> (KvResult.Entries) r);
    }

    /**
     * The keys in {@code [start, end)} across every partition, merged in key order, at most {@code limit}.
     * Each partition is read linearizably, but the partitions are read one after another, not at one instant.
     */
    public List<KvResult.KeyValue> scanAll(byte[] start, byte[] end, int limit) {
        List<CompletableFuture<KvResult.Entries>> parts = new ArrayList<>();
        for (int p = 0; p < topology.partitions(); p++) {
            parts.add(scanAsync(p, start, end, limit));
        }
        List<KvResult.KeyValue> all = new ArrayList<>();
        for (CompletableFuture<KvResult.Entries> f : parts) {
            all.addAll(join(f).entries());
        }
        all.sort(Comparator.comparing(KvResult.KeyValue::key, Arrays::compareUnsigned));
        return all.size() > limit ? List.copyOf(all.subList(0, limit)) : all;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Transactions.

    /** Default time a transaction has to commit, from {@link #begin()}: after it the cluster may abort it. */
    public static final java.time.Duration DEFAULT_TRANSACTION_TIMEOUT = java.time.Duration.ofSeconds(10);

    /** Starts a serializable transaction with {@link #DEFAULT_TRANSACTION_TIMEOUT}. */
    public Transaction begin() {
        return begin(DEFAULT_TRANSACTION_TIMEOUT);
    }

    /** Starts a serializable transaction that must commit within {@code timeout}. */
    public Transaction begin(java.time.Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new InvalidRequestException("a transaction timeout must be positive, was " + timeout);
        }
        if (closed) {
            throw new UnavailableException("the client is closed");
        }
        return new Transaction(this, transactions, new io.bulwark.txn.TxnId(txnPrefix, txnCounter.incrementAndGet()),
                System.currentTimeMillis() + timeout.toMillis());
    }

    /** The work of a transaction: reads and writes through {@code tx}, returning a result. */
    @FunctionalInterface
    public interface TransactionBody<T> {
        T run(Transaction tx);
    }

    /** Transactions retried after a conflict so far. */
    public long transactionRetries() {
        return transactionRetries.get();
    }

    private final AtomicLong transactionRetries = new AtomicLong();

    /**
     * Runs {@code body} in a transaction and commits it, running it again (with jittered backoff) whenever it
     * loses a conflict, until it commits or the request timeout has passed; returns what the committed run
     * returned. {@code body} may run more than once, so it must have no effects outside the transaction. An
     * exception from {@code body} rolls the transaction back and is rethrown.
     *
     * @throws TransactionConflictException if it still conflicts when the request timeout is over
     */
    public <T> T transact(TransactionBody<T> body) {
        Objects.requireNonNull(body, "body");
        long deadline = System.nanoTime() + options.requestTimeout().toNanos();
        long backoff = MIN_BACKOFF_NANOS;
        while (true) {
            try (Transaction tx = begin()) {
                T result = body.run(tx);
                tx.commit();
                return result;
            } catch (TransactionConflictException e) {
                if (System.nanoTime() - deadline >= 0) {
                    throw e;
                }
                transactionRetries.incrementAndGet();
                long sleep = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_NANOS);
                java.util.concurrent.locks.LockSupport.parkNanos(sleep);
                if (Thread.interrupted()) {
                    Thread.currentThread().interrupt();
                    throw new BulwarkException("interrupted while retrying a transaction", e);
                }
            }
        }
    }

    /**
     * Finds the outcome of transaction {@code txn} (forcing it if {@code force}) and resolves it at its
     * partitions: what a node's sweeper runs for a transaction overdue on one of its partitions.
     *
     * @return the verdict: COMMITTED, ABORTED, PENDING (still running, not forced) or UNDECIDABLE
     */
    public CompletableFuture<io.bulwark.txn.Recovery.Verdict> finishTransaction(io.bulwark.txn.TxnId txn, int home,
            long deadline, boolean force, int foundAt) {
        io.bulwark.txn.Recovery r = new io.bulwark.txn.Recovery(txn, home, deadline,
                force ? io.bulwark.txn.Recovery.Mode.FORCE : io.bulwark.txn.Recovery.Mode.CHECK, List.of(foundAt));
        return transactions.recover(r).thenCompose(done -> {
            if (done.verdict() == io.bulwark.txn.Recovery.Verdict.COMMITTED
                    || done.verdict() == io.bulwark.txn.Recovery.Verdict.ABORTED) {
                return transactions.resolve(done.resolutions(), done.verdict() == io.bulwark.txn.Recovery.Verdict.COMMITTED)
                        .thenApply(v -> done.verdict());
            }
            return CompletableFuture.completedFuture(done.verdict());
        });
    }

    /**
     * Sends one transaction-protocol command to a partition's leader and returns its answer: low-level access for
     * tools (inspecting a transaction's state with {@link io.bulwark.txn.TxnCommand.Status}) and protocol tests.
     * Applications use {@link #begin()} and {@link #transact}.
     */
    public CompletableFuture<io.bulwark.txn.TxnResult> transactionCommand(int partition, io.bulwark.txn.TxnCommand command) {
        if (partition < 0 || partition >= topology.partitions()) {
            throw new InvalidRequestException("partition " + partition + " outside [0, " + topology.partitions() + ")");
        }
        return transactions.call(new io.bulwark.txn.Commit.Request(partition, Objects.requireNonNull(command, "command")));
    }

    /** Completes after {@code nanos} on the client's timer. */
    CompletableFuture<Void> delay(long nanos) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        try {
            timer.schedule(() -> f.complete(null), nanos, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            f.completeExceptionally(new UnavailableException("the client is closed"));
        }
        return f;
    }

    /** What node {@code nodeId} reports about its replicas. */
    public NodeStatus status(int nodeId) {
        Topology.Member m = member(nodeId);
        if (m == null) {
            throw new InvalidRequestException("node " + nodeId + " is not a member of the cluster");
        }
        try {
            NodeConnection c = connection(nodeId);
            long id = c.nextRequestId();
            Wire.Response r = c.send(id, Wire.statusRequest(id), options.attemptTimeout().toNanos())
                    .get(options.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
            if (r.status() != Wire.OK) {
                throw new UnavailableException("node " + nodeId + ": " + r.message());
            }
            return NodeStatus.decode(r.body());
        } catch (IOException | ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new UnavailableException("node " + nodeId + " did not answer: " + rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted");
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // The retry machine.

    private final class Operation {
        final int partition;
        final boolean write;
        final byte[] command;
        final Session session;
        final long sequence;
        final long deadline;
        final CompletableFuture<byte[]> result = new CompletableFuture<>();
        int attempts;
        long backoff = MIN_BACKOFF_NANOS;
        String lastError = "no attempt made";

        Operation(int partition, boolean write, byte[] command) {
            this.partition = partition;
            this.write = write;
            this.command = command;
            this.deadline = System.nanoTime() + options.requestTimeout().toNanos();
            if (write) {
                Session s = sessions.pollFirst();
                this.session = s != null ? s : new Session(ids.nextLong());
                this.sequence = ++session.sequence;
            } else {
                this.session = null;
                this.sequence = 0;
            }
        }

        void finish(byte[] r, Throwable error) {
            if (session != null) {
                sessions.addFirst(session);
            }
            if (error != null) {
                result.completeExceptionally(error);
            } else {
                result.complete(r);
            }
        }
    }

    /**
     * Sends one command to a partition's leader, retrying inside (redirects, elections, lost connections) until
     * the request timeout; completes with the state machine's answer, undecoded. A write goes through the log
     * with a fresh exactly-once sequence number; a read is served by the leader's read index.
     */
    CompletableFuture<byte[]> raw(int partition, boolean write, byte[] command) {
        Operation op = new Operation(partition, write, command);
        attempt(op);
        return op.result;
    }

    /**
     * A plain KV operation: decoded, a damaged value turned into {@link CorruptValueException}, and a key held by
     * an unfinished transaction helped along (the transaction's outcome found, or forced past its deadline, and
     * its intents resolved) and the operation sent again — as a new command, since the refused one did nothing.
     */
    private CompletableFuture<KvResult> kv(int partition, boolean write, byte[] command) {
        return kv(partition, write, command, System.nanoTime() + options.requestTimeout().toNanos());
    }

    private CompletableFuture<KvResult> kv(int partition, boolean write, byte[] command, long deadlineNanos) {
        return kv(partition, write, command, deadlineNanos, null, 0);
    }

    private CompletableFuture<KvResult> kv(int partition, boolean write, byte[] command, long deadlineNanos,
                                           io.bulwark.txn.TxnId lastHolder, int waits) {
        return raw(partition, write, command).thenCompose(body -> {
            KvResult result;
            try {
                result = KvResult.decode(body);
            } catch (IllegalArgumentException e) {
                return CompletableFuture.failedFuture(new BulwarkException("partition " + partition
                        + " sent a malformed answer: " + e.getMessage()));
            }
            if (result instanceof KvResult.Corrupt c) {
                return CompletableFuture.failedFuture(new CorruptValueException("partition " + partition + ": "
                        + c.detail()));
            }
            if (result instanceof KvResult.Locked l) {
                if (System.nanoTime() - deadlineNanos >= 0) {
                    return CompletableFuture.failedFuture(new OperationTimeoutException("partition " + partition
                            + ": the key is still held by transaction " + new io.bulwark.txn.TxnId(l.txnHigh(), l.txnLow())
                            + " after " + options.requestTimeout().toMillis() + " ms"));
                }
                io.bulwark.txn.TxnResult.Locked holder = io.bulwark.txn.TxnResult.Locked.of(l);
                int n = holder.txn().equals(lastHolder) ? waits + 1 : 0;
                return transactions.help(holder, partition, n)
                        .thenCompose(v -> kv(partition, write, command, deadlineNanos, holder.txn(), n));
            }
            return CompletableFuture.completedFuture(result);
        });
    }

    private void attempt(Operation op) {
        if (closed) {
            op.finish(null, new UnavailableException("the client is closed"));
            return;
        }
        long now = System.nanoTime();
        if (now - op.deadline >= 0) {
            op.finish(null, new UnavailableException("partition " + op.partition + " did not answer within "
                    + options.requestTimeout().toMillis() + " ms after " + op.attempts + " attempts"
                    + (op.write ? " (the write may or may not have been applied)" : "") + "; last error: "
                    + op.lastError));
            return;
        }
        op.attempts++;
        int target = target(op.partition);
        NodeConnection c;
        try {
            c = connection(target);
        } catch (IOException e) {
            op.lastError = e.getMessage();
            moveOn(op.partition, target);
            refreshTopology(); // the node may have left the cluster
            retryLater(op);
            return;
        }
        long id = c.nextRequestId();
        byte[] payload = op.write ? Wire.writeRequest(id, op.partition, op.session.clientId, op.sequence, op.command)
                : Wire.readRequest(id, op.partition, op.command);
        long attemptNanos = Math.min(options.attemptTimeout().toNanos(), Math.max(1, op.deadline - now));
        c.send(id, payload, attemptNanos).whenComplete((r, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                op.lastError = cause instanceof java.util.concurrent.TimeoutException
                        ? "node " + target + " did not answer within " + TimeUnit.NANOSECONDS.toMillis(attemptNanos) + " ms"
                        : String.valueOf(cause.getMessage());
                moveOn(op.partition, target);
                retryLater(op);
                return;
            }
            onResponse(op, target, r);
        });
    }

    private void onResponse(Operation op, int target, Wire.Response r) {
        switch (r.status()) {
            case Wire.OK -> {
                leaders.set(op.partition, target);
                op.finish(r.body(), null);
            }
            case Wire.NOT_LEADER -> {
                op.lastError = r.message();
                int hint = r.leaderHint();
                if (hint >= 0 && (topology.member(hint) == null || !isReplica(op.partition, hint))) {
                    refreshTopology(); // a leader this client does not know of: members or replicas changed
                }
                if (hint >= 0 && hint != target && isReplica(op.partition, hint)) {
                    leaders.set(op.partition, hint);
                    retries.incrementAndGet();
                    attempt(op); // a fresh hint: no reason to wait
                } else {
                    moveOn(op.partition, target);
                    retryLater(op);
                }
            }
            case Wire.OVERLOADED -> {
                op.lastError = r.message();
                retryLater(op);
            }
            case Wire.BAD_REQUEST -> op.finish(null, new InvalidRequestException(r.message()));
            case Wire.NOT_HOSTED -> {
                op.lastError = r.message();
                refreshTopology();
                moveOn(op.partition, target);
                retryLater(op);
            }
            case Wire.STALE -> op.finish(null, new BulwarkException("write superseded: " + r.message()));
            default -> {
                op.lastError = r.message();
                moveOn(op.partition, target);
                retryLater(op);
            }
        }
    }

    /**
     * Fetches the topology again (members, replica sets, leaders) from a node that answers, in the
     * background, at most every 200 ms: partitions move when nodes join or leave.
     */
    void refreshTopology() {
        long now = System.nanoTime();
        if (now - lastRefreshNanos < REFRESH_INTERVAL_NANOS || !refreshing.compareAndSet(false, true)) {
            return;
        }
        lastRefreshNanos = now;
        try {
            timer.execute(() -> {
                try {
                    fetchTopology();
                } finally {
                    refreshing.set(false);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            refreshing.set(false);
        }
    }

    private void fetchTopology() {
        List<Topology.Member> candidates = new ArrayList<>(topology.members());
        java.util.Collections.shuffle(candidates);
        for (Topology.Member m : candidates) {
            try {
                NodeConnection c = connection(m.id());
                long id = c.nextRequestId();
                Wire.Response r = c.send(id, Wire.topologyRequest(id), options.attemptTimeout().toNanos())
                        .get(options.attemptTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
                if (r.status() != Wire.OK) {
                    continue;
                }
                Topology fresh = Topology.decode(r.body());
                if (fresh.partitions() != topology.partitions() || fresh.groups() != leaders.length()) {
                    continue; // another cluster answered: keep what we have
                }
                topology = fresh;
                for (int p = 0; p < fresh.groups(); p++) {
                    int hint = fresh.leaderHints()[p];
                    if (hint >= 0) {
                        leaders.set(p, hint);
                    } else if (!isReplica(p, leaders.get(p))) {
                        leaders.set(p, -1);
                    }
                }
                return;
            } catch (IOException | ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
                // try the next node
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Admin requests (see ClusterAdmin).

    /** Sends an admin request to {@code nodeId} and waits for its answer. */
    Wire.Response adminCall(int nodeId, java.util.function.LongFunction<byte[]> request) {
        try {
            NodeConnection c = connection(nodeId);
            return adminCall(c, request);
        } catch (IOException e) {
            throw new UnavailableException("node " + nodeId + " did not answer: " + e.getMessage(), e);
        }
    }

    static Wire.Response adminCall(NodeConnection c, java.util.function.LongFunction<byte[]> request) {
        long id = c.nextRequestId();
        try {
            return c.send(id, request.apply(id), TimeUnit.SECONDS.toNanos(30)).get(31, TimeUnit.SECONDS);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new UnavailableException("node " + c.nodeId() + " did not answer: " + rootMessage(e), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UnavailableException("interrupted");
        }
    }

    private Topology.Member member(int nodeId) {
        Topology.Member m = topology.member(nodeId);
        return m != null ? m : extraMembers.get(nodeId);
    }

    void knowMember(Topology.Member m) {
        extraMembers.put(m.id(), m);
    }

    int connectTimeoutMs() {
        return (int) options.connectTimeout().toMillis();
    }

    private void retryLater(Operation op) {
        retries.incrementAndGet();
        long delay = op.backoff / 2 + ThreadLocalRandom.current().nextLong(op.backoff / 2 + 1);
        op.backoff = Math.min(op.backoff * 2, MAX_BACKOFF_NANOS);
        try {
            timer.schedule(() -> attempt(op), delay, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            op.finish(null, new UnavailableException("the client is closed"));
        }
    }

    private boolean isReplica(int partition, int node) {
        if (node < 0) {
            return false;
        }
        for (int id : topology.replicas()[partition]) {
            if (id == node) {
                return true;
            }
        }
        return false;
    }

    /** The node to try for a partition: the believed leader, else its first replica. */
    private int target(int partition) {
        int hint = leaders.get(partition);
        return hint >= 0 ? hint : topology.replicas()[partition][0];
    }

    /** {@code failed} did not serve {@code partition}: try the next replica after it. */
    private void moveOn(int partition, int failed) {
        int[] replicas = topology.replicas()[partition];
        int next = replicas[0];
        for (int i = 0; i < replicas.length; i++) {
            if (replicas[i] == failed) {
                next = replicas[(i + 1) % replicas.length];
                break;
            }
        }
        int current = leaders.get(partition);
        if (current == failed || current < 0) {
            // Another operation may have learned the real leader meanwhile: only replace what failed.
            leaders.compareAndSet(partition, current, next);
        }
    }

    private NodeConnection connection(int nodeId) throws IOException {
        NodeConnection c = connections.get(nodeId);
        if (c != null && c.isOpen()) {
            return c;
        }
        synchronized (connectLock) {
            c = connections.get(nodeId);
            if (c != null && c.isOpen()) {
                return c;
            }
            Topology.Member m = member(nodeId);
            if (m == null) {
                throw new IOException("node " + nodeId + " is not in the topology");
            }
            NodeConnection opened = NodeConnection.open(nodeId, m.clientAddress(),
                    (int) options.connectTimeout().toMillis());
            if (closed) {
                opened.close();
                throw new IOException("the client is closed");
            }
            connections.put(nodeId, opened);
            return opened;
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    private interface Build<T> {
        T get();
    }

    private static <T> T checked(Build<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(e.getMessage(), e);
        }
    }

    private static final byte[] RESERVED_PREFIX = "\0bulwark/".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /**
     * True for keys the cluster reserves for its own records: those that start with a zero byte followed by
     * {@code bulwark/}. Clients may read them; writes are refused with {@link InvalidRequestException}.
     */
    public static boolean isReserved(byte[] key) {
        return key != null && key.length >= RESERVED_PREFIX.length
                && java.util.Arrays.equals(key, 0, RESERVED_PREFIX.length, RESERVED_PREFIX, 0, RESERVED_PREFIX.length);
    }

    static void checkWritable(byte[] key) {
        if (isReserved(key)) {
            throw new InvalidRequestException("keys starting with a zero byte and 'bulwark/' are reserved for the"
                    + " cluster's own records; they can be read, not written");
        }
    }

    private static void checkValue(byte[] value) {
        checkValue(value, MAX_VALUE_BYTES);
    }

    private static void checkValue(byte[] value, int limit) {
        if (value == null) {
            throw new InvalidRequestException("value must not be null (use delete to remove a key)");
        }
        if (value.length > limit) {
            throw new InvalidRequestException("value of " + value.length + " bytes exceeds " + limit);
        }
    }

    static <T> T join(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            Throwable c = e.getCause();
            if (c instanceof BulwarkException be) {
                // Re-throw a copy so the caller's stack is in the trace too.
                throw be;
            }
            throw new BulwarkException(String.valueOf(c), c);
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() != null ? t.getMessage() : t.toString();
    }

    /** Closes every connection; operations in flight fail with {@link UnavailableException}. */
    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        synchronized (connectLock) {
            for (NodeConnection c : connections.values()) {
                c.close();
            }
            connections.clear();
        }
    }
}
