package io.bulwark.lock;

import io.bulwark.lock.spi.AbandonRequest;
import io.bulwark.lock.spi.AcquireOutcome;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.OwnerId;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One acquire call in flight: the request sent, the client-side wait timer, and the race between the
 * backend's answer and the caller giving up (timeout, cancellation, interruption, client close).
 *
 * <p>Exactly one of those wins, by compare-and-set on {@link #state}. If the caller gave up, the request is
 * withdrawn ({@link AbandonRequest}); a grant that arrives afterwards is withdrawn again, so it can never
 * leak. Thread-safe.
 */
final class PendingAcquisition {

    private enum State { WAITING, GRANTED, NOT_GRANTED, CANCELLED, FAILED }

    private static final System.Logger LOG = System.getLogger(LockClient.class.getName());

    private final BackendLockClient client;
    private final LockName name;
    private final OwnerId owner;
    private final LockOptions options;
    private final long waitNanos;
    private final boolean tryOnly;
    private final long startNanos;
    private final AtomicReference<State> state = new AtomicReference<>(State.WAITING);
    private final CompletableFuture<LockLease> result = new CompletableFuture<>();
    private volatile LockTimer.Scheduled waitTimer;

    /**
     * @param tryOnly complete with {@code null} instead of a timeout exception when not granted at once
     */
    PendingAcquisition(BackendLockClient client, LockName name, OwnerId owner, LockOptions options, long waitNanos,
                       boolean tryOnly) {
        this.client = client;
        this.name = name;
        this.owner = owner;
        this.options = options;
        this.waitNanos = waitNanos;
        this.tryOnly = tryOnly;
        this.startNanos = client.clock.nanoTime();
    }

    CompletableFuture<LockLease> result() {
        return result;
    }

    void start() {
        result.whenComplete((lease, error) -> {
            if (error instanceof CancellationException) {
                onCancelled();
            }
        });
        long sendNanos = client.clock.nanoTime();
        CompletableFuture<AcquireOutcome> answer;
        try {
            answer = client.backend.acquire(
                    new AcquireRequest(name, owner, options.mode(), options.leaseNanos(), waitNanos));
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e); // the SPI says backends never throw; do not trust it
        }
        // Scheduled after sending so that it can never fire before the request exists on the backend (an
        // abandon that overtook its acquire would leave the request queued until its wait ended).
        if (waitNanos > 0 && !tryOnly) {
            waitTimer = client.timer.schedule(waitNanos, this::onWaitElapsed);
        }
        answer.whenComplete((outcome, error) -> onAnswer(sendNanos, outcome, error));
    }

    /** Fails the acquisition if it is still waiting (used when the client closes). */
    void fail(LockException failure) {
        if (state.compareAndSet(State.WAITING, State.FAILED)) {
            cancelWaitTimer();
            withdraw();
            finish(LockMetrics.AcquireResult.FAILED);
            result.completeExceptionally(failure);
        }
    }

    private void onAnswer(long sendNanos, AcquireOutcome outcome, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            LockException failure = cause instanceof LockException lockException ? lockException
                    : new BackendUnavailableException("lock backend failed to answer an acquire of '" + name + "'", cause);
            // The request may have reached the backend before the failure: withdraw it in case.
            fail(failure);
            return;
        }
        if (outcome instanceof AcquireOutcome.Granted granted) {
            onGranted(sendNanos, granted);
        } else if (outcome instanceof AcquireOutcome.NotGranted) {
            if (state.compareAndSet(State.WAITING, State.NOT_GRANTED)) {
                cancelWaitTimer();
                if (tryOnly) {
                    finish(LockMetrics.AcquireResult.BUSY);
                    result.complete(null);
                } else {
                    finish(LockMetrics.AcquireResult.TIMED_OUT);
                    result.completeExceptionally(timeout());
                }
            }
        } else if (outcome instanceof AcquireOutcome.Rejected rejected) {
            if (state.compareAndSet(State.WAITING, State.FAILED)) {
                cancelWaitTimer();
                finish(LockMetrics.AcquireResult.FAILED);
                result.completeExceptionally(rejection(rejected));
            }
        } else {
            throw new AssertionError("unknown acquire outcome " + outcome);
        }
    }

    private void onGranted(long sendNanos, AcquireOutcome.Granted granted) {
        if (!state.compareAndSet(State.WAITING, State.GRANTED)) {
            // The caller gave up first and its abandon was processed after this grant: give it back.
            withdraw();
            return;
        }
        cancelWaitTimer();
        // Both are valid lower bounds of the backend's lease start; the later one is the tighter.
        long leaseStartNanos = Math.max(sendNanos, granted.leaseStartNanos());
        LeaseGrant grant = new LeaseGrant(client, name, owner, options, granted.fencingToken(), granted.leaseNanos(),
                leaseStartNanos);
        LockLease lease = grant.open();
        if (result.complete(lease)) {
            finish(LockMetrics.AcquireResult.ACQUIRED);
        } else {
            // Cancelled between the grant and now: the caller will never see this lease.
            finish(LockMetrics.AcquireResult.CANCELLED);
            grant.releaseUnseen();
        }
    }

    private void onWaitElapsed() {
        if (!state.compareAndSet(State.WAITING, State.NOT_GRANTED)) {
            return;
        }
        // Report the timeout only once the backend has dropped the request, so that a caller who looks
        // right after the exception finds nothing left behind.
        withdraw().whenComplete((ignored, error) -> {
            finish(LockMetrics.AcquireResult.TIMED_OUT);
            result.completeExceptionally(timeout());
        });
    }

    private void onCancelled() {
        if (state.compareAndSet(State.WAITING, State.CANCELLED)) {
            cancelWaitTimer();
            withdraw();
            finish(LockMetrics.AcquireResult.CANCELLED);
        }
    }

    private CompletableFuture<Void> withdraw() {
        CompletableFuture<Void> done;
        try {
            done = client.backend.abandon(new AbandonRequest(name, owner));
        } catch (RuntimeException e) {
            done = CompletableFuture.failedFuture(e);
        }
        return done.exceptionally(error -> {
            // Whatever is left is bounded by the request's wait and lease deadlines on the backend.
            LOG.log(System.Logger.Level.DEBUG, () -> "could not withdraw request " + owner + " for lock '" + name
                    + "'; the backend will drop it at its deadline: " + error);
            return null;
        });
    }

    private void finish(LockMetrics.AcquireResult outcome) {
        client.pendingEnded(this);
        client.metrics.acquireEnded(options.mode().kind(), outcome, client.clock.nanoTime() - startNanos);
    }

    private void cancelWaitTimer() {
        LockTimer.Scheduled timer = waitTimer;
        if (timer != null) {
            timer.cancel();
        }
    }

    private LockAcquisitionTimeoutException timeout() {
        return new LockAcquisitionTimeoutException(name.value(), options.mode(), options.waitTimeout());
    }

    private static RuntimeException rejection(AcquireOutcome.Rejected rejected) {
        return switch (rejected.reason()) {
            case MODE_CONFLICT -> new LockModeConflictException(rejected.message());
            case LIMIT_EXCEEDED -> new LockLimitExceededException(rejected.message());
            case INVALID_REQUEST -> new InvalidLockRequestException(rejected.message());
        };
    }
}
