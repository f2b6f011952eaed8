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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link LockBackend} on one Redis primary, through Lettuce. Create it with {@link #create}; hand it to
 * {@link io.bulwark.lock.LockClient#create}.
 *
 * <h2>How it works</h2>
 * <ul>
 *   <li>Each operation (acquire, claim, renew, release, abandon, describe) is one {@code EVALSHA} of the lock
 *       script {@code lock.lua}: one round trip, atomic on the server. The script keeps holders, a FIFO queue
 *       of waiters and their deadlines on the Redis server clock, and issues fencing tokens.
 *   <li>All kinds are supported: exclusive, fair, read-write and semaphore, with the reference backend's
 *       rules (a name keeps its kind while in use; waiters are granted in arrival order).
 *   <li>A request that cannot be granted at once is queued on the server. When a release, abandon or expiry
 *       frees room, the script grants the queued head(s) itself and publishes the granted owner id on the
 *       lock's channel ({@code SPUBLISH} on Redis 7+, else {@code PUBLISH}); only that waiter then calls
 *       back ({@code claim}), which restarts its lease and returns its token. One release therefore wakes one
 *       exclusive waiter, never a herd. A waiter subscribes and then re-checks at once, so a grant made
 *       between its failed attempt and its subscription is not missed (Redisson #1763); it also re-checks
 *       on a jittered timer (and just after the current holder's lease ends), which is what recovers a lost
 *       notification and keeps its server-side entry alive ({@link RedisLockBackendOptions#waiterLiveness()}).
 *   <li>Fencing tokens are {@code max(last token + 1, server TIME in µs)}: see the Redis section of
 *       {@code docs/GUARANTEES.md} for why they stay increasing after Redis loses its data, and the clock assumption that rests on.
 *   <li>Leases are measured on the Redis server clock from when the script ran; the reported lease start is
 *       the client-clock reading taken just before the request was sent, hence never later than the
 *       server's start.
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
 * <p>Thread-safe. Futures are completed on a backend-owned thread pool, never on Lettuce's I/O threads, so
 * callbacks may block.
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
    private final ExecutorService completions;
    private final String publishCommand;
    /** Queued requests of this backend, by owner id string (the pub/sub message). */
    private final Map<String, Waiter> waiters = new ConcurrentHashMap<>();
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
        AtomicInteger threads = new AtomicInteger();
        this.completions = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "bulwark-lock-redis-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
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
            completions.shutdownNow();
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
        long sentAt = timer.clock().nanoTime();
        acquiring.put(request.owner(), Boolean.TRUE);
        CompletableFuture<List<Object>> reply = call(request.name(), "acquire", request.owner(),
                modeCode(mode), mode.kind().name(), Integer.toString(mode.permits()), Integer.toString(capacity),
                Long.toString(micros(request.leaseNanos())), Long.toString(micros(request.waitNanos())),
                Integer.toString(options.limits().maxWaitersPerLock()));
        CompletableFuture<AcquireOutcome> answer = new CompletableFuture<>();
        replicated(reply).whenCompleteAsync((r, failure) -> {
            acquiring.remove(request.owner());
            if (failure != null) {
                // The script may have run; withdraw whatever it left so a failed call leaves nothing behind.
                bestEffortAbandon(request.name(), request.owner());
                answer.completeExceptionally(unavailable("acquire '" + request.name() + "'", failure));
                return;
            }
            if (abandoned.remove(request.owner()) != null) {
                bestEffortAbandon(request.name(), request.owner());
                answer.complete(new AcquireOutcome.NotGranted());
                return;
            }
            long code = (Long) r.get(0);
            if (code == 1) {
                answer.complete(new AcquireOutcome.Granted((Long) r.get(1), request.leaseNanos(), sentAt));
            } else if (code == 0) {
                answer.complete(new AcquireOutcome.NotGranted());
            } else if (code == 3) {
                answer.complete(rejected(request, (String) r.get(1), (String) r.get(2), (Long) r.get(3)));
            } else {
                Waiter waiter = new Waiter(request, sentAt, answer);
                waiters.put(request.owner().toString(), waiter);
                waiter.start((Long) r.get(1));
            }
        }, completions);
        return answer;
    }

    @Override
    public CompletableFuture<RenewOutcome> renew(RenewRequest request) {
        if (closed) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("Redis lock backend is closed"));
        }
        long sentAt = timer.clock().nanoTime();
        return replicated(call(request.name(), "renew", request.owner(), Long.toString(micros(request.leaseNanos()))))
                .handleAsync((r, failure) -> {
                    if (failure != null) {
                        throw unavailable("renew '" + request.name() + "'", failure);
                    }
                    return (Long) r.get(0) == 1
                            ? new RenewOutcome.Renewed(request.leaseNanos(), sentAt)
                            : new RenewOutcome.NotHeld();
                }, completions);
    }

    @Override
    public CompletableFuture<ReleaseOutcome> release(ReleaseRequest request) {
        if (closed) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("Redis lock backend is closed"));
        }
        return call(request.name(), "release", request.owner()).handleAsync((r, failure) -> {
            if (failure != null) {
                throw unavailable("release '" + request.name() + "'", failure);
            }
            return (Long) r.get(0) == 1 ? new ReleaseOutcome.Released() : new ReleaseOutcome.NotHeld();
        }, completions);
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
            waiter.withdrawn = true;
        }
        return call(request.name(), "abandon", request.owner()).handleAsync((r, failure) -> {
            if (failure != null) {
                throw unavailable("abandon '" + request.name() + "'", failure);
            }
            // Answer the withdrawn request's own future so nothing dangles; the client has already decided.
            if (waiter != null) {
                waiter.finish(new AcquireOutcome.NotGranted(), null);
            }
            return null;
        }, completions);
    }

    @Override
    public CompletableFuture<LockInfo> describe(LockName name) {
        if (closed) {
            return CompletableFuture.failedFuture(new BackendUnavailableException("Redis lock backend is closed"));
        }
        return call(name, "describe", null).handleAsync((r, failure) -> {
            if (failure != null) {
                throw unavailable("describe '" + name + "'", failure);
            }
            return lockInfo(name, r);
        }, completions);
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
        completions.shutdown();
    }

    // ---- script calls ----

    private CompletableFuture<List<Object>> call(LockName name, String op, OwnerId owner, String... extra) {
        String base = options.keyPrefix() + "{" + name.value() + "}";
        String[] keys = {base, base + ":holders", base + ":hexp", base + ":queue", base + ":waiters", base + ":wexp"};
        String[] args = new String[7 + extra.length];
        args[0] = op;
        args[1] = base + ":wake";
        args[2] = publishCommand;
        args[3] = owner == null ? "" : owner.toString();
        args[4] = Long.toString(options.idleRetention().toMillis());
        args[5] = Long.toString(options.waiterLiveness().toNanos() / 1_000);
        args[6] = Integer.toString(options.limits().maxHoldersPerLock());
        System.arraycopy(extra, 0, args, 7, extra.length);
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

    private void bestEffortAbandon(LockName name, OwnerId owner) {
        if (!closed) {
            call(name, "abandon", owner);
        }
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

    private void onWakeUp(String owner) {
        Waiter waiter = waiters.get(owner);
        if (waiter != null) {
            completions.execute(waiter::claim);
        }
    }

    /**
     * One queued request: subscribed to its lock's channel, re-checking (claiming) when notified, on a jittered
     * timer, and one last time when its wait ends. At most one claim is in flight; a notification that arrives
     * meanwhile triggers another claim right after it.
     */
    private final class Waiter {
        final AcquireRequest request;
        final long deadlineNanos;
        final CompletableFuture<AcquireOutcome> answer;
        final String channel;
        volatile boolean withdrawn;
        private boolean claiming;
        private boolean claimAgain;
        private boolean lastLook;
        private LockTimer.Scheduled retry;
        private LockTimer.Scheduled deadline;

        Waiter(AcquireRequest request, long sentAt, CompletableFuture<AcquireOutcome> answer) {
            this.request = request;
            this.deadlineNanos = sentAt + request.waitNanos();
            this.answer = answer;
            this.channel = options.keyPrefix() + "{" + request.name().value() + "}:wake";
        }

        void start(long hintMicros) {
            synchronized (this) {
                deadline = timer.schedule(deadlineNanos - timer.clock().nanoTime(), this::onDeadline);
            }
            // Subscribe, then re-check: a grant published before the subscription took effect is found by the
            // claim, and one published after it by the notification.
            wakeUps.subscribe(channel).whenCompleteAsync((ok, failure) -> {
                if (failure != null) {
                    LOG.log(System.Logger.Level.DEBUG, "subscribing to " + channel + " failed, relying on retries: " + failure);
                }
                claim();
            }, completions);
        }

        void claim() {
            long sentAt;
            synchronized (this) {
                if (answer.isDone() || withdrawn) {
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
            replicated(call(request.name(), "claim", request.owner())).whenCompleteAsync((r, failure) -> {
                if (failure != null) {
                    bestEffortAbandon(request.name(), request.owner());
                    finish(null, unavailable("wait for '" + request.name() + "'", failure));
                    return;
                }
                long code = (Long) r.get(0);
                if (code == 1) {
                    finish(new AcquireOutcome.Granted((Long) r.get(1), request.leaseNanos(), sentAt), null);
                } else if (code == 0) {
                    finish(new AcquireOutcome.NotGranted(), null);
                } else {
                    afterQueuedClaim((Long) r.get(1));
                }
            }, completions);
        }

        private void afterQueuedClaim(long hintMicros) {
            boolean again;
            boolean giveUp;
            synchronized (this) {
                claiming = false;
                again = claimAgain;
                giveUp = lastLook;
                if (!again && !giveUp && !answer.isDone()) {
                    long base = options.waiterRetry().toNanos();
                    // Jitter (0.5–1.5 × base) keeps waiters that lost the same notification from retrying together.
                    long delay = base / 2 + ThreadLocalRandom.current().nextLong(base + 1);
                    if (hintMicros >= 0) {
                        // The holder's lease ends then; expiry is only noticed when someone calls the script.
                        delay = Math.min(delay, hintMicros * 1_000 + 1_000_000);
                    }
                    retry = timer.schedule(delay, this::claim);
                }
            }
            if (giveUp) {
                // The wait is over and the server still lists the request: withdraw it, then say no.
                call(request.name(), "abandon", request.owner())
                        .whenCompleteAsync((r, f) -> finish(new AcquireOutcome.NotGranted(), null), completions);
            } else if (again) {
                claim();
            }
        }

        private void onDeadline() {
            synchronized (this) {
                lastLook = true;
            }
            claim();
        }

        void finish(AcquireOutcome outcome, Throwable failure) {
            synchronized (this) {
                if (retry != null) {
                    retry.cancel();
                }
                if (deadline != null) {
                    deadline.cancel();
                }
            }
            if (waiters.remove(request.owner().toString(), this)) {
                wakeUps.unsubscribe(channel);
            }
            if (failure != null) {
                answer.completeExceptionally(failure);
            } else {
                answer.complete(outcome);
            }
        }
    }
}
