package io.bulwark.lock;

import io.bulwark.core.Clock;
import io.bulwark.lock.spi.LockBackend;
import io.bulwark.lock.spi.OwnerId;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The one {@link LockClient} implementation, shared by every backend and every lock kind: validation, owner
 * ids, blocking/async/try acquisition and bookkeeping for close. The per-acquisition race lives in
 * {@link PendingAcquisition}, the per-lease watchdog in {@link LeaseGrant}. Thread-safe.
 */
final class BackendLockClient implements LockClient {

    final LockBackend backend;
    final LockTimer timer;
    final Clock clock;
    final LockClientOptions options;
    final LockMetrics metrics;
    /** Where user code runs: onLost callbacks and completions of the futures handed to callers. */
    final Executor callbacks;
    private final String clientId;
    private final AtomicLong sequence = new AtomicLong();
    private final Set<PendingAcquisition> pending = ConcurrentHashMap.newKeySet();
    private final Set<LeaseGrant> openGrants = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    BackendLockClient(LockBackend backend, LockClientOptions options) {
        this.backend = backend;
        this.timer = backend.timer();
        this.clock = timer.clock();
        this.options = options;
        this.clientId = options.clientId();
        this.metrics = new LockMetrics(options.meterRegistry(), clientId, pending, openGrants);
        this.callbacks = options.callbackExecutor() != null ? options.callbackExecutor() : CallbackPool.INSTANCE;
    }

    /** The default callback executor: daemon threads, created on demand, gone after 30 s idle. */
    private static final class CallbackPool {
        static final Executor INSTANCE = create();

        private static Executor create() {
            AtomicInteger threads = new AtomicInteger();
            return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                    task -> {
                        Thread thread = new Thread(task, "bulwark-lock-callback-" + threads.incrementAndGet());
                        thread.setDaemon(true);
                        return thread;
                    });
        }
    }

    @Override
    public String clientId() {
        return clientId;
    }

    @Override
    public LockLease acquire(String name, LockOptions options) throws InterruptedException {
        // The blocked caller is woken by the backend's answer directly: no hand-off to another thread.
        return await(start(LockName.of(name), options, false));
    }

    @Override
    public Optional<LockLease> tryAcquire(String name, LockOptions options) throws InterruptedException {
        return Optional.ofNullable(await(start(LockName.of(name), options, true)));
    }

    @Override
    public CompletableFuture<LockLease> acquireAsync(String name, LockOptions options) {
        CompletableFuture<LockLease> internal = start(LockName.of(name), options, false);
        CompletableFuture<LockLease> external = new CompletableFuture<>();
        // Cancelling the caller's future withdraws the request, as cancelling the internal one does.
        external.whenComplete((lease, error) -> {
            if (error instanceof CancellationException) {
                internal.cancel(true);
            }
        });
        internal.whenCompleteAsync((lease, error) -> {
            if (error != null) {
                external.completeExceptionally(unwrap(error));
            } else if (!external.complete(lease) && lease != null) {
                lease.closeAsync(); // cancelled after the grant: nobody will ever see this lease
            }
        }, callbacks);
        return external;
    }

    @Override
    public CompletableFuture<LockInfo> describe(String name) {
        return handOff(backend.describe(LockName.of(name)));
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (PendingAcquisition acquisition : List.copyOf(pending)) {
            acquisition.fail(new BackendUnavailableException("lock client " + clientId + " was closed while waiting"));
        }
        for (LeaseGrant grant : List.copyOf(openGrants)) {
            grant.loseOnClientClose();
        }
        metrics.close();
    }

    @Override
    public String toString() {
        return "LockClient[" + clientId + "]";
    }

    // ---- package-private bookkeeping ----

    /**
     * {@code internal} completed on {@link #callbacks} instead of the backend's thread, for futures handed to
     * callers, whose dependent actions may block.
     */
    <T> CompletableFuture<T> handOff(CompletableFuture<T> internal) {
        CompletableFuture<T> external = new CompletableFuture<>();
        internal.whenCompleteAsync((value, error) -> {
            if (error != null) {
                external.completeExceptionally(unwrap(error));
            } else {
                external.complete(value);
            }
        }, callbacks);
        return external;
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    void pendingEnded(PendingAcquisition acquisition) {
        pending.remove(acquisition);
    }

    void grantOpened(LeaseGrant grant) {
        openGrants.add(grant);
        if (closed) {
            // close() may have iterated before this grant was added; it must not outlive the client.
            timer.schedule(0, grant::loseOnClientClose);
        }
    }

    void grantEnded(LeaseGrant grant) {
        openGrants.remove(grant);
    }

    private CompletableFuture<LockLease> start(LockName name, LockOptions options, boolean tryOnly) {
        if (options == null) {
            throw new InvalidLockRequestException("lock options are null; use LockOptions.exclusive(), fair(), read(), "
                    + "write() or semaphore(capacity)");
        }
        long leaseNanos = options.leaseNanos();
        long marginNanos = this.options.safetyMarginNanos(leaseNanos);
        if (leaseNanos <= marginNanos) {
            throw new InvalidLockRequestException("lease time of " + millis(leaseNanos) + " ms is not longer than this "
                    + "client's safety margin for it (" + millis(marginNanos) + " ms = " + this.options.safetyMargin().toMillis()
                    + " ms + " + this.options.clockDriftRate() * 100 + "% of the lease); a lease must exceed its "
                    + "safety margin, see LockClientOptions");
        }
        if (closed) {
            throw new IllegalStateException("lock client " + clientId + " is closed");
        }
        OwnerId owner = new OwnerId(clientId, sequence.incrementAndGet());
        PendingAcquisition acquisition = new PendingAcquisition(this, name, owner, options,
                tryOnly ? 0 : options.waitNanos(), tryOnly);
        pending.add(acquisition);
        if (closed) {
            // close() may have iterated before this acquisition was added.
            acquisition.fail(new BackendUnavailableException("lock client " + clientId + " is closed"));
            return acquisition.result();
        }
        acquisition.start();
        return acquisition.result();
    }

    private static LockLease await(CompletableFuture<LockLease> future) throws InterruptedException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            // Cancelling withdraws the request; a grant racing with the cancellation is released.
            if (!future.cancel(true) && future.isDone() && !future.isCompletedExceptionally()) {
                LockLease lease = future.join(); // granted just before the cancel: nobody will ever see it
                if (lease != null) {
                    lease.closeAsync();
                }
            }
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new BackendUnavailableException("lock acquisition failed unexpectedly", cause);
        }
    }

    private static String millis(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.3f", nanos / 1e6);
    }
}
