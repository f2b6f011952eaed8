package io.bulwark.lock.kit;

import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockClientOptions;
import io.bulwark.lock.LockInfo;
import io.bulwark.lock.LockName;
import io.bulwark.lock.LockOptions;
import io.bulwark.lock.spi.LockBackend;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Everything one contract test uses: the fixture, clients that are closed after the test, bounded waits,
 * and worker threads. Created fresh for every test by {@link LockBackendContractTest}. Thread-safe where
 * the tests need it (client creation, {@link #describe}).
 */
public final class LockKit implements AutoCloseable {

    /** Lease for tests that are not about time: never runs out within a test. */
    public static final Duration LONG_LEASE = Duration.ofSeconds(60);
    /** Wait for tests that are not about timeouts: ends only if the test is broken. */
    public static final Duration LONG_WAIT = Duration.ofSeconds(30);
    /** Upper bound on any single real-time wait in the kit. */
    public static final Duration DEADLINE = Duration.ofSeconds(20);

    private final LockBackendFixture fixture;
    private final List<LockClient> clients = new CopyOnWriteArrayList<>();
    private final List<ExecutorService> executors = new CopyOnWriteArrayList<>();
    private final AtomicInteger clientCount = new AtomicInteger();

    /** @param fixture the backend under test; closed by {@link #close()} */
    public LockKit(LockBackendFixture fixture) {
        this.fixture = fixture;
    }

    /** The fixture of this test. */
    public LockBackendFixture fixture() {
        return fixture;
    }

    /** The backend under test. */
    public LockBackend backend() {
        return fixture.backend();
    }

    /** The current time on the backend timer's clock. */
    public long nowNanos() {
        return backend().timer().clock().nanoTime();
    }

    /** The client options every kit client uses (apart from its name and registry), so tests can compute margins. */
    public static LockClientOptions clientOptions(String name) {
        return new LockClientOptions(name, name.hashCode(), LockClientOptions.DEFAULT_SAFETY_MARGIN,
                LockClientOptions.DEFAULT_CLOCK_DRIFT_RATE, new SimpleMeterRegistry());
    }

    /** A new client on the backend, closed after the test; each has its own {@link SimpleMeterRegistry}. */
    public LockClient client() {
        return client(clientOptions("kit-" + clientCount.incrementAndGet()));
    }

    /** A new client with {@code options}, closed after the test. */
    public LockClient client(LockClientOptions options) {
        LockClient client = LockClient.create(backend(), options);
        clients.add(client);
        return client;
    }

    /** {@code options} with a lease and a wait that neither run out within a test. */
    public static LockOptions steady(LockOptions options) {
        return options.withLeaseTime(LONG_LEASE).withWaitTimeout(LONG_WAIT);
    }

    /** The fixture's timing lease. */
    public Duration lease() {
        return fixture.timingLease();
    }

    /** Lets {@code duration} pass on the backend's clock. */
    public void advance(Duration duration) throws InterruptedException {
        fixture.advance(duration);
    }

    /** The backend's view of {@code name}, waited for with a deadline. */
    public LockInfo describe(String name) {
        return await(backend().describe(LockName.of(name)));
    }

    /** The value of {@code future}, waiting at most {@link #DEADLINE}; its failure cause is rethrown as is. */
    public <T> T await(CompletableFuture<T> future) {
        try {
            return future.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (TimeoutException e) {
            throw new AssertionError("future did not complete within " + DEADLINE, e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new AssertionError(e.getCause());
        }
    }

    /**
     * Waits until {@code condition} holds, polling every millisecond, for at most {@link #DEADLINE}. For state
     * that settles asynchronously on a remote backend; with the in-memory backend it usually holds at once.
     */
    public void eventually(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not true within " + DEADLINE + ": " + what);
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Waits until the backend lists {@code count} waiters for {@code name}. */
    public void awaitWaiters(String name, int count) {
        eventually(count + " waiters on '" + name + "'", () -> describe(name).waiting() == count);
    }

    /** Worker that may throw; see {@link #runConcurrently}. */
    @FunctionalInterface
    public interface Worker {
        /** Runs on worker thread {@code index}. */
        void run(int index) throws Exception;
    }

    /**
     * Runs {@code worker} on {@code threads} threads started together and waits for all of them, at most
     * {@code limit}; the first failure is rethrown.
     */
    public void runConcurrently(int threads, Duration limit, Worker worker) throws Exception {
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        executors.add(executor);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            int index = i;
            futures.add(executor.submit(() -> {
                start.await();
                worker.run(index);
                return null;
            }));
        }
        start.countDown();
        long deadline = System.nanoTime() + limit.toNanos();
        for (Future<?> future : futures) {
            try {
                future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                throw new AssertionError("workers did not finish within " + limit, e);
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw new AssertionError(e.getCause());
            }
        }
    }

    /** A single-thread executor shut down after the test. */
    public ExecutorService thread() {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executors.add(executor);
        return executor;
    }

    /** Closes clients, worker threads and the fixture. */
    @Override
    public void close() {
        for (ExecutorService executor : executors) {
            executor.shutdownNow();
        }
        for (LockClient client : clients) {
            client.close();
        }
        fixture.close();
    }
}
