package io.bulwark.lock;

import io.bulwark.lock.spi.LockBackend;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Acquires leases on named locks from a {@link LockBackend}; the entry point of the lock API.
 *
 * <pre>{@code
 * LockClient locks = LockClient.create(InMemoryLockBackend.create());
 * try (LockLease lease = locks.acquire("orders/42", LockOptions.exclusive())) {
 *     store.write(record, lease.fencingToken());
 * }
 * }</pre>
 *
 * <p>Every acquire validates its arguments first ({@link InvalidLockRequestException}, nothing sent),
 * then sends one request carrying a fresh owner id. If the caller stops waiting (timeout,
 * cancellation, interruption, client closed) the request is withdrawn and a grant that raced with the
 * withdrawal is released, so a call that does not return a lease leaves nothing behind.
 *
 * <p>Metrics (Micrometer, tag {@code client} = {@link #clientId()}, never the lock name to bound
 * cardinality): timer {@code bulwark.lock.acquire} (tags {@code kind}, {@code outcome} = acquired, busy,
 * timed_out, cancelled, failed), timer {@code bulwark.lock.hold} (tag {@code kind}), gauges
 * {@code bulwark.lock.waiters} and {@code bulwark.lock.held}, counters {@code bulwark.lock.renewal.failures}
 * (tag {@code reason} = unavailable, not_held), {@code bulwark.lock.leases.lost} (tag {@code reason}) and
 * {@code bulwark.lock.leases.leaked}.
 *
 * <p>Threads: the blocking calls ({@link #acquire}, {@link #tryAcquire}, {@link LockLease#close()}) are woken
 * by the backend's answer directly. Futures this client returns ({@link #acquireAsync}, {@link #describe},
 * {@link LockLease#closeAsync()}) complete, and {@code onLost} callbacks run, on the client's callback
 * executor ({@link LockClientOptions#callbackExecutor()}), never on a backend's I/O thread: their dependent
 * actions may block, even on this client.
 *
 * <p>Thread-safe. Closing the client does not close the backend, which may serve other clients.
 */
public interface LockClient extends AutoCloseable {

    /** A client on {@code backend} with {@link LockClientOptions#defaults()}. */
    static LockClient create(LockBackend backend) {
        return create(backend, LockClientOptions.defaults());
    }

    /** A client on {@code backend} with {@code options}. */
    static LockClient create(LockBackend backend, LockClientOptions options) {
        return new BackendLockClient(Objects.requireNonNull(backend, "backend"),
                Objects.requireNonNull(options, "options"));
    }

    /** This client's id: the prefix of every owner id it sends ({@link LockClientOptions#clientId()}). */
    String clientId();

    /**
     * Acquires {@code name} as an exclusive lock with default options; see {@link #acquire(String, LockOptions)}.
     */
    default LockLease acquire(String name) throws InterruptedException {
        return acquire(name, LockOptions.exclusive());
    }

    /**
     * Acquires {@code name}, waiting up to {@link LockOptions#waitTimeout()}.
     *
     * @throws InvalidLockRequestException     on bad input (nothing was sent)
     * @throws LockAcquisitionTimeoutException if the lock was not granted in time (the request was withdrawn)
     * @throws LockModeConflictException       if the name is in use with another kind or capacity
     * @throws LockLimitExceededException      if a backend limit was reached
     * @throws BackendUnavailableException     if the backend failed or this client is closed
     * @throws InterruptedException            if the thread was interrupted while waiting (the request was
     *                                         withdrawn)
     */
    LockLease acquire(String name, LockOptions options) throws InterruptedException;

    /**
     * Acquires {@code name} only if the backend can grant it at once; never queues. Waits only for the
     * backend's answer.
     *
     * <p>Throws {@link InvalidLockRequestException}, {@link LockModeConflictException},
     * {@link LockLimitExceededException} and {@link BackendUnavailableException} as
     * {@link #acquire(String, LockOptions)} does; never {@link LockAcquisitionTimeoutException}.
     *
     * @return the lease, or empty if the lock is held incompatibly or others are queued for it
     * @throws InterruptedException if interrupted while waiting for the answer (nothing is left behind)
     */
    Optional<LockLease> tryAcquire(String name, LockOptions options) throws InterruptedException;

    /**
     * Starts acquiring {@code name}; the future completes with the lease, or exceptionally with the
     * exceptions {@link #acquire(String, LockOptions)} throws. Cancelling the future withdraws the request;
     * a lease granted concurrently with the cancellation is released, never leaked.
     *
     * @throws InvalidLockRequestException at once, on bad input
     * @throws IllegalStateException       at once, if the client is closed
     */
    CompletableFuture<LockLease> acquireAsync(String name, LockOptions options);

    /**
     * Runs {@code action} while holding {@code name}, then releases it.
     *
     * <p>If the lease is lost while the action runs, the action's result is discarded and
     * {@link LockLostException} is thrown after it returns (the action should have checked the token with
     * its resource; this is the last line of defence). If the action throws, that exception propagates and
     * a release failure is added to it as suppressed.
     *
     * @throws E                   what the action throws
     * @throws LockException       as for {@link #acquire(String, LockOptions)}, or from the release
     * @throws InterruptedException if interrupted while waiting for the lock
     */
    default <T, E extends Exception> T withLock(String name, LockOptions options, LockedAction<T, E> action)
            throws E, InterruptedException {
        Objects.requireNonNull(action, "action must not be null");
        try (LockLease lease = acquire(name, options)) {
            return action.run(lease);
        }
    }

    /**
     * What the backend knows about {@code name} now; for operators and tests.
     *
     * @throws InvalidLockRequestException at once, if the name is invalid
     */
    CompletableFuture<LockInfo> describe(String name);

    /**
     * Closes the client: pending acquisitions fail with {@link BackendUnavailableException} and are
     * withdrawn; open leases are lost ({@link LockLostException.Reason#CLIENT_CLOSED}, their
     * {@code onLost} callbacks run) and released. Idempotent. Does not close the backend.
     */
    @Override
    void close();
}
