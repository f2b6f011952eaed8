package io.bulwark.lock;

import io.bulwark.core.Clock;

/**
 * The only source of time for lock clients and backends: a monotonic {@link Clock} and a way to run a
 * task once that clock has advanced by a delay.
 *
 * <p>Lease deadlines, renewals, wait timeouts and backend expiry all go through one timer, so a test or
 * the simulator can replace it with a virtual one and run the same code deterministically. A backend
 * and every client built on it share the backend's timer ({@link io.bulwark.lock.spi.LockBackend#timer()}).
 *
 * <p>Implementations are thread-safe. Tasks must be short and must not block: renewals of every lease
 * share the timer, and a task that blocks delays them (safety does not depend on it, since validity is
 * computed from the clock, but leases may then be lost for lack of renewal).
 */
public interface LockTimer {

    /** The monotonic clock that delays are measured on. */
    Clock clock();

    /**
     * Runs {@code task} once, when {@code clock()} has advanced by at least {@code delayNanos} (at once
     * if {@code delayNanos <= 0}). Exceptions thrown by the task are logged and do not stop the timer.
     *
     * @return a handle that cancels the task if it has not started
     */
    Scheduled schedule(long delayNanos, Runnable task);

    /** A task scheduled on a {@link LockTimer}. Thread-safe. */
    @FunctionalInterface
    interface Scheduled {
        /** Prevents the task from running if it has not started; idempotent. */
        void cancel();
    }

    /**
     * The JVM's monotonic clock and a shared scheduler running on one daemon thread
     * ({@code bulwark-lock-timer}). Shared so that many clients and backends in one process cost one thread.
     */
    static LockTimer system() {
        return SystemLockTimer.INSTANCE;
    }
}
