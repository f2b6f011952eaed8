package io.bulwark.lock.kit;

import io.bulwark.core.Clock;
import io.bulwark.lock.LockTimer;
import java.time.Duration;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A virtual {@link LockTimer}: time stands still until {@link #advance} moves it, and due tasks run on the
 * advancing thread in deadline order (ties in scheduling order), with the clock set to each task's deadline
 * while it runs. Runs are therefore exactly repeatable.
 *
 * <p>The clock starts at a large negative value on purpose: monotonic clocks have an arbitrary origin, and
 * code that assumes readings are positive should fail here rather than in production.
 *
 * <p>{@link #schedule} and {@link #clock()} are thread-safe; advance from one thread at a time. An exception
 * thrown by a task propagates out of {@code advance}, so the test sees it.
 */
public final class ManualLockTimer implements LockTimer {

    /** Where the clock starts. */
    public static final long ORIGIN_NANOS = -1_000_000_000_000_000L;

    private record Task(long atNanos, long sequence, Runnable action) implements Comparable<Task> {
        @Override
        public int compareTo(Task other) {
            int byTime = Long.compare(atNanos, other.atNanos);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }

    private final AtomicLong nowNanos = new AtomicLong(ORIGIN_NANOS);
    private final Object lock = new Object();
    private final PriorityQueue<Task> tasks = new PriorityQueue<>();
    private long sequence;

    @Override
    public Clock clock() {
        return nowNanos::get;
    }

    @Override
    public Scheduled schedule(long delayNanos, Runnable action) {
        Task task;
        synchronized (lock) {
            task = new Task(nowNanos.get() + Math.max(0, delayNanos), sequence++, action);
            tasks.add(task);
        }
        return () -> {
            synchronized (lock) {
                tasks.remove(task);
            }
        };
    }

    /** Moves the clock forward by {@code duration}, running every task that falls due on the way. */
    public void advance(Duration duration) {
        advanceNanos(duration.toNanos());
    }

    /** Moves the clock forward by {@code nanos} (not negative), running due tasks on the way. */
    public void advanceNanos(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("time cannot go backwards; nanos was " + nanos);
        }
        long target = nowNanos.get() + nanos;
        while (true) {
            Task next;
            synchronized (lock) {
                next = tasks.peek();
                if (next == null || next.atNanos() > target) {
                    break;
                }
                tasks.poll();
                if (next.atNanos() > nowNanos.get()) {
                    nowNanos.set(next.atNanos());
                }
            }
            next.action().run();
        }
        nowNanos.set(Math.max(nowNanos.get(), target));
    }

    /** Runs the tasks due now without moving the clock. */
    public void runDue() {
        advanceNanos(0);
    }

    /** The current virtual time. */
    public long nowNanos() {
        return nowNanos.get();
    }

    /** Number of tasks waiting to run. */
    public int scheduledTasks() {
        synchronized (lock) {
            return tasks.size();
        }
    }
}
