package io.bulwark.lock.redis;

import io.bulwark.lock.BackendUnavailableException;
import io.bulwark.lock.LockInfo;
import io.bulwark.lock.LockKind;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.LockTimer;
import io.bulwark.lock.spi.AbandonRequest;
import io.bulwark.lock.spi.AcquireOutcome;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.LockBackend;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.RejectReason;
import io.bulwark.lock.spi.ReleaseOutcome;
import io.bulwark.lock.spi.ReleaseRequest;
import io.bulwark.lock.spi.RenewOutcome;
import io.bulwark.lock.spi.RenewRequest;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.event.connection.ConnectionActivatedEvent;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link LockBackend} on one Redis primary, through Lettuce. Create it with {@link #create}; hand it to
 * {@link io.bulwark.lock.LockClient#create}.
 *
 * <h2>How it works</h2>
 * <ul>
 *   <li>Each operation (acquire, claim, renew, release, abandon, describe) is one {@code EVALSHA} of the lock
 *       script {@code lock.lua}: one round trip, atomic on the server. The script keeps holders, a FIFO queue
 *       of waiters and their deadlines on the Redis server clock, and issues fencing tokens. The lone holder
 *       of a name lives in the name's state string, so an uncontended acquire or release is three commands
 *       inside the script ({@code TIME}, {@code GET}, {@code SET}).
 *   <li>All kinds are supported: exclusive, fair, read-write and semaphore, with the reference backend's
 *       rules (a name keeps its kind while in use; waiters are granted in arrival order).
 *   <li>A request that cannot be granted at once is queued on the server. When a release, abandon or expiry
 *       frees room, the script grants the queued head(s) itself and publishes each grant (owner, token,
 *       lease) on the lock's channel of the backend instance that queued the request ({@code SPUBLISH} on
 *       Redis 7+, else {@code PUBLISH}). The woken waiter completes its acquire from that message alone, with
 *       no further Redis call, so a contended handoff costs the release's round trip plus the message. One
 *       release wakes one exclusive waiter, never a herd, and no process but the granted waiter's. If the
 *       message reached no connection, the script records the grant as unclaimed: it lapses after the waiter
 *       liveness unless the waiter claims it, so a waiter that died while queued does not hold the lock for
 *       a whole lease.
 *   <li>A waiter whose backend was already subscribed to its lock's channel when the request was sent needs
 *       nothing more; otherwise it subscribes and then re-checks once ({@code claim}), so a grant made
 *       between its queued answer and its subscription is not missed (Redisson #1763). Every waiter also
 *       re-checks on a jittered timer (and just after the current holder's lease ends): that recovers a lost
 *       notification (the claim answers the same grant again) and is the heartbeat that keeps its
 *       server-side entry alive ({@link RedisLockBackendOptions#waiterLiveness()}).
 *   <li>Fencing tokens are {@code max(last token + 1, server TIME in µs)}: see the Redis section of
 *       {@code docs/GUARANTEES.md} for why they stay increasing after Redis loses its data, and the clock assumption that rests on.
 *   <li>Leases are measured on the Redis server clock from when the granting script ran. The lease start
 *       reported to the client (its deadline is computed from it) is a reading of the client's clock taken
 *       before a request that Redis executed no later than that script: for a direct grant or a claim, the
 *       send time of that request; for a grant pushed by a wake-up, see {@link Waiter#onWakeUp}.
 *   <li>Redis unreachable: Lettuce rejects commands while disconnected and every call is bounded by
 *       {@link RedisLockBackendOptions#commandTimeout()}, so calls fail fast with
 *       {@link BackendUnavailableException} and an acquire that fails never reports a grant; queued waiters
 *       fail the same way and their server-side entries lapse after the waiter liveness.
 * </ul>
 *
 * <p>What it does not guarantee: it is a lease lock on a single Redis primary with asynchronous replication.
 * A failover can lose a grant and let a second holder in while the first still believes it holds; the
 * fencing token (checked by the protected resource) is what keeps that from corrupting data.
 *
 * <p>Thread-safe. Futures complete on Lettuce's I/O threads, and the backend's own follow-up work (a waiter's
 * claim, a withdrawal) runs there too, so completing an operation costs no thread hand-off; none of it blocks.
 * Dependent actions must not block either: a blocking call to this backend from an I/O thread would wait for an
 * answer only that thread can deliver. {@link io.bulwark.lock.LockClient} hands everything it gives to user code
 * to its callback executor.
 */
public final class RedisLockBackend implements LockBackend {

    private static final System.Logger LOG = System.getLogger(RedisLockBackend.class.getName());

    private final RedisLockBackendOptions options;
    private final LockTimer timer;
    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final RedisAsyncCommands<String, String> redis;
    private final LockScript script;
    private final WakeUps wakeUps;
    private final String publishCommand;
    /**
     * This instance's suffix of wake-up channels. Grants are published per lock name and backend instance, so
     * a release wakes only the process whose waiter it granted, and PUBLISH's receiver count tells the script
     * whether that process's connection is alive.
     */
    private final String wakeId = Long.toString(new SecureRandom().nextLong() & Long.MAX_VALUE, 36);
    /**
     * Requests of this backend that may wait, by owner id string (the first field of a wake-up message),
     * from just before the acquire is sent until the request is answered.
     */
    private final Map<String, Waiter> waiters = new ConcurrentHashMap<>();
    /**
     * Requests this backend gave up on without Redis confirming the withdrawal (the call failed): if Redis
     * still grants one of them and the wake-up reaches us, it is withdrawn again at once instead of holding
     * the lock for a whole lease. Entries are dropped after the waiter liveness, when Redis has dropped an
     * unheard waiter by itself.
     */
    private final Map<String, LockName> forgotten = new ConcurrentHashMap<>();
    /** Script calls sent, for tests and diagnostics (a handoff must not add any on the woken side). */
    private final AtomicLong scriptCalls = new AtomicLong();
    /** Fault injection for tests: when set, every wake-up that arrives is discarded, as if lost on the wire. */
    private volatile boolean loseWakeUps;
    /** Fault injection for tests: runs when a request is answered "queued", before its waiter subscribes. */
    private volatile Runnable beforeSubscribing;
    /**
     * Owners abandoned while their acquire might still be retried (a NOSCRIPT retry runs after later
     * commands): an acquire answered for one of these is withdrawn, so the abandon wins. Entries live until
     * the acquire's answer arrives.
     */
    private final Map<OwnerId, Boolean> abandoned = new ConcurrentHashMap<>();
    private final Map<OwnerId, Boolean> acquiring = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private RedisLockBackend(RedisLockBackendOptions options) {
        this.options = options;
        this.timer = options.timer();
        this.script = LockScript.load();
        this.resources = ClientResources.builder()
                // Bounded reconnect back-off: after an outage, locks become usable again within 0.5 s.
                .reconnectDelay(Delay.exponential(Duration.ofMillis(5), Duration.ofMillis(500), 2, TimeUnit.MILLISECONDS))
                .build();
        this.client = RedisClient.create(resources, RedisURI.create(options.redisUri()));
        client.setOptions(ClientOptions.builder()
                // Fail fast instead of buffering commands while disconnected: a lock call must not wait for
                // a Redis that is gone, and must never be granted late from a buffer.
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .autoReconnect(true)
                .socketOptions(SocketOptions.builder().connectTimeout(options.commandTimeout()).build())
                .timeoutOptions(TimeoutOptions.enabled(options.commandTimeout()))
                .build());
        StatefulRedisConnection<String, String> connected = null;
        try {
            connected = client.connect();
            this.connection = connected;
            this.redis = connected.async();
            boolean sharded = majorVersion(connected.sync().info("server")) >= 7;
            this.publishCommand = sharded ? "SPUBLISH" : "PUBLISH";
            this.wakeUps = new WakeUps(client.connectPubSub(), sharded, this::onWakeUp);
        } catch (RuntimeException e) {
            if (connected != null) {
                connected.close();
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
            resources.shutdown(0, 1, TimeUnit.SECONDS);
            throw new BackendUnavailableException("cannot connect to Redis at " + options.redisUri() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Connects to Redis (synchronously, bounded by the command timeout) and returns a backend.
     *
     * @throws BackendUnavailableException if Redis cannot be reached
     */
    public static RedisLockBackend create(RedisLockBackendOptions options) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        return new RedisLockBackend(options);
    }

    /** Whether the command connection is currently up (Lettuce reconnects by itself after an outage). */
    public boolean isConnected() {
        return connection.isOpen() && wakeUps.isConnected();
    }

    /**
     * Completes when both connections (commands and wake-ups) are up: at once if they are, else at the
     * connection event that brings the last one back after an outage. For readiness checks; wait on it
     * with a timeout, since Redis may never come back.
     */
    public CompletableFuture<Void> whenConnected() {
        CompletableFuture<Void> up = new CompletableFuture<>();
        var subscription = resources.eventBus().get()
                .filter(event -> event instanceof ConnectionActivatedEvent)
                .subscribe(event -> {
                    if (isConnected()) {
                        up.complete(null);
                    }
                });
        up.whenComplete((ignored, error) -> subscription.dispose());
        // Checked after subscribing, so an activation between the two cannot be missed.
        if (isConnected()) {
            up.complete(null);
        }
        return up;
    }

    @Override
    public LockTimer timer() {
        return timer;
    }

    // ---- SPI ----

    @Override
    public CompletableFuture<AcquireOutcome> acquire(AcquireRequest request) {
        if (closed) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("Redis lock backend is closed"));
        }
        LockMode mode = request.mode();
        int capacity = mode instanceof LockMode.Semaphore semaphore ? semaphore.capacity() : 0;
        CompletableFuture<AcquireOutcome> answer = new CompletableFuture<>();
        long sentAt = timer.clock().nanoTime();
        // Registered before the request is sent: a wake-up for it may arrive before the acquire's own answer.
        Waiter waiter = request.waitNanos() > 0 ? new Waiter(request, sentAt, answer).register() : null;
        acquiring.put(request.owner(), Boolean.TRUE);
        CompletableFuture<List<Object>> reply = call(request.name(), "acquire", request.owner(),
                modeCode(mode), mode.kind().name(), Integer.toString(mode.permits()), Integer.toString(capacity),
                Long.toString(micros(request.leaseNanos())), Long.toString(micros(request.waitNanos())),
                Integer.toString(options.limits().maxWaitersPerLock()), wakeId);
        replicated(reply).whenComplete((r, failure) -> {
            acquiring.remove(request.owner());
            if (failure != null) {
                // The script may have run; withdraw whatever it left so a failed call leaves nothing behind.
                giveUp(request.name(), request.owner());
                answer(waiter, answer, null, unavailable("acquire '" + request.name() + "'", failure));
                return;
            }
            if (abandoned.remove(request.owner()) != null) {
                giveUp(request.name(), request.owner());
                answer(waiter, answer, new AcquireOutcome.NotGranted(), null);
                return;
            }
            long code = (Long) r.get(0);
            if (code == 1) {
                answer(waiter, answer, new AcquireOutcome.Granted((Long) r.get(1), request.leaseNanos(), sentAt), null);
            } else if (code == 0) {
                answer(waiter, answer, new AcquireOutcome.NotGranted(), null);
            } else if (code == 3) {
                answer(waiter, answer, rejected(request, (String) r.get(1), (String) r.get(2), (Long) r.get(3)), null);
            } else if (waiter != null) {
                waiter.onQueued((Long) r.get(1));
            } else {
                // The script queues only requests that may wait; anything else is a bug, answered safely.
                giveUp(request.name(), request.owner());
                answer.completeExceptionally(new BackendUnavailableException("Redis lock script queued a request "
                        + "for '" + request.name() + "' that asked not to wait; the request was withdrawn"));
            }
        });
        return answer;
    }

    /** Answers an acquire: through its waiter when it has one (which also unregisters it), else directly. */
    private static void answer(Waiter waiter, CompletableFuture<AcquireOutcome> answer, AcquireOutcome outcome,
                               Throwable failure) {
        if (waiter != null) {
            waiter.finish(outcome, failure);
        } else if (failure != null) {
            answer.completeExceptionally(failure);
        } else {
            answer.complete(outcome);
        }
    }

    @Override
    public CompletableFuture<RenewOutcome> renew(RenewRequest request) {
        if (closed) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("Redis lock backend is closed"));
        }
        long sentAt = timer.clock().nanoTime();
        return replicated(call(request.name(), "renew", request.owner(), Long.toString(micros(request.leaseNanos()))))
                .handle((r, failure) -> {
                    if (failure != null) {
                        throw unavailable("renew '" + request.name() + "'", failure);
                    }
                    return (Long) r.get(0) == 1
                            ? new RenewOutcome.Renewed(request.leaseNanos(), sentAt)
                            : new RenewOutcome.NotHeld();
                });
    }

    @Override
    public CompletableFuture<ReleaseOutcome> release(ReleaseRequest request) {
        if (closed) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("Redis lock backend is closed"));
        }
        return call(request.name(), "release", request.owner()).handle((r, failure) -> {
            if (failure != null) {
                throw unavailable("release '" + request.name() + "'", failure);
            }
            return (Long) r.get(0) == 1 ? new ReleaseOutcome.Released() : new ReleaseOutcome.NotHeld();
        });
    }

    @Override
    public CompletableFuture<Void> abandon(AbandonRequest request) {
        if (closed) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("Redis lock backend is closed"));
        }
        if (acquiring.containsKey(request.owner())) {
            abandoned.put(request.owner(), Boolean.TRUE);
        }
        Waiter waiter = waiters.get(request.owner().toString());
        if (waiter != null) {
            // From here on a wake-up for this request withdraws it again instead of completing it.
            waiter.withdrawn = true;
        }
        return call(request.name(), "abandon", request.owner()).handle((r, failure) -> {
            // Answer the withdrawn request's own future so nothing dangles; the client has already decided.
            if (waiter != null) {
                waiter.finish(new AcquireOutcome.NotGranted(), null);
            }
            if (failure != null) {
                remember(request.name(), request.owner());
                throw unavailable("abandon '" + request.name() + "'", failure);
            }
            return null;
        });
    }

    @Override
    public CompletableFuture<LockInfo> describe(LockName name) {
        if (closed) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("Redis lock backend is closed"));
        }
        return call(name, "describe", null).handle((r, failure) -> {
            if (failure != null) {
                throw unavailable("describe '" + name + "'", failure);
            }
            return lockInfo(name, r);
        });
    }

    /**
     * Closes the connections. Queued requests of this backend fail with {@link BackendUnavailableException}
     * and are withdrawn from Redis first (best effort, bounded by the command timeout). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<CompletableFuture<?>> withdrawals = new ArrayList<>();
        for (Waiter waiter : List.copyOf(waiters.values())) {
            withdrawals.add(call(waiter.request.name(), "abandon", waiter.request.owner()));
            waiter.finish(null, new BackendUnavailableException("Redis lock backend is closed"));
        }
        try {
            CompletableFuture.allOf(withdrawals.toArray(CompletableFuture[]::new))
                    .get(options.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            LOG.log(System.Logger.Level.DEBUG, "withdrawing queued lock requests on close failed: " + e);
        }
        wakeUps.close();
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        resources.shutdown(0, 1, TimeUnit.SECONDS);
    }

    // ---- script calls ----

    /**
     * The keys of one lock name: all share the hash tag {@code {name}} (one Redis Cluster slot). The
     * {@code v2} segment is the layout of {@code lock.lua}; state written under another layout is never read.
     */
    private String keyBase(LockName name) {
        return options.keyPrefix() + "{" + name.value() + "}:v2";
    }

    /** The channel on which grants for this backend's waiters on {@code name} are published (package-private for tests). */
    String wakeChannel(LockName name) {
        return keyBase(name) + ":wake:" + wakeId;
    }

    private CompletableFuture<List<Object>> call(LockName name, String op, OwnerId owner, String... extra) {
        String base = keyBase(name);
        String[] keys = {base + ":state", base + ":holders", base + ":hexp", base + ":queue", base + ":waiters",
                base + ":wexp"};
        String[] args = new String[7 + extra.length];
        args[0] = op;
        args[1] = base + ":wake:";
        args[2] = publishCommand;
        args[3] = owner == null ? "" : owner.toString();
        args[4] = Long.toString(options.idleRetention().toMillis());
        args[5] = Long.toString(options.waiterLiveness().toNanos() / 1_000);
        args[6] = Integer.toString(options.limits().maxHoldersPerLock());
        System.arraycopy(extra, 0, args, 7, extra.length);
        scriptCalls.incrementAndGet();
        try {
            return script.run(redis, keys, args);
        } catch (RuntimeException e) {
            // Lettuce may throw synchronously when the connection is closed.
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Adds the optional {@code WAIT}, pipelined right behind the script on the same connection. */
    private CompletableFuture<List<Object>> replicated(CompletableFuture<List<Object>> reply) {
        if (options.waitReplicas() == 0) {
            return reply;
        }
        CompletableFuture<Long> acks = redis.waitForReplication(options.waitReplicas(),
                options.replicaTimeout().toMillis()).toCompletableFuture();
        return reply.thenCombine(acks, (r, n) -> {
            if (n < options.waitReplicas()) {
                throw new BackendUnavailableException("only " + n + " of " + options.waitReplicas()
                        + " Redis replicas acknowledged the write within " + options.replicaTimeout());
            }
            return r;
        });
    }

    private CompletableFuture<List<Object>> bestEffortAbandon(LockName name, OwnerId owner) {
        if (closed) {
            return CompletableFuture.completedFuture(List.of());
        }
        return call(name, "abandon", owner);
    }

    /**
     * Withdraws a request after a failed call; if the withdrawal fails too, the request is remembered so that
     * a grant Redis may still make for it is withdrawn as soon as its wake-up arrives.
     */
    private void giveUp(LockName name, OwnerId owner) {
        bestEffortAbandon(name, owner).whenComplete((r, failure) -> {
            if (failure != null) {
                remember(name, owner);
            }
        });
    }

    private void remember(LockName name, OwnerId owner) {
        if (closed) {
            return;
        }
        String key = owner.toString();
        forgotten.put(key, name);
        // Redis drops a queued request it has not heard from for the waiter liveness, and an undelivered grant
        // lives no longer; after that (plus a call's worth of slack) no grant for it can arrive any more.
        timer.schedule(options.waiterLiveness().plus(options.commandTimeout()).toNanos(),
                () -> forgotten.remove(key, name));
    }

    /** Script calls this backend has sent so far (one per round trip; a NOSCRIPT retry is not counted again). */
    long scriptCallsSent() {
        return scriptCalls.get();
    }

    /** Fault injection for tests: while {@code lose} is true, arriving wake-ups are discarded (lost on the wire). */
    void loseWakeUps(boolean lose) {
        loseWakeUps = lose;
    }

    /**
     * Fault injection for tests: {@code hook} runs (on the thread that received the answer) each time a request is
     * answered "queued", before its waiter subscribes to its wake-up channel; null removes it.
     */
    void beforeSubscribing(Runnable hook) {
        beforeSubscribing = hook;
    }

    private BackendUnavailableException unavailable(String what, Throwable failure) {
        Throwable cause = LockScript.unwrap(failure);
        if (cause instanceof BackendUnavailableException b) {
            return b;
        }
        String why = closed ? "the backend is closed" : cause.getClass().getSimpleName() + ": " + cause.getMessage();
        return new BackendUnavailableException("Redis lock backend at " + options.redisUri() + " could not " + what
                + " (" + why + ")", cause);
    }

    private static AcquireOutcome rejected(AcquireRequest request, String reason, String kindInUse, long capInUse) {
        LockName name = request.name();
        LockMode mode = request.mode();
        switch (reason) {
            case "INVALID_REQUEST":
                return new AcquireOutcome.Rejected(RejectReason.INVALID_REQUEST, "owner " + request.owner()
                        + " already holds or waits for lock '" + name + "'; every acquire needs a fresh owner id");
            case "LIMIT_EXCEEDED":
                return new AcquireOutcome.Rejected(RejectReason.LIMIT_EXCEEDED, "lock '" + name
                        + "' already has the maximum number of waiters per lock; retry later");
            default:
                if (!kindInUse.equals(mode.kind().name())) {
                    return new AcquireOutcome.Rejected(RejectReason.MODE_CONFLICT, "lock '" + name + "' is in use as "
                            + kindInUse + "; this request asked for " + mode.kind()
                            + ". A name keeps its kind while anyone holds or waits for it");
                }
                int capacity = ((LockMode.Semaphore) mode).capacity();
                return new AcquireOutcome.Rejected(RejectReason.MODE_CONFLICT, "semaphore '" + name
                        + "' is in use with capacity " + capInUse + "; this request declared capacity " + capacity
                        + ". Every user of a semaphore must declare the same capacity");
        }
    }

    private static LockInfo lockInfo(LockName name, List<Object> r) {
        String kind = (String) r.get(0);
        int capacity = ((Long) r.get(1)).intValue();
        int waiting = ((Long) r.get(2)).intValue();
        record Row(long grantSeq, LockInfo.Holder holder) {
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 3; i + 5 < r.size(); i += 6) {
            String code = (String) r.get(i + 1);
            int permits = ((Long) r.get(i + 2)).intValue();
            LockMode mode = switch (code) {
                case "E" -> LockMode.exclusive();
                case "F" -> LockMode.fair();
                case "R" -> LockMode.read();
                case "W" -> LockMode.write();
                default -> LockMode.semaphore(permits, capacity);
            };
            Duration remaining = Duration.ofNanos(Math.max(0, (Long) r.get(i + 5)) * 1_000);
            rows.add(new Row((Long) r.get(i + 4), new LockInfo.Holder((String) r.get(i), mode, (Long) r.get(i + 3), remaining)));
        }
        rows.sort(Comparator.comparingLong(Row::grantSeq));
        Optional<LockKind> lockKind = kind.isEmpty() ? Optional.empty() : Optional.of(LockKind.valueOf(kind));
        return new LockInfo(name.value(), lockKind, rows.stream().map(Row::holder).toList(), waiting);
    }

    private static String modeCode(LockMode mode) {
        return switch (mode.kind()) {
            case EXCLUSIVE -> "E";
            case FAIR -> "F";
            case READ_WRITE -> mode instanceof LockMode.Write ? "W" : "R";
            case SEMAPHORE -> "S";
        };
    }

    /** Nanoseconds to whole microseconds, rounded up so the server never keeps a lease shorter than asked. */
    private static long micros(long nanos) {
        return nanos / 1_000 + (nanos % 1_000 == 0 ? 0 : 1);
    }

    private static int majorVersion(String info) {
        for (String line : info.split("\r?\n")) {
            if (line.startsWith("redis_version:")) {
                String version = line.substring("redis_version:".length()).trim();
                return Integer.parseInt(version.substring(0, version.indexOf('.')));
            }
        }
        return 0;
    }

    /** A grant published by the lock script: {@code owner|token|leaseMicros}. Runs on Lettuce's I/O thread. */
    private void onWakeUp(String message) {
        if (loseWakeUps) {
            return;
        }
        String owner;
        long token;
        long leaseMicros;
        try {
            int first = message.indexOf('|');
            int second = message.indexOf('|', first + 1);
            owner = message.substring(0, first);
            token = Long.parseLong(message.substring(first + 1, second));
            leaseMicros = Long.parseLong(message.substring(second + 1));
        } catch (RuntimeException e) {
            // Not from this version of the lock script; the waiter's fallback re-check still finds its grant.
            LOG.log(System.Logger.Level.WARNING, "ignoring a malformed lock wake-up message: " + message);
            return;
        }
        Waiter waiter = waiters.get(owner);
        if (waiter != null) {
            waiter.onWakeUp(token, leaseMicros);
            return;
        }
        LockName name = forgotten.remove(owner);
        if (name != null) {
            giveUp(name, parseOwner(owner));
        }
    }

    private static OwnerId parseOwner(String owner) {
        int hash = owner.lastIndexOf('#');
        return new OwnerId(owner.substring(0, hash), Long.parseLong(owner.substring(hash + 1)));
    }

    /** A wake-up that arrived before the acquire's own "queued" answer. */
    private record EarlyWakeUp(long token, long leaseMicros) {
    }

    /**
     * One request that may wait: registered before its acquire is sent, queued on the server once the acquire
     * answers so, then completed by a wake-up message (no Redis call), by a claim (the re-check after
     * subscribing, the jittered fallback, or the last look when its wait ends), or withdrawn. At most one claim
     * is in flight; a claim requested meanwhile runs right after it. Everything that changes state is guarded
     * by this object's monitor; Redis calls and the answer's completion happen outside it.
     */
    private final class Waiter {
        final AcquireRequest request;
        final String ownerKey;
        final String channel;
        final long deadlineNanos;
        final CompletableFuture<AcquireOutcome> answer;
        /** Set by {@link #abandon}: the client withdrew the request; a wake-up must not complete it. */
        volatile boolean withdrawn;
        // Guarded by this.
        private boolean queued;
        private boolean subscribed;
        private boolean finished;
        private long lastQueuedSentNanos;
        private EarlyWakeUp early;
        private boolean claiming;
        private boolean claimAgain;
        private boolean lastLook;
        private LockTimer.Scheduled retry;
        private LockTimer.Scheduled deadline;

        Waiter(AcquireRequest request, long sentAt, CompletableFuture<AcquireOutcome> answer) {
            this.request = request;
            this.ownerKey = request.owner().toString();
            this.channel = wakeChannel(request.name());
            this.deadlineNanos = sentAt + request.waitNanos();
            this.answer = answer;
            this.lastQueuedSentNanos = sentAt;
        }

        /**
         * Makes wake-ups for this owner reach it, and takes a reference on its channel's subscription if that is
         * already confirmed: then Redis will execute the acquire after the subscription, so every grant for it
         * is published to a subscribed connection and no re-check is needed after the queued answer.
         */
        Waiter register() {
            waiters.put(ownerKey, this);
            synchronized (this) {
                subscribed = wakeUps.retainIfSubscribed(channel);
            }
            return this;
        }

        void onQueued(long hintMicros) {
            Runnable hook = beforeSubscribing;
            if (hook != null) {
                hook.run();
            }
            EarlyWakeUp pending;
            CompletableFuture<Void> subscribing = null;
            synchronized (this) {
                if (finished) {
                    return;
                }
                queued = true;
                deadline = timer.schedule(deadlineNanos - timer.clock().nanoTime(), this::onDeadline);
                pending = early;
                early = null;
                if (!subscribed) {
                    subscribed = true;
                    subscribing = wakeUps.subscribe(channel);
                } else if (pending == null) {
                    scheduleRetry(hintMicros);
                }
            }
            if (pending != null) {
                onWakeUp(pending.token(), pending.leaseMicros());
            }
            if (subscribing != null) {
                // Subscribe, then re-check: a grant published before the subscription took effect is found by
                // the claim, and one published after it by the notification.
                subscribing.whenComplete((ok, failure) -> {
                    if (failure != null) {
                        LOG.log(System.Logger.Level.DEBUG, "subscribing to " + channel + " failed, relying on retries: " + failure);
                    }
                    claim();
                });
            }
        }

        /**
         * The lock script granted this request and published it. Completes the acquire without calling Redis.
         *
         * <p><b>Lease start.</b> Redis started the lease at the {@code TIME} of the script that made the grant
         * (T). The client must not count the lease from a moment later than T, or it would trust the lease
         * after Redis dropped it. The time this message arrives is later than T (by the publish delay, which is
         * unbounded: a GC pause, a busy event loop), so it is not a valid start; T itself is a reading of the
         * Redis host's wall clock, which the client cannot map onto its own monotonic clock without trusting
         * both clocks' offsets and steps. The start used is instead {@link #lastQueuedSentNanos}: the send time
         * of the latest of this owner's requests (the acquire, or a claim) that Redis answered "queued". Redis
         * executed that request while the owner was still queued, hence before T, and the request was sent
         * before it was executed; so this reading precedes T, whatever the clocks' offsets, and the client's
         * deadline {@code start + lease - margin} is never later than Redis's {@code T + lease} (given the
         * clock-rate bound of the safety margin). It trails T by at most the time since the last queued answer
         * (the wait so far, or one jittered retry interval, as heartbeats keep refreshing it).
         *
         * <p>The grant is not taken from the message, but confirmed with a claim (one round trip, same grant,
         * lease restarted), when the message's lease is not the one asked for, when {@code WAIT} for replicas is
         * configured (the claim is what gets a write of this connection acknowledged by the replicas), or when
         * the start above is so stale that more than a quarter of the lease would already be gone.
         */
        void onWakeUp(long token, long leaseMicros) {
            long leaseStart;
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (!withdrawn && !queued) {
                    early = new EarlyWakeUp(token, leaseMicros);
                    return;
                }
                leaseStart = lastQueuedSentNanos;
            }
            if (withdrawn) {
                // The client gave up while Redis granted: withdraw (again) so the grant cannot outlive it, even
                // if the first withdrawal failed or ran before the grant and the answer is not back yet.
                giveUp(request.name(), request.owner());
                return;
            }
            boolean fold = options.waitReplicas() == 0 && leaseMicros == micros(request.leaseNanos())
                    && timer.clock().nanoTime() - leaseStart <= request.leaseNanos() / 4;
            if (fold) {
                finish(new AcquireOutcome.Granted(token, request.leaseNanos(), leaseStart), null);
            } else {
                claim();
            }
        }

        void claim() {
            long sentAt;
            synchronized (this) {
                if (finished || withdrawn) {
                    return;
                }
                if (claiming) {
                    claimAgain = true;
                    return;
                }
                claiming = true;
                claimAgain = false;
                if (retry != null) {
                    retry.cancel();
                    retry = null;
                }
                sentAt = timer.clock().nanoTime();
            }
            replicated(call(request.name(), "claim", request.owner())).whenComplete((r, failure) -> {
                if (failure != null) {
                    giveUp(request.name(), request.owner());
                    finish(null, unavailable("wait for '" + request.name() + "'", failure));
                    return;
                }
                long code = (Long) r.get(0);
                if (code == 1) {
                    // Redis restarted the lease when it ran the claim, after this send time.
                    finish(new AcquireOutcome.Granted((Long) r.get(1), request.leaseNanos(), sentAt), null);
                } else if (code == 0) {
                    finish(new AcquireOutcome.NotGranted(), null);
                } else {
                    afterQueuedClaim(sentAt, (Long) r.get(1));
                }
            });
        }

        private void afterQueuedClaim(long sentAt, long hintMicros) {
            boolean again;
            boolean giveUp;
            synchronized (this) {
                claiming = false;
                // Redis ran this claim while the owner was queued: a later lower bound of any grant's start.
                lastQueuedSentNanos = Math.max(lastQueuedSentNanos, sentAt);
                // Finished meanwhile (a wake-up granted it after Redis ran this claim): nothing more to do, and
                // above all no last-look withdrawal, which would take the lock from the new holder.
                again = claimAgain && !finished;
                giveUp = lastLook && !finished && !withdrawn;
                if (giveUp) {
                    // A grant racing with the withdrawal below must be withdrawn too, not handed out.
                    withdrawn = true;
                } else if (!again && !finished) {
                    scheduleRetry(hintMicros);
                }
            }
            if (giveUp) {
                // The wait is over and the server still lists the request: withdraw it, then say no.
                call(request.name(), "abandon", request.owner()).whenComplete((r, f) -> {
                    if (f != null) {
                        remember(request.name(), request.owner());
                    }
                    finish(new AcquireOutcome.NotGranted(), null);
                });
            } else if (again) {
                claim();
            }
        }

        /** The fallback re-check and heartbeat. Holds this monitor. */
        private void scheduleRetry(long hintMicros) {
            long base = options.waiterRetry().toNanos();
            // Jitter (0.5–1.5 × base) keeps waiters that lost the same notification from retrying together.
            long delay = base / 2 + ThreadLocalRandom.current().nextLong(base + 1);
            if (hintMicros >= 0) {
                // The holder's lease ends then; expiry is only noticed when someone calls the script.
                delay = Math.min(delay, hintMicros * 1_000 + 1_000_000);
            }
            retry = timer.schedule(delay, this::claim);
        }

        private void onDeadline() {
            synchronized (this) {
                lastLook = true;
            }
            claim();
        }

        void finish(AcquireOutcome outcome, Throwable failure) {
            synchronized (this) {
                if (finished) {
                    return;
                }
                finished = true;
                if (retry != null) {
                    retry.cancel();
                }
                if (deadline != null) {
                    deadline.cancel();
                }
                if (subscribed) {
                    subscribed = false;
                    wakeUps.unsubscribe(channel);
                }
            }
            waiters.remove(ownerKey, this);
            if (failure != null) {
                answer.completeExceptionally(failure);
            } else {
                answer.complete(outcome);
            }
        }
    }
}
