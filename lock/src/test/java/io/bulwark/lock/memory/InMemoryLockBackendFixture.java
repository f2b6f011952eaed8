package io.bulwark.lock.memory;

import io.bulwark.lock.LockTimer;
import io.bulwark.lock.kit.LockBackendFixture;
import io.bulwark.lock.kit.ManualLockTimer;
import io.bulwark.lock.spi.LockBackend;
import java.time.Duration;

/** Runs the contract kit against {@link InMemoryLockBackend}, in virtual time or in real time. */
final class InMemoryLockBackendFixture implements LockBackendFixture {

    private final InMemoryLockBackend backend;
    private final ManualLockTimer virtualTimer; // null in real time

    private InMemoryLockBackendFixture(InMemoryLockBackend backend, ManualLockTimer virtualTimer) {
        this.backend = backend;
        this.virtualTimer = virtualTimer;
    }

    /** Time moves only when a test advances it: exact and repeatable. */
    static InMemoryLockBackendFixture virtualTime() {
        ManualLockTimer timer = new ManualLockTimer();
        return new InMemoryLockBackendFixture(InMemoryLockBackend.create(timer), timer);
    }

    /** The system clock and timer thread, as a networked backend would run the kit. */
    static InMemoryLockBackendFixture realTime() {
        return new InMemoryLockBackendFixture(InMemoryLockBackend.create(LockTimer.system()), null);
    }

    @Override
    public LockBackend backend() {
        return backend;
    }

    @Override
    public void advance(Duration duration) throws InterruptedException {
        if (virtualTimer != null) {
            virtualTimer.advance(duration);
        } else {
            LockBackendFixture.waitOnTimer(backend.timer(), duration);
        }
    }

    @Override
    public void makeUnreachable() {
        backend.setReachable(false);
    }

    @Override
    public void makeReachable() {
        backend.setReachable(true);
    }

    @Override
    public void loseAllLocks() {
        backend.loseAllLocks();
    }

    @Override
    public Duration timingLease() {
        // Real time needs room for timer-thread jitter and GC pauses on a loaded 2-core CI machine (renewals
        // every ~330 ms survive a 600 ms stall); virtual time does not care, but the same value keeps the two
        // runs comparable.
        return Duration.ofSeconds(1);
    }

    @Override
    public void close() {
        backend.close();
    }
}
