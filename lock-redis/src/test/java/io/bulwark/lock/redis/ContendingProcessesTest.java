package io.bulwark.lock.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many processes, not only threads, contending on one lock (issue #3, "Tests"): {@value #PROCESSES} client
 * JVMs ({@link CountingWorkerMain}) × {@value #THREADS} threads each increment a Redis counter with a
 * non-atomic GET then SET under the lock. Each process has its own Redis connections, owner ids and
 * timers, so only the Redis-side lock orders them. The counter must end exact and the fencing tokens,
 * appended in the critical section, must be strictly increasing in the order the critical sections ran.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ContendingProcessesTest {

    private static final int PROCESSES = 4;
    private static final int THREADS = 2;
    /** Per thread: 4 × 2 × 60 = 480 handoffs, a few seconds on 2 cores after ~1 s of JVM start-up. */
    private static final int INCREMENTS = 60;
    private static final String LOCK = "contended/counter";
    private static final String COUNTER_KEY = "contended:counter";
    private static final String TOKENS_KEY = "contended:tokens";
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration RUN = Duration.ofSeconds(45);

    private LocalRedisServer server;
    private RedisClient redis;

    @BeforeEach
    void start() throws Exception {
        server = LocalRedisServer.start();
        redis = RedisClient.create(server.uri());
    }

    @AfterEach
    void stop() throws Exception {
        try {
            redis.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        } finally {
            server.close();
        }
    }

    @Test
    void processesIncrementingUnderOneLockLeaveTheCounterExactAndTokensIncreasing() throws Exception {
        List<ChildJvm> workers = new ArrayList<>();
        try {
            for (int p = 0; p < PROCESSES; p++) {
                workers.add(ChildJvm.start("worker-" + p, CountingWorkerMain.class, server.uri(), "contended:",
                        LOCK, COUNTER_KEY, TOKENS_KEY, Integer.toString(THREADS), Integer.toString(INCREMENTS)));
            }
            for (ChildJvm worker : workers) {
                worker.awaitLine("READY", START);
            }
            // Released together, after every JVM has started, so they really contend instead of taking turns.
            long startedAt = System.nanoTime();
            workers.forEach(worker -> worker.send("GO"));

            long total = (long) PROCESSES * THREADS * INCREMENTS;
            for (ChildJvm worker : workers) {
                String[] done = worker.awaitLine("DONE", RUN).split(" ");
                assertThat(Integer.parseInt(done[0])).as("increments done by %s", worker.transcript())
                        .isEqualTo(THREADS * INCREMENTS);
                assertThat(Integer.parseInt(done[1])).as("token regressions seen inside one process").isZero();
                assertThat(worker.awaitExit(Duration.ofSeconds(10))).as("worker exit code").isZero();
            }
            Duration ran = Duration.ofNanos(System.nanoTime() - startedAt);

            try (StatefulRedisConnection<String, String> connection = redis.connect()) {
                assertThat(connection.sync().get(COUNTER_KEY)).as("counter after %s increments in %s ms", total,
                        ran.toMillis()).isEqualTo(Long.toString(total));
                List<String> tokens = connection.sync().lrange(TOKENS_KEY, 0, -1);
                assertThat(tokens).hasSize((int) total);
                long previous = Long.MIN_VALUE;
                for (int i = 0; i < tokens.size(); i++) {
                    long token = Long.parseLong(tokens.get(i));
                    assertThat(token).as("token of critical section %d of %d", i, total).isGreaterThan(previous);
                    previous = token;
                }
            }
        } finally {
            for (ChildJvm worker : workers) {
                worker.close();
            }
        }
    }
}
