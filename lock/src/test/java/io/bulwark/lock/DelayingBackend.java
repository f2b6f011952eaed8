package io.bulwark.lock;

import io.bulwark.lock.kit.ManualLockTimer;
import io.bulwark.lock.spi.AbandonRequest;
import io.bulwark.lock.spi.AcquireOutcome;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.LockBackend;
import io.bulwark.lock.spi.ReleaseOutcome;
import io.bulwark.lock.spi.ReleaseRequest;
import io.bulwark.lock.spi.RenewOutcome;
import io.bulwark.lock.spi.RenewRequest;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A fault injector in front of a real backend: requests reach it at once, answers come back after a
 * configurable virtual delay, as over a slow network. Counts the requests it forwards. Not a mock: every
 * answer is the real backend's.
 */
final class DelayingBackend implements LockBackend {

    private final LockBackend inner;
    private final ManualLockTimer timer;
    volatile long acquireAnswerDelayNanos;
    volatile long renewAnswerDelayNanos;
    final AtomicInteger renewals = new AtomicInteger();
    final AtomicInteger releases = new AtomicInteger();
    final AtomicInteger abandons = new AtomicInteger();

    DelayingBackend(LockBackend inner, ManualLockTimer timer) {
        this.inner = inner;
        this.timer = timer;
    }

    @Override
    public LockTimer timer() {
        return timer;
    }

    @Override
    public CompletableFuture<AcquireOutcome> acquire(AcquireRequest request) {
        return delayed(inner.acquire(request), acquireAnswerDelayNanos);
    }

    @Override
    public CompletableFuture<RenewOutcome> renew(RenewRequest request) {
        renewals.incrementAndGet();
        return delayed(inner.renew(request), renewAnswerDelayNanos);
    }

    @Override
    public CompletableFuture<ReleaseOutcome> release(ReleaseRequest request) {
        releases.incrementAndGet();
        return inner.release(request);
    }

    @Override
    public CompletableFuture<Void> abandon(AbandonRequest request) {
        abandons.incrementAndGet();
        return inner.abandon(request);
    }

    @Override
    public CompletableFuture<LockInfo> describe(LockName name) {
        return inner.describe(name);
    }

    @Override
    public void close() {
        inner.close();
    }

    private <T> CompletableFuture<T> delayed(CompletableFuture<T> answer, long delayNanos) {
        if (delayNanos == 0) {
            return answer;
        }
        CompletableFuture<T> late = new CompletableFuture<>();
        answer.whenComplete((value, error) -> timer.schedule(delayNanos, () -> {
            if (error != null) {
                late.completeExceptionally(error);
            } else {
                late.complete(value);
            }
        }));
        return late;
    }
}
