package io.bulwark.lock.kit;

import io.bulwark.lock.LockTimer;
import io.bulwark.lock.spi.LockBackend;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What the contract kit needs from a backend under test: a fresh backend, a way to let time pass on its
 * timer's clock, and fault injection. One fixture per test; the kit closes it afterwards.
 *
 * <p>Implementations need not be thread-safe except {@link #backend()}, which the kit calls from many threads.
 */
public interface LockBackendFixture extends AutoCloseable {

    /** The backend under test (the same instance for the whole test). */
    LockBackend backend();

    /**
     * Lets at least {@code duration} pass on the backend timer's clock, then returns. A virtual-time fixture
     * advances its {@link ManualLockTimer}; a real-time one waits for a timer task (see {@link #waitOnTimer}).
     */
    void advance(Duration duration) throws InterruptedException;

    /**
     * Cuts every client off from the backend: calls fail with
     * {@link io.bulwark.lock.BackendUnavailableException} until {@link #makeReachable()}. State on the
     * backend keeps running (leases expire).
     */
    void makeUnreachable();

    /** Heals {@link #makeUnreachable()}. */
    void makeReachable();

    /**
     * Makes the backend lose every lease and waiter, as a restart without persistence would (a Redis
     * restart, a failover to a replica that missed writes). Tokens issued afterwards must still be higher.
     */
    void loseAllLocks();

    /**
     * The lease the kit uses in timing tests: long enough for the backend to renew it reliably in this
     * fixture's time; real-time fixtures need slack for scheduling jitter.
     */
    default Duration timingLease() {
        return Duration.ofMillis(600);
    }

    /** Closes the backend and anything the fixture started. */
    @Override
    void close();

    /**
     * Waits until {@code duration} has passed on {@code timer}'s clock by scheduling a task on it and waiting
     * for that task (with a generous real-time deadline), for real-time fixtures.
     */
    static void waitOnTimer(LockTimer timer, Duration duration) throws InterruptedException {
        CompletableFuture<Void> passed = new CompletableFuture<>();
        timer.schedule(duration.toNanos(), () -> passed.complete(null));
        try {
            passed.get(duration.toMillis() + 30_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("timer did not fire within 30 s after " + duration, e);
        }
    }
}
