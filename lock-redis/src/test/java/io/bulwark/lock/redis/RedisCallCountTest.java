package io.bulwark.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockClientOptions;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockOptions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What an acquire+release pair costs Redis, counted the way {@code bulwark bench lock} counts it: every command
 * Redis executed, including those inside the Lua script ({@code INFO commandstats} on this test's own server).
 * Upper bounds, so a change that adds calls to the hot paths fails here rather than in a benchmark nobody runs.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RedisCallCountTest {

    private static final int PAIRS = 200;
    private static final LockOptions OPTIONS = LockOptions.exclusive(); // default lease, wait and watchdog

    private LocalRedisServer server;
    private RedisLockBackend backend;
    private LockClient locks;

    @BeforeEach
    void start() throws Exception {
        server = LocalRedisServer.start();
        backend = RedisLockBackend.create(RedisLockBackendOptions.of(server.uri()));
        locks = LockClient.create(backend, LockClientOptions.defaults().withClientName("counted"));
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

    /** Commands Redis ran while {@code work} ran, by name. */
    private Map<String, Long> commandsDuring(Work work) throws Exception {
        SortedMap<String, Long> before = server.commandCallsByName();
        work.run();
        SortedMap<String, Long> after = server.commandCallsByName();
        Map<String, Long> delta = new HashMap<>();
        after.forEach((command, calls) -> {
            long d = calls - before.getOrDefault(command, 0L);
            if (d > 0) {
                delta.put(command, d);
            }
        });
        return delta;
    }

    @FunctionalInterface
    private interface Work {
        void run() throws Exception;
    }

    private static long total(Map<String, Long> commands) {
        return commands.values().stream().mapToLong(Long::longValue).sum();
    }

    @Test
    void anUncontendedPairIsTwoScriptsOfTimeGetAndSet() throws Exception {
        for (int i = 0; i < 20; i++) {
            locks.acquire("counted/same", OPTIONS).close(); // warm-up: first use of the name, JIT
        }
        Map<String, Long> commands = commandsDuring(() -> {
            for (int i = 0; i < PAIRS; i++) {
                try (LockLease lease = locks.acquire("counted/same", OPTIONS)) {
                    assertThat(lease.fencingToken()).isPositive();
                }
            }
        });

        // EVALSHA + TIME + GET + SET for the acquire, the same for the release: the lone holder lives in the
        // name's state string, no subscription is made when the lock is free, nothing is published.
        assertThat(commands).as("commands for %d uncontended pairs", PAIRS)
                .containsEntry("evalsha", 2L * PAIRS).doesNotContainKeys("ssubscribe", "subscribe", "spublish", "publish");
        assertThat(total(commands)).as("commands for %d uncontended pairs: %s", PAIRS, commands).isLessThanOrEqualTo(8L * PAIRS);
    }

    @Test
    void anUncontendedPairOnANameNeverUsedBeforeCostsTheSame() throws Exception {
        locks.acquire("counted/warm-up", OPTIONS).close(); // loads the script (NOSCRIPT, then EVAL) on this server
        Map<String, Long> commands = commandsDuring(() -> {
            for (int i = 0; i < PAIRS; i++) {
                locks.acquire("counted/fresh/" + i, OPTIONS).close();
            }
        });
        // The state string carries its own expiry (SET ... PX): a new name needs no PEXPIRE.
        assertThat(total(commands)).as("commands for %d pairs on fresh names: %s", PAIRS, commands)
                .isLessThanOrEqualTo(8L * PAIRS);
    }

    @Test
    void aContendedHandoffNeedsNoClaimAndOneWakeUp() throws Exception {
        int threads = 4;
        int rounds = 100;
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        try {
            Map<String, Long> commands = commandsDuring(() -> {
                CountDownLatch start = new CountDownLatch(1);
                Future<?>[] workers = new Future<?>[threads];
                for (int t = 0; t < threads; t++) {
                    workers[t] = executor.submit(() -> {
                        start.await();
                        for (int i = 0; i < rounds; i++) {
                            locks.acquire("counted/contended", OPTIONS).close();
                        }
                        return null;
                    });
                }
                start.countDown();
                for (Future<?> worker : workers) {
                    worker.get(50, TimeUnit.SECONDS);
                }
            });
            long pairs = (long) threads * rounds;
            long scripts = commands.getOrDefault("evalsha", 0L) + commands.getOrDefault("eval", 0L);
            long wakeUps = commands.getOrDefault("spublish", 0L) + commands.getOrDefault("publish", 0L);
            // Acquire + release, plus a few re-checks (a waiter that found no subscription to ride on subscribes
            // and checks once) and heartbeats; the handoff itself adds none.
            assertThat(scripts).as("scripts for %d contended pairs: %s", pairs, commands).isLessThanOrEqualTo(pairs * 9 / 4);
            assertThat(wakeUps).as("wake-ups: at most one per pair (one per handoff)").isLessThanOrEqualTo(pairs);
            assertThat(total(commands)).as("commands for %d contended pairs: %s", pairs, commands).isLessThanOrEqualTo(20 * pairs);
        } finally {
            executor.shutdownNow();
        }
    }
}
