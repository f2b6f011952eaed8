package io.bulwark.lock;

import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.ReleaseOutcome;
import io.bulwark.lock.spi.ReleaseRequest;
import io.bulwark.lock.spi.RenewOutcome;
import io.bulwark.lock.spi.RenewRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One granted lease on the client side, shared by its handles: the client-side deadline, the renewal
 * watchdog, the expiry timer, the loss callbacks, and the release.
 *
 * <p>States: {@code OPEN} until the last handle closes ({@code CLOSING}, then {@code CLOSED}), the lease is
 * lost ({@code LOST}: deadline passed, renewal refused, release refused, client closed), or every handle
 * was dropped unclosed ({@code CLOSED} without release). State changes happen under this object's
 * monitor; backend calls and user callbacks never do, so neither can deadlock against the other. The
 * deadline only moves forward and is re-checked against the clock wherever validity matters, so a
 * late timer can delay reporting a loss but never extend validity.
 */
final class LeaseGrant {

    private enum State { OPEN, CLOSING, CLOSED, LOST }

    /** A loss decided under the monitor, to be reported outside it. */
    private record Loss(LockLostException exception, List<Consumer<? super LockLostException>> callbacks,
                        boolean releaseOnBackend, boolean isNew) {
    }

    private static final System.Logger LOG = System.getLogger(LockLease.class.getName());
    /** Floor for renewal retries, so a lease in its last microseconds does not spin the timer. */
    private static final long MIN_RETRY_NANOS = 1_000_000;

    private final BackendLockClient client;
    final LockName name;
    final OwnerId owner;
    final LockOptions options;
    final long fencingToken;
    private final long grantedAtNanos;
    private final long firstRenewalAtNanos;

    private volatile State state = State.OPEN;
    private volatile long deadlineNanos;
    // Guarded by this.
    private int openHandles;
    private boolean renewalInFlight;
    private LockTimer.Scheduled renewalTask;
    private LockTimer.Scheduled expiryTask;
    private LockLostException lost;
    private final List<Consumer<? super LockLostException>> lostCallbacks = new ArrayList<>();

    LeaseGrant(BackendLockClient client, LockName name, OwnerId owner, LockOptions options, long fencingToken,
               long grantedLeaseNanos, long leaseStartNanos) {
        this.client = client;
        this.name = name;
        this.owner = owner;
        this.options = options;
        this.fencingToken = fencingToken;
        this.grantedAtNanos = client.clock.nanoTime();
        this.deadlineNanos = leaseStartNanos + usableNanos(grantedLeaseNanos);
        this.firstRenewalAtNanos = leaseStartNanos + usableNanos(grantedLeaseNanos) / 3;
    }

    /** Registers the grant with its client, starts its timers, and returns its first handle. */
    LockLease open() {
        synchronized (this) {
            openHandles = 1;
            client.grantOpened(this);
            scheduleExpiry();
            if (options.autoRenew()) {
                // If the lease start reported was long ago (a grant pushed after a long wait), this is in the
                // past and the first renewal goes out at once.
                scheduleRenewal(firstRenewalAtNanos);
            }
        }
        return new LeaseHandle(this);
    }

    // ---- queries (lock-free: volatile reads) ----

    boolean isValid() {
        return state == State.OPEN && client.clock.nanoTime() - deadlineNanos < 0;
    }

    long deadlineNanos() {
        return deadlineNanos;
    }

    long remainingNanos() {
        return state == State.OPEN ? Math.max(0, deadlineNanos - client.clock.nanoTime()) : 0;
    }

    /** The exception describing why the lease is not valid, or null if it is. */
    LockLostException lossIfInvalid() {
        synchronized (this) {
            if (state == State.LOST) {
                return lost.copy();
            }
        }
        if (state == State.OPEN && !isValid()) {
            // The deadline passed and the expiry timer has not run yet: report it now rather than later.
            onExpiryTimer();
            synchronized (this) {
                return lost == null ? null : lost.copy();
            }
        }
        return null;
    }

    // ---- handles ----

    LockLease reenter() {
        Loss loss;
        synchronized (this) {
            if (!options.reentrant()) {
                throw new IllegalStateException("lock '" + name + "' was acquired without "
                        + "LockOptions.withReentrancy(); re-entering a lease must be requested when acquiring it");
            }
            if (state == State.LOST) {
                throw lost.copy();
            }
            if (state != State.OPEN) {
                throw new IllegalStateException("lease on lock '" + name + "' is already released");
            }
            if (client.clock.nanoTime() - deadlineNanos < 0) {
                openHandles++;
                return new LeaseHandle(this);
            }
            loss = markLost(LockLostException.Reason.EXPIRED, "the lease deadline passed before re-entering", true);
        }
        report(loss);
        throw loss.exception().copy();
    }

    void onLost(Consumer<? super LockLostException> callback) {
        LockLostException already;
        synchronized (this) {
            if (state == State.OPEN || state == State.CLOSING) {
                lostCallbacks.add(callback);
                return;
            }
            if (state != State.LOST) {
                return; // released normally: it will never be lost
            }
            already = lost;
        }
        runCallback(callback, already);
    }

    /** One handle closed: releases the lock if it was the last one. */
    CompletableFuture<Void> closeHandle() {
        Loss loss;
        synchronized (this) {
            openHandles--;
            if (state == State.LOST) {
                return CompletableFuture.failedFuture(lost.copy());
            }
            if (state != State.OPEN || openHandles > 0) {
                return CompletableFuture.completedFuture(null);
            }
            if (client.clock.nanoTime() - deadlineNanos < 0) {
                // Stop renewing before the release is sent, under the monitor that renewals check: no renewal
                // is sent after this point, and one already on the wire is refused after the release.
                state = State.CLOSING;
                cancelTimers();
                loss = null;
            } else {
                loss = markLost(LockLostException.Reason.EXPIRED, "the lease deadline passed before close", true);
            }
        }
        if (loss != null) {
            report(loss);
            return CompletableFuture.failedFuture(loss.exception().copy());
        }
        return call(() -> client.backend.release(new ReleaseRequest(name, owner)))
                .handle((outcome, error) -> afterRelease(outcome, error));
    }

    /** Every handle became unreachable without close: stop renewing, let the backend expire the lease. */
    void handleDropped() {
        synchronized (this) {
            openHandles--;
            if (openHandles > 0 || state != State.OPEN) {
                return;
            }
            state = State.CLOSED;
            cancelTimers();
            ended();
        }
        client.metrics.leaseLeaked();
        LOG.log(System.Logger.Level.WARNING, () -> "lease " + owner + " on lock '" + name + "' (fencing token "
                + fencingToken + ") was garbage-collected without close(); renewal stopped and the backend will "
                + "expire it");
    }

    /** The caller cancelled after the grant raced in: release without anyone having seen the lease. */
    void releaseUnseen() {
        synchronized (this) {
            if (state != State.OPEN) {
                return;
            }
            state = State.CLOSING;
            cancelTimers();
        }
        call(() -> client.backend.release(new ReleaseRequest(name, owner)))
                .handle((outcome, error) -> afterRelease(outcome, error));
    }

    /** The owning client closed. */
    void loseOnClientClose() {
        Loss loss;
        synchronized (this) {
            loss = markLost(LockLostException.Reason.CLIENT_CLOSED, "its LockClient was closed", true);
        }
        report(loss);
    }

    // ---- timers ----

    private void renew() {
        long sendNanos;
        synchronized (this) {
            renewalTask = null;
            if (state != State.OPEN || renewalInFlight) {
                return;
            }
            renewalInFlight = true;
            sendNanos = client.clock.nanoTime();
        }
        call(() -> client.backend.renew(new RenewRequest(name, owner, options.leaseNanos())))
                .whenComplete((outcome, error) -> onRenewal(sendNanos, outcome, error));
    }

    private void onRenewal(long sendNanos, RenewOutcome outcome, Throwable error) {
        Loss loss;
        synchronized (this) {
            renewalInFlight = false;
            if (state != State.OPEN) {
                return; // closed or lost meanwhile: a late answer must not revive anything
            }
            long now = client.clock.nanoTime();
            if (error != null) {
                client.metrics.renewalFailed(false);
                long remaining = deadlineNanos - now;
                if (remaining > 0) {
                    long usable = usableNanos(options.leaseNanos());
                    scheduleRenewal(now + Math.max(MIN_RETRY_NANOS, Math.min(usable / 3, remaining / 2)));
                }
                // Otherwise the expiry timer reports the loss.
                return;
            }
            if (outcome instanceof RenewOutcome.Renewed renewed) {
                if (now - deadlineNanos >= 0) {
                    // isValid() may already have answered false; a lease must never come back to life.
                    loss = markLost(LockLostException.Reason.EXPIRED,
                            "the renewal was confirmed only after the client-side deadline", true);
                } else {
                    long leaseStart = Math.max(sendNanos, renewed.leaseStartNanos());
                    long usable = usableNanos(renewed.leaseNanos());
                    deadlineNanos = Math.max(deadlineNanos, leaseStart + usable);
                    scheduleExpiry();
                    scheduleRenewal(leaseStart + usable / 3);
                    return;
                }
            } else if (outcome instanceof RenewOutcome.NotHeld) {
                client.metrics.renewalFailed(true);
                loss = markLost(LockLostException.Reason.RENEWAL_REJECTED,
                        "the backend no longer had the lease when it was renewed", false);
            } else {
                throw new AssertionError("unknown renew outcome " + outcome);
            }
        }
        report(loss);
    }

    private void onExpiryTimer() {
        Loss loss;
        synchronized (this) {
            if (state != State.OPEN) {
                return;
            }
            if (client.clock.nanoTime() - deadlineNanos < 0) {
                scheduleExpiry(); // the deadline moved after this timer was set
                return;
            }
            loss = markLost(LockLostException.Reason.EXPIRED,
                    "no successful renewal before the client-side lease deadline", true);
        }
        report(loss);
    }

    // ---- under the monitor ----

    private void scheduleExpiry() {
        if (expiryTask != null) {
            expiryTask.cancel();
        }
        expiryTask = client.timer.schedule(deadlineNanos - client.clock.nanoTime(), this::onExpiryTimer);
    }

    private void scheduleRenewal(long atNanos) {
        if (renewalTask != null) {
            renewalTask.cancel();
        }
        renewalTask = client.timer.schedule(atNanos - client.clock.nanoTime(), this::renew);
    }

    private void cancelTimers() {
        if (renewalTask != null) {
            renewalTask.cancel();
            renewalTask = null;
        }
        if (expiryTask != null) {
            expiryTask.cancel();
            expiryTask = null;
        }
    }

    private Loss markLost(LockLostException.Reason reason, String detail, boolean releaseOnBackend) {
        if (state != State.OPEN && state != State.CLOSING) {
            return new Loss(lost != null ? lost : new LockLostException(name.value(), fencingToken, reason, detail),
                    List.of(), false, false);
        }
        state = State.LOST;
        lost = new LockLostException(name.value(), fencingToken, reason, detail);
        cancelTimers();
        ended();
        client.metrics.leaseLost(reason);
        List<Consumer<? super LockLostException>> callbacks = List.copyOf(lostCallbacks);
        lostCallbacks.clear();
        return new Loss(lost, callbacks, releaseOnBackend, true);
    }

    private void ended() {
        client.grantEnded(this);
        client.metrics.holdEnded(options.mode().kind(), client.clock.nanoTime() - grantedAtNanos);
    }

    // ---- outside the monitor ----

    private Void afterRelease(ReleaseOutcome outcome, Throwable error) {
        if (error != null) {
            synchronized (this) {
                if (state == State.CLOSING) {
                    state = State.CLOSED;
                    ended();
                }
            }
            throw new CompletionException(new BackendUnavailableException("could not confirm the release of lock '"
                    + name + "' (fencing token " + fencingToken + "); the backend keeps it until its lease expires",
                    unwrap(error)));
        }
        if (outcome instanceof ReleaseOutcome.Released) {
            synchronized (this) {
                if (state == State.CLOSING) {
                    state = State.CLOSED;
                    ended();
                }
            }
            return null;
        }
        Loss loss;
        synchronized (this) {
            loss = markLost(LockLostException.Reason.NOT_HELD_AT_RELEASE, "the backend no longer had the lease; "
                    + "it expired there and may have been granted to another owner, whose lock was not touched", false);
        }
        report(loss);
        throw new CompletionException(loss.exception().copy());
    }

    private void report(Loss loss) {
        if (!loss.isNew()) {
            return;
        }
        // A lost lease is the event operators need to see; a lease lost to its own client closing is routine.
        LOG.log(loss.exception().reason() == LockLostException.Reason.CLIENT_CLOSED ? System.Logger.Level.DEBUG
                : System.Logger.Level.WARNING, () -> loss.exception().getMessage() + " [owner " + owner + "]");
        if (!loss.callbacks().isEmpty()) {
            // On the client's callback executor, in registration order: the loss may have been detected on a
            // backend I/O thread or the shared timer thread, neither of which user code may hold up.
            client.callbacks.execute(() -> {
                for (Consumer<? super LockLostException> callback : loss.callbacks()) {
                    runCallback(callback, loss.exception());
                }
            });
        }
        if (loss.releaseOnBackend()) {
            // The backend may still hold the lease for up to the safety margin (or until it expires, if
            // the client closed); give it back early. Best effort: it expires anyway.
            call(() -> client.backend.release(new ReleaseRequest(name, owner)));
        }
    }

    /** {@code internal} completed on the client's callback executor (see {@link BackendLockClient#handOff}). */
    <T> CompletableFuture<T> handOff(CompletableFuture<T> internal) {
        return client.handOff(internal);
    }

    private void runCallback(Consumer<? super LockLostException> callback, LockLostException exception) {
        try {
            callback.accept(exception);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "onLost callback for lock '" + name + "' failed", e);
        }
    }

    private long usableNanos(long leaseNanos) {
        return leaseNanos - client.options.safetyMarginNanos(leaseNanos);
    }

    private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> backendCall) {
        try {
            return backendCall.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e); // the SPI says backends never throw; do not trust it
        }
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }
}
