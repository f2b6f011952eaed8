package io.bulwark.lock.redis;

import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockClientOptions;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One of the client processes of {@link ContendingProcessesTest}: after the {@code GO} command, each of its
 * threads increments a Redis counter {@code increments} times as a non-atomic GET then SET under one lock,
 * and appends its fencing token to a Redis list in the same critical section. Only the lock keeps the counter
 * exact and the list increasing.
 *
 * <p>Arguments: Redis URI, key prefix, lock name, counter key, token list key, threads, increments per
 * thread. Protocol (stdout): {@code READY}, then {@code DONE increments tokenRegressions firstToken lastToken}
 * or {@code FAILED message}.
 */
public final class CountingWorkerMain {

    private CountingWorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        ParentLink parent = ParentLink.start(Duration.ofSeconds(90));
        String lockName = args[2];
        String counterKey = args[3];
        String tokensKey = args[4];
        int threads = Integer.parseInt(args[5]);
        int increments = Integer.parseInt(args[6]);
        RedisLockBackend backend = RedisLockBackend.create(RedisLockBackendOptions.of(args[0]).withKeyPrefix(args[1])
                .withCommandTimeout(Duration.ofSeconds(2)));
        LockClient locks = LockClient.create(backend, LockClientOptions.defaults().withClientName("counting-worker"));
        RedisClient data = RedisClient.create(args[0]);
        int exitCode = 1;
        try (StatefulRedisConnection<String, String> connection = data.connect()) {
            RedisCommands<String, String> redis = connection.sync();
            LockOptions options = LockOptions.exclusive().withLeaseTime(Duration.ofSeconds(10))
                    .withWaitTimeout(Duration.ofSeconds(30));
            AtomicInteger done = new AtomicInteger();
            AtomicInteger regressions = new AtomicInteger();
            AtomicLong firstToken = new AtomicLong(Long.MIN_VALUE);
            AtomicLong lastToken = new AtomicLong(Long.MIN_VALUE);
            List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
            parent.report("READY");
            parent.awaitCommand("GO", Duration.ofSeconds(60));
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread worker = new Thread(() -> {
                    try {
                        for (int i = 0; i < increments; i++) {
                            try (LockLease lease = locks.acquire(lockName, options)) {
                                long token = lease.fencingToken();
                                // Read and written only under the lock: any two critical sections of this
                                // process are ordered by it, so tokens seen here must strictly increase.
                                if (token <= lastToken.get()) {
                                    regressions.incrementAndGet();
                                }
                                lastToken.set(token);
                                firstToken.compareAndSet(Long.MIN_VALUE, token);
                                String value = redis.get(counterKey);
                                redis.set(counterKey, Long.toString(value == null ? 1 : Long.parseLong(value) + 1));
                                redis.rpush(tokensKey, Long.toString(token));
                            }
                            done.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }, "counting-worker-" + t);
                worker.start();
                workers.add(worker);
            }
            for (Thread worker : workers) {
                worker.join(); // bounded by the lock's wait timeout per increment and by the parent link's lifetime
            }
            if (failures.isEmpty()) {
                parent.report("DONE " + done.get() + " " + regressions.get() + " " + firstToken.get() + " " + lastToken.get());
                exitCode = 0;
            } else {
                failures.get(0).printStackTrace();
                parent.report("FAILED " + failures.size() + " threads failed, first: " + failures.get(0));
            }
        } finally {
            locks.close();
            backend.close();
            data.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        }
        System.exit(exitCode);
    }
}
