package io.bulwark.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.lock.BackendUnavailableException;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.spi.AcquireOutcome;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.RenewOutcome;
import io.bulwark.lock.spi.RenewRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Redis itself fails: killed and restarted empty, or stopped. Each test owns its server. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisFaultTest {

    private static final LockName NAME = LockName.of("fault/lock");
    private static final long LEASE_NANOS = Duration.ofSeconds(30).toNanos();

    private LocalRedisServer server;
    private RedisLockBackend backend;

    @BeforeEach
    void start() throws Exception {
        server = LocalRedisServer.start();
        backend = RedisLockBackend.create(RedisLockBackendOptions.of(server.uri()).withCommandTimeout(Duration.ofSeconds(1)));
    }

    @AfterEach
    void stop() throws Exception {
        backend.close();
        server.close();
    }

    private AcquireOutcome acquire(long sequence) throws Exception {
        return backend.acquire(new AcquireRequest(NAME, new OwnerId("fault", sequence), LockMode.exclusive(),
                LEASE_NANOS, 0)).get(10, TimeUnit.SECONDS);
    }

    @Test
    void tokensKeepIncreasingAfterRedisIsKilledAndRestartsEmptyMidHold() throws Exception {
        long before = ((AcquireOutcome.Granted) acquire(1)).fencingToken();

        server.restart(); // SIGKILL, then a fresh server with no data on the same port
        awaitConnected();

        // The holder learns it lost the lease; a new grant's token is higher than every earlier one.
        RenewOutcome renewed = backend.renew(new RenewRequest(NAME, new OwnerId("fault", 1), LEASE_NANOS))
                .get(10, TimeUnit.SECONDS);
        assertThat(renewed).isInstanceOf(RenewOutcome.NotHeld.class);
        AcquireOutcome after = acquire(2);
        assertThat(after).isInstanceOf(AcquireOutcome.Granted.class);
        assertThat(((AcquireOutcome.Granted) after).fencingToken()).isGreaterThan(before);
    }

    @Test
    void tokensKeepIncreasingAfterFlushAll() throws Exception {
        long last = 0;
        for (int i = 1; i <= 5; i++) {
            AcquireOutcome.Granted granted = (AcquireOutcome.Granted) acquire(i);
            assertThat(granted.fencingToken()).isGreaterThan(last);
            last = granted.fencingToken();
            RedisLockBackendFixture.flushAll(server);
        }
    }

    @Test
    void callsFailFastWhileRedisIsDownAndNeverReportAGrant() throws Exception {
        server.stop();
        long start = System.nanoTime();
        CompletableFuture<AcquireOutcome> call = backend.acquire(new AcquireRequest(NAME, new OwnerId("fault", 9),
                LockMode.exclusive(), LEASE_NANOS, Duration.ofSeconds(30).toNanos()));
        assertThatThrownBy(() -> call.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(BackendUnavailableException.class);
        // Well under the 30 s wait: the command timeout (1 s) bounds it, disconnected commands are rejected at once.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(backend.describe(NAME)).failsWithin(Duration.ofSeconds(3));
    }

    @Test
    void unreachableRedisAtStartUpIsAClearError() throws Exception {
        int port = LocalRedisServer.freePort();
        assertThatThrownBy(() -> RedisLockBackend.create(RedisLockBackendOptions.of("redis://127.0.0.1:" + port)
                .withCommandTimeout(Duration.ofMillis(500))))
                .isInstanceOf(BackendUnavailableException.class).hasMessageContaining("cannot connect to Redis");
    }

    private void awaitConnected() throws Exception {
        backend.whenConnected().get(10, TimeUnit.SECONDS);
    }
}
