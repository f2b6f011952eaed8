package io.bulwark.lock;

import io.bulwark.core.Clock;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** {@link LockTimer#system()}: one daemon thread, tasks cancelled on request are removed at once. */
final class SystemLockTimer implements LockTimer {

    static final SystemLockTimer INSTANCE = new SystemLockTimer();

    private static final System.Logger LOG = System.getLogger(LockTimer.class.getName());

    private final ScheduledThreadPoolExecutor executor;
    private final Clock clock = Clock.system();

    private SystemLockTimer() {
        executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "bulwark-lock-timer");
            thread.setDaemon(true);
            return thread;
        });
        // Without this, cancelled renewals of short-lived leases would pile up in the queue until their
        // (possibly distant) deadline.
        executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public Clock clock() {
        return clock;
    }

    @Override
    public Scheduled schedule(long delayNanos, Runnable task) {
        ScheduledFuture<?> future = executor.schedule(() -> {
            try {
                task.run();
            } catch (RuntimeException | Error e) {
                // Keep the shared thread alive: every other lease's renewal depends on it. Validity is computed
                // from the clock, so a lost task can cost a lease but never make one look valid.
                LOG.log(System.Logger.Level.ERROR, "lock timer task failed; the timer keeps running", e);
            }
        }, Math.max(0, delayNanos), TimeUnit.NANOSECONDS);
        return () -> future.cancel(false);
    }
}
