package io.bulwark.lock.redis;

import io.bulwark.lock.kit.LockBackendFixture;
import io.bulwark.lock.spi.LockBackend;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs the contract kit against {@link RedisLockBackend} on a real Redis: the backend talks to Redis through
 * a {@link TcpProxy} (so the kit can partition it), under a key prefix of its own (so tests sharing one
 * server stay independent). Losing all locks is a real {@code FLUSHALL}.
 */
final class RedisLockBackendFixture implements LockBackendFixture {

    private static final AtomicInteger FIXTURES = new AtomicInteger();

    private final LocalRedisServer server;
    private final TcpProxy proxy;
    private final RedisLockBackend backend;

    RedisLockBackendFixture(LocalRedisServer server) {
        this.server = server;
        try {
            this.proxy = new TcpProxy(server.port());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.backend = RedisLockBackend.create(RedisLockBackendOptions.of(proxy.uri())
                .withKeyPrefix("test" + FIXTURES.incrementAndGet() + ":")
                .withCommandTimeout(Duration.ofSeconds(2))
                .withWaiterTiming(Duration.ofMillis(200), Duration.ofSeconds(2)));
    }

    @Override
    public LockBackend backend() {
        return backend;
    }

    RedisLockBackend redisBackend() {
        return backend;
    }

    @Override
    public void advance(Duration duration) throws InterruptedException {
        LockBackendFixture.waitOnTimer(backend.timer(), duration);
    }

    @Override
    public void makeUnreachable() {
        proxy.cut();
        awaitConnected(false);
    }

    @Override
    public void makeReachable() {
        proxy.heal();
        awaitConnected(true);
    }

    private void awaitConnected(boolean connected) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (backend.isConnected() != connected) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("backend connected=" + backend.isConnected() + " 10 s after the proxy changed");
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    @Override
    public void loseAllLocks() {
        flushAll(server);
    }

    static void flushAll(LocalRedisServer server) {
        RedisClient client = RedisClient.create(server.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            connection.sync().flushall();
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
    }

    @Override
    public Duration timingLease() {
        // Real time on a loaded 2-core machine, plus a network hop: same room as the in-memory real-time run.
        return Duration.ofSeconds(1);
    }

    @Override
    public void close() {
        backend.close();
        proxy.close();
    }
}
