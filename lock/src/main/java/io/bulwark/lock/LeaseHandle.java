package io.bulwark.lock;

import java.lang.ref.Cleaner;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * A handle on a {@link LeaseGrant}: the {@link LockLease} users hold. Several handles share one grant when
 * the lease is {@linkplain LockLease#reenter() re-entered}.
 *
 * <p>Each handle is registered with a {@link Cleaner}: if it becomes unreachable without being closed, the
 * grant counts it as dropped, and when no handle is left it stops renewing. The cleaning action holds the
 * grant and this handle's closed flag, never the handle itself, or the handle could never become
 * unreachable. Thread-safe.
 */
final class LeaseHandle implements LockLease {

    private static final Cleaner CLEANER = Cleaner.create();

    private final LeaseGrant grant;
    private final AtomicBoolean closed;
    private final Cleaner.Cleanable cleanable;

    LeaseHandle(LeaseGrant grant) {
        this.grant = grant;
        this.closed = new AtomicBoolean();
        this.cleanable = CLEANER.register(this, new DroppedHandle(grant, closed));
    }

    /** Runs when the handle is unreachable; a no-op if the handle was closed first. */
    private record DroppedHandle(LeaseGrant grant, AtomicBoolean closed) implements Runnable {
        @Override
        public void run() {
            if (closed.compareAndSet(false, true)) {
                grant.handleDropped();
            }
        }
    }

    @Override
    public String name() {
        return grant.name.value();
    }

    @Override
    public LockMode mode() {
        return grant.options.mode();
    }

    @Override
    public long fencingToken() {
        return grant.fencingToken;
    }

    @Override
    public boolean isValid() {
        return !closed.get() && grant.isValid();
    }

    @Override
    public void ensureValid() {
        if (closed.get()) {
            throw new IllegalStateException("this handle on lock '" + name() + "' is closed");
        }
        LockLostException loss = grant.lossIfInvalid();
        if (loss != null) {
            throw loss;
        }
    }

    @Override
    public long leaseDeadlineNanos() {
        return grant.deadlineNanos();
    }

    @Override
    public Duration remainingLease() {
        return closed.get() ? Duration.ZERO : Duration.ofNanos(grant.remainingNanos());
    }

    @Override
    public void onLost(Consumer<? super LockLostException> callback) {
        grant.onLost(Objects.requireNonNull(callback, "callback must not be null"));
    }

    @Override
    public LockLease reenter() {
        if (closed.get()) {
            throw new IllegalStateException("this handle on lock '" + name() + "' is closed; re-enter from an open one");
        }
        return grant.reenter();
    }

    @Override
    public void close() {
        try {
            // The closing thread waits for the backend's answer itself: no hand-off to another thread.
            closeInternal().join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }

    @Override
    public CompletableFuture<Void> closeAsync() {
        CompletableFuture<Void> done = closeInternal();
        return done.isDone() ? done : grant.handOff(done);
    }

    private CompletableFuture<Void> closeInternal() {
        if (!closed.compareAndSet(false, true)) {
            return CompletableFuture.completedFuture(null);
        }
        cleanable.clean(); // deregisters; the action sees the flag already set and does nothing
        return grant.closeHandle();
    }

    @Override
    public String toString() {
        return "LockLease[" + grant.name + ", token " + grant.fencingToken + ", owner " + grant.owner
                + (isValid() ? ", valid]" : ", not valid]");
    }
}
