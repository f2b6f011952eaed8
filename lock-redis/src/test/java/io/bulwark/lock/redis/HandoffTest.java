package io.bulwark.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.lock.LockAcquisitionTimeoutException;
import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockClientOptions;
import io.bulwark.lock.LockInfo;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.LockOptions;
import io.bulwark.lock.spi.AcquireOutcome;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.ReleaseOutcome;
import io.bulwark.lock.spi.ReleaseRequest;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The grant-in-release handoff: the release script grants the queue head and publishes the whole grant, and
 * the woken waiter completes its acquire from that message alone. Checked here: it really makes no Redis
 * call; its lease start precedes the grant; a lost wake-up is recovered by the fallback check with the same
 * grant; a grant nobody received lapses after the waiter liveness; and a waiter that gives up (cancel,
 * timeout) while the release grants it leaves nothing locked. Real Redis, real clients, one server per class,
 * a key prefix per test.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HandoffTest {

    private static final LockName NAME = LockName.of("handoff/lock");
    private static final long LEASE_NANOS = Duration.ofSeconds(60).toNanos();
    private static final long WAIT_NANOS = Duration.ofSeconds(30).toNanos();
    private static final Duration DEADLINE = Duration.ofSeconds(20);

    private static LocalRedisServer server;
    private static RedisWithConnection redis;
    private static StatefulRedisConnection<String, String> adminConnection;
    private static int tests;

    private final List<AutoCloseable> closeAfter = new ArrayList<>();
    private final String prefix = "handoff" + (++tests) + ":";

    @BeforeAll
    static void startRedis() throws Exception {
        redis = RedisWithConnection.start();
        server = redis.server();
        adminConnection = redis.connection();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        redis.close();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeAfter.size() - 1; i >= 0; i--) {
            closeAfter.get(i).close();
        }
    }

    private RedisLockBackend backend(String uri, Duration retry, Duration liveness) {
        RedisLockBackend backend = RedisLockBackend.create(RedisLockBackendOptions.of(uri).withKeyPrefix(prefix)
                .withWaiterTiming(retry, liveness));
        closeAfter.add(backend);
        return backend;
    }

    /** A backend whose waiters never re-check on their own within a test: every grant must come by wake-up. */
    private RedisLockBackend quietBackend() {
        return backend(server.uri(), Duration.ofSeconds(30), Duration.ofSeconds(90));
    }

    private static AcquireRequest request(String client, long sequence, long waitNanos) {
        return new AcquireRequest(NAME, new OwnerId(client, sequence), LockMode.exclusive(), LEASE_NANOS, waitNanos);
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not true within " + DEADLINE + ": " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static long serverCalls(String command) {
        try {
            return server.commandCallsByName().getOrDefault(command, 0L);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private LockInfo describe(RedisLockBackend backend) throws Exception {
        return await(backend.describe(NAME));
    }

    /** Holds the lock through {@code holder}, then queues {@code waiter}'s request and waits until its re-check ran. */
    private CompletableFuture<AcquireOutcome> queueBehindAHolder(RedisLockBackend holder, RedisLockBackend waiter)
            throws Exception {
        assertThat(await(holder.acquire(request("holder", 1, 0)))).isInstanceOf(AcquireOutcome.Granted.class);
        long scriptsBefore = serverCalls("evalsha") + serverCalls("eval");
        CompletableFuture<AcquireOutcome> waiting = waiter.acquire(request("waiter", 1, WAIT_NANOS));
        // The acquire (queued) and the re-check after subscribing have both run on the server.
        eventually("the waiter's acquire and re-check ran", () -> serverCalls("evalsha") + serverCalls("eval") == scriptsBefore + 2);
        assertThat(waiter.scriptCallsSent()).isEqualTo(2);
        assertThat(waiting).isNotDone();
        return waiting;
    }

    @Test
    void aWokenWaiterCompletesItsAcquireWithoutCallingRedis() throws Exception {
        RedisLockBackend holder = quietBackend();
        RedisLockBackend waiter = quietBackend();
        CompletableFuture<AcquireOutcome> waiting = queueBehindAHolder(holder, waiter);
        long publishesBefore = serverCalls("spublish") + serverCalls("publish");

        long releaseSentAt = holder.timer().clock().nanoTime();
        assertThat(await(holder.release(new ReleaseRequest(NAME, new OwnerId("holder", 1)))))
                .isInstanceOf(ReleaseOutcome.Released.class);
        AcquireOutcome outcome = await(waiting);

        assertThat(outcome).isInstanceOf(AcquireOutcome.Granted.class);
        AcquireOutcome.Granted granted = (AcquireOutcome.Granted) outcome;
        assertThat(waiter.scriptCallsSent()).as("the woken waiter's Redis calls: still only acquire and re-check")
                .isEqualTo(2);
        assertThat(serverCalls("spublish") + serverCalls("publish") - publishesBefore).as("wake-ups sent").isEqualTo(1);
        // The waiter's lease start is the send time of its re-check, which Redis ran before the release: so no
        // later than the release's send time, hence than the grant, on the shared monotonic clock.
        assertThat(granted.leaseStartNanos()).isLessThanOrEqualTo(releaseSentAt);
        assertThat(granted.leaseNanos()).isEqualTo(LEASE_NANOS);
        LockInfo info = describe(holder);
        assertThat(info.holders()).singleElement().satisfies(h -> {
            assertThat(h.owner()).isEqualTo("waiter#1");
            assertThat(h.fencingToken()).isEqualTo(granted.fencingToken());
            // A delivered grant holds the full lease from the release's TIME.
            assertThat(h.remainingLease()).isGreaterThan(Duration.ofSeconds(50));
        });
        assertThat(await(waiter.release(new ReleaseRequest(NAME, new OwnerId("waiter", 1)))))
                .isInstanceOf(ReleaseOutcome.Released.class);
        assertThat(describe(holder).isIdle()).isTrue();
    }

    /**
     * Redisson #1763: a release between a waiter's failed attempt and its subscription published the wake-up to
     * nobody, and the waiter slept until its timeout. Here the release runs exactly there (after the "queued"
     * answer, before the subscription); the waiter's re-check after subscribing finds the grant at once, not its
     * fallback timer (30 s, beyond this test's deadline).
     */
    @Test
    void aReleaseBetweenTheQueuedAnswerAndTheSubscriptionIsNotMissed() throws Exception {
        RedisLockBackend holder = quietBackend();
        RedisLockBackend waiter = quietBackend();
        assertThat(await(holder.acquire(request("holder", 1, 0)))).isInstanceOf(AcquireOutcome.Granted.class);
        long publishesBefore = serverCalls("spublish") + serverCalls("publish");
        CompletableFuture<ReleaseOutcome> released = new CompletableFuture<>();
        waiter.beforeSubscribing(() -> {
            waiter.beforeSubscribing(null);
            // Blocks this thread (the waiter's) until Redis has released and granted: the wake-up finds no subscriber.
            released.complete(holder.release(new ReleaseRequest(NAME, new OwnerId("holder", 1))).join());
        });

        long start = System.nanoTime();
        AcquireOutcome outcome = await(waiter.acquire(request("waiter", 1, WAIT_NANOS)));

        assertThat(released.join()).isInstanceOf(ReleaseOutcome.Released.class);
        assertThat(serverCalls("spublish") + serverCalls("publish") - publishesBefore).as("wake-ups published").isEqualTo(1);
        assertThat(outcome).isInstanceOf(AcquireOutcome.Granted.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(waiter.scriptCallsSent()).as("the acquire and the re-check after subscribing").isEqualTo(2);
        assertThat(describe(holder).holders()).singleElement()
                .satisfies(h -> assertThat(h.owner()).isEqualTo("waiter#1"));
    }

    @Test
    void theWokenWaitersClientDeadlineIsNoLaterThanRedisExpiresTheLease() throws Exception {
        LockClient holders = LockClient.create(quietBackend(), LockClientOptions.defaults().withClientName("holder"));
        RedisLockBackend waiterBackend = quietBackend();
        LockClient waiters = LockClient.create(waiterBackend, LockClientOptions.defaults().withClientName("waiter"));
        closeAfter.add(holders);
        closeAfter.add(waiters);
        LockOptions options = LockOptions.exclusive().withLeaseTime(Duration.ofSeconds(60)).withWaitTimeout(DEADLINE);
        for (int round = 0; round < 20; round++) {
            LockLease held = holders.acquire(NAME.value(), options);
            CompletableFuture<LockLease> waiting = waiters.acquireAsync(NAME.value(), options);
            eventually("one waiter", () -> describeQuietly(waiterBackend).waiting() == 1);
            held.close();
            try (LockLease lease = await(waiting)) {
                long describeSentAt = waiterBackend.timer().clock().nanoTime();
                LockInfo.Holder onRedis = describe(waiterBackend).holders().get(0);
                assertThat(onRedis.fencingToken()).isEqualTo(lease.fencingToken());
                // Redis expires the lease at (its time when describe ran) + remaining, and describe ran after
                // it was sent: so describeSentAt + remaining is no later than the expiry on our clock.
                assertThat(lease.leaseDeadlineNanos()).as("client deadline vs Redis expiry, round %d", round)
                        .isLessThanOrEqualTo(describeSentAt + onRedis.remainingLease().toNanos());
            }
        }
    }

    /**
     * The backend completes its futures on Lettuce's I/O threads; the client hands every future it returns and
     * every onLost callback to its callback executor. So user code that blocks on the same backend from a
     * dependent action (closing the lease, acquiring again) works instead of waiting for an answer only the
     * occupied I/O thread could deliver.
     */
    @Test
    void userCodeThatBlocksInCallbacksNeverHoldsUpTheBackendsThreads() throws Exception {
        LockClient client = LockClient.create(quietBackend(), LockClientOptions.defaults().withClientName("blocking"));
        closeAfter.add(client);
        LockClient holderClient = LockClient.create(quietBackend(), LockClientOptions.defaults().withClientName("holder"));
        closeAfter.add(holderClient);
        LockOptions options = LockOptions.exclusive().withWaitTimeout(DEADLINE);
        // Held elsewhere first, so the acquire completes only after the dependent action below is attached (an
        // action attached to an already completed future runs on the attaching thread, here the test's).
        LockLease held = holderClient.acquire(NAME.value(), options);
        CompletableFuture<LockLease> acquiring = client.acquireAsync(NAME.value(), options);
        CompletableFuture<String> chain = acquiring.thenApply(lease -> {
            String thread = Thread.currentThread().getName();
            lease.close(); // blocks until Redis confirms the release
            try (LockLease again = client.acquire(NAME.value(), options)) { // blocks until granted
                return thread + " token " + again.fencingToken();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(acquiring).isNotDone();
        held.close();
        assertThat(await(chain)).startsWith("bulwark-lock-callback-");

        // A renewal refused by Redis (the lease was deleted under it) reports the loss on the callback executor.
        LockLease lease = client.acquire(NAME.value(), options.withLeaseTime(Duration.ofSeconds(3)));
        CompletableFuture<String> lostOn = new CompletableFuture<>();
        lease.onLost(lost -> {
            try (LockLease next = client.acquire(NAME.value(), options)) { // blocking, from the callback
                lostOn.complete(Thread.currentThread().getName() + " " + lost.reason() + " then " + next.fencingToken());
            } catch (Exception e) {
                lostOn.completeExceptionally(e);
            }
        });
        adminConnection.sync().del(adminConnection.sync().keys(prefix + "*").toArray(String[]::new));
        assertThat(await(lostOn)).startsWith("bulwark-lock-callback-").contains("RENEWAL_REJECTED");
    }

    private LockInfo describeQuietly(RedisLockBackend backend) {
        try {
            return describe(backend);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aLostWakeUpIsRecoveredByTheFallbackCheckWithTheSameGrant() throws Exception {
        RedisLockBackend holder = quietBackend();
        RedisLockBackend waiter = backend(server.uri(), Duration.ofMillis(200), Duration.ofSeconds(5));
        waiter.loseWakeUps(true);
        assertThat(await(holder.acquire(request("holder", 1, 0)))).isInstanceOf(AcquireOutcome.Granted.class);
        CompletableFuture<AcquireOutcome> waiting = waiter.acquire(request("waiter", 1, WAIT_NANOS));
        eventually("one waiter", () -> describeQuietly(holder).waiting() == 1);

        long releaseSentAt = holder.timer().clock().nanoTime();
        await(holder.release(new ReleaseRequest(NAME, new OwnerId("holder", 1))));
        // Redis granted it in the release (the wake-up was delivered to the connection, then lost).
        LockInfo.Holder grantedOnRedis = describe(holder).holders().get(0);
        assertThat(grantedOnRedis.owner()).isEqualTo("waiter#1");
        AcquireOutcome outcome = await(waiting);

        assertThat(outcome).isInstanceOf(AcquireOutcome.Granted.class);
        AcquireOutcome.Granted granted = (AcquireOutcome.Granted) outcome;
        assertThat(granted.fencingToken()).as("the fallback claim returns the grant made by the release")
                .isEqualTo(grantedOnRedis.fencingToken());
        // The claim restarted the lease on Redis when it ran, after it was sent, and after the release.
        assertThat(granted.leaseStartNanos()).isGreaterThan(releaseSentAt);
        assertThat(describe(holder).holders()).singleElement()
                .satisfies(h -> assertThat(h.fencingToken()).isEqualTo(granted.fencingToken()));
    }

    @Test
    void aGrantWhoseWakeUpReachesNobodyLapsesAfterTheWaiterLivenessNotALease() throws Exception {
        Duration liveness = Duration.ofSeconds(2);
        RedisLockBackend holder = quietBackend();
        TcpProxy proxy = new TcpProxy(server.port());
        closeAfter.add(proxy);
        RedisLockBackend waiter = backend(proxy.uri(), Duration.ofMillis(500), liveness);
        queueBehindAHolder(holder, waiter);

        // The waiter's process is cut off: Redis drops its connections, so nobody listens on its channel.
        proxy.cut();
        eventually("Redis dropped the waiter's subscription",
                () -> adminConnection.sync().pubsubShardNumsub(waiter.wakeChannel(NAME)).values().stream()
                        .mapToLong(Long::longValue).sum() == 0);
        long releasedAt = System.nanoTime();
        await(holder.release(new ReleaseRequest(NAME, new OwnerId("holder", 1))));

        LockInfo.Holder unclaimed = describe(holder).holders().get(0);
        assertThat(unclaimed.owner()).isEqualTo("waiter#1");
        assertThat(unclaimed.remainingLease()).as("an undelivered grant lives for the waiter liveness, not the lease")
                .isLessThanOrEqualTo(liveness);
        eventually("the unclaimed grant lapsed", () -> describeQuietly(holder).isIdle());
        assertThat(Duration.ofNanos(System.nanoTime() - releasedAt)).isLessThan(liveness.plusSeconds(5));
        assertThat(await(holder.acquire(request("holder", 2, 0)))).isInstanceOf(AcquireOutcome.Granted.class);
    }

    /** Cancel and release race; every order must end with the lock free (well before the 60 s lease). */
    @Test
    void cancellingAWaiterWhileTheReleaseGrantsItLeavesNothingLocked() throws Exception {
        RedisLockBackend backend = backend(server.uri(), Duration.ofMillis(200), Duration.ofSeconds(5));
        LockClient holders = LockClient.create(backend, LockClientOptions.defaults().withClientName("holder"));
        LockClient waiters = LockClient.create(backend, LockClientOptions.defaults().withClientName("waiter"));
        closeAfter.add(holders);
        closeAfter.add(waiters);
        LockOptions options = LockOptions.exclusive().withLeaseTime(Duration.ofSeconds(60)).withWaitTimeout(DEADLINE);
        Random random = new Random(42);
        long publishesBefore = serverCalls("spublish") + serverCalls("publish");
        int granted = 0;
        int cancelled = 0;
        for (int round = 0; round < 60; round++) {
            LockLease held = holders.acquire(NAME.value(), options);
            CompletableFuture<LockLease> waiting = waiters.acquireAsync(NAME.value(), options);
            eventually("one waiter", () -> describeQuietly(backend).waiting() == 1);
            // Up to 3 ms apart: a release round trip, so both orders of grant and cancellation occur.
            long skewNanos = random.nextInt(3_000_000);
            boolean cancelFirst = random.nextBoolean();
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Void> release = CompletableFuture.runAsync(() -> {
                awaitQuietly(go);
                if (cancelFirst) {
                    LockSupport.parkNanos(skewNanos);
                }
                held.close();
            });
            CompletableFuture<Boolean> cancel = CompletableFuture.supplyAsync(() -> {
                awaitQuietly(go);
                if (!cancelFirst) {
                    LockSupport.parkNanos(skewNanos);
                }
                return waiting.cancel(true);
            });
            go.countDown();
            await(release);
            if (await(cancel)) {
                cancelled++;
            } else {
                // The grant reached the caller first: it is a real lease, held on Redis, and the caller closes it.
                LockLease lease = waiting.get();
                assertThat(describe(backend).holders()).singleElement()
                        .satisfies(h -> assertThat(h.fencingToken()).isEqualTo(lease.fencingToken()));
                lease.close();
                granted++;
            }
            int r = round;
            eventually("nothing locked after round " + r, () -> describeQuietly(backend).isIdle());
        }
        long grantedInRelease = serverCalls("spublish") + serverCalls("publish") - publishesBefore;
        assertThat(granted + cancelled).isEqualTo(60);
        assertThat(cancelled).as("rounds in which the cancellation won").isPositive();
        assertThat(grantedInRelease - granted).as("rounds in which Redis granted the waiter in the release but the "
                + "cancellation won, so the grant had to be withdrawn").isPositive();
    }

    /** A wait that ends while the release grants: either a real, held lease or a timeout, never a leak. */
    @Test
    void aWaitEndingWhileTheReleaseGrantsLeavesNothingLocked() throws Exception {
        RedisLockBackend backend = backend(server.uri(), Duration.ofMillis(200), Duration.ofSeconds(5));
        LockClient holders = LockClient.create(backend, LockClientOptions.defaults().withClientName("holder"));
        LockClient waiters = LockClient.create(backend, LockClientOptions.defaults().withClientName("waiter"));
        closeAfter.add(holders);
        closeAfter.add(waiters);
        LockOptions holderOptions = LockOptions.exclusive().withLeaseTime(Duration.ofSeconds(60)).withWaitTimeout(DEADLINE);
        Duration wait = Duration.ofMillis(30);
        Random random = new Random(7);
        for (int round = 0; round < 40; round++) {
            LockLease held = holders.acquire(NAME.value(), holderOptions);
            long startedAt = System.nanoTime();
            CompletableFuture<LockLease> waiting = waiters.acquireAsync(NAME.value(),
                    holderOptions.withWaitTimeout(wait));
            // Release somewhere around the end of the wait.
            LockSupport.parkNanos(startedAt + wait.toNanos() - 3_000_000 + random.nextInt(6_000_000) - System.nanoTime());
            held.close();
            try {
                LockLease lease = await(waiting);
                assertThat(describe(backend).holders()).singleElement()
                        .satisfies(h -> assertThat(h.fencingToken()).isEqualTo(lease.fencingToken()));
                lease.close();
            } catch (ExecutionException e) {
                assertThat(e.getCause()).isInstanceOf(LockAcquisitionTimeoutException.class);
            }
            int r = round;
            eventually("nothing locked after round " + r, () -> describeQuietly(backend).isIdle());
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted");
        }
    }
}
