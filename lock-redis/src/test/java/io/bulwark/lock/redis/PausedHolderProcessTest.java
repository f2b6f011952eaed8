package io.bulwark.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.lock.Fence;
import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockClientOptions;
import io.bulwark.lock.LockInfo;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockOptions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A holder process frozen with SIGSTOP past its lease while another client takes the lock (issue #3, "Tests":
 * the paused-holder fault). The holder is a real JVM ({@link PausedHolderMain}) with its renewal watchdog on,
 * so nothing in it can run while it is stopped: not its renewals, not its timers. This is the case that
 * validity checks cannot cover and fencing must.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PausedHolderProcessTest {

    private static final String LOCK = "fault/paused-holder";
    private static final String KEY_PREFIX = "paused:";
    /** Short enough to lapse quickly, long enough that renewals every third of it survive a loaded 2-core box. */
    private static final Duration LEASE = Duration.ofSeconds(2);
    private static final Duration STEP = Duration.ofSeconds(20);

    private LocalRedisServer server;
    private RedisLockBackend backend;
    private LockClient locks;

    @BeforeEach
    void start() throws Exception {
        server = LocalRedisServer.start();
        backend = RedisLockBackend.create(RedisLockBackendOptions.of(server.uri()).withKeyPrefix(KEY_PREFIX)
                .withCommandTimeout(Duration.ofSeconds(1)));
        locks = LockClient.create(backend, LockClientOptions.defaults().withClientName("next-holder"));
    }

    @AfterEach
    void stop() throws Exception {
        try {
            locks.close();
            backend.close();
        } finally {
            server.close();
        }
    }

    @Test
    void holderStoppedPastItsLeaseIsFencedOffAndLearnsItLostTheLease() throws Exception {
        Fence fence = new Fence();
        try (ChildJvm holder = ChildJvm.start("paused-holder", PausedHolderMain.class, server.uri(), KEY_PREFIX, LOCK,
                Long.toString(LEASE.toMillis()))) {
            long pausedToken = Long.parseLong(holder.awaitLine("TOKEN", STEP));
            holder.awaitLine("RENEWED", STEP);
            assertThat(holder.awaitLine("CHECKED", STEP)).as("holder's check before its write").isEqualTo("true");
            // Renewed past its first lease time and still exclusive on Redis: the watchdog works while it runs.
            Optional<LockLease> early = locks.tryAcquire(LOCK, LockOptions.exclusive());
            early.ifPresent(LockLease::close);
            assertThat(early).as("lock taken while the renewing holder runs").isEmpty();

            holder.signal("STOP");
            holder.awaitState('T', Duration.ofSeconds(5));
            long stoppedAt = System.nanoTime();

            // The waiter is granted once the frozen holder's last renewal lapses on the Redis clock.
            try (LockLease next = locks.acquire(LOCK, LockOptions.exclusive().withWaitTimeout(STEP))) {
                Duration waited = Duration.ofNanos(System.nanoTime() - stoppedAt);
                assertThat(next.fencingToken()).as("token granted while the holder is paused").isGreaterThan(pausedToken);
                assertThat(waited).as("wait for the frozen lease to lapse").isLessThan(LEASE.plus(Duration.ofSeconds(3)));
                assertThat(fence.admit(LOCK, next.fencingToken())).as("new holder's write").isTrue();

                holder.send("WRITE"); // sits in the pipe until the holder runs again
                holder.signal("CONT");
                long lateToken = Long.parseLong(holder.awaitLine("WRITE", STEP));
                assertThat(lateToken).isEqualTo(pausedToken);
                assertThat(fence.admit(LOCK, lateToken)).as("paused holder's late write").isFalse();
                assertThat(fence.highestToken(LOCK)).isEqualTo(next.fencingToken());

                assertThat(holder.awaitLine("VALID", STEP)).as("paused holder's isValid() after resuming").isEqualTo("false");
                assertThat(holder.awaitLine("LOST", STEP)).as("paused holder's onLost reason").isIn("EXPIRED", "RENEWAL_REJECTED");
                assertThat(holder.awaitLine("CLOSE", STEP)).as("paused holder's close()").startsWith("lost ");
                holder.awaitLine("BYE", STEP);
                assertThat(holder.awaitExit(STEP)).as("holder exit code").isZero();

                // The resumed holder's renewal and release did not touch the new holder's lock.
                assertThat(next.isValid()).isTrue();
                LockInfo info = locks.describe(LOCK).get(STEP.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(info.holders()).singleElement().satisfies(h -> {
                    assertThat(h.fencingToken()).isEqualTo(next.fencingToken());
                    assertThat(h.owner()).startsWith(locks.clientId());
                });
            }
        }
    }
}
