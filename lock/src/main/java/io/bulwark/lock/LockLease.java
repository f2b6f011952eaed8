package io.bulwark.lock;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * A granted lock: the handle, not the thread that acquired it, owns the lock. Any thread, executor or
 * callback may use and close it.
 *
 * <p><b>Validity.</b> The lease is valid from the grant until the earliest of: {@link #close()}, the
 * client-side deadline ({@link #leaseDeadlineNanos()}) passing without a successful renewal, a renewal
 * being refused, or the owning client being closed. The deadline is computed as
 * {@code leaseStart + leaseTime - safetyMargin} from a {@code leaseStart} no later than the moment the
 * backend started the lease, so the client gives up no later than the backend does (see
 * {@link LockClientOptions}). Once invalid, a lease never becomes valid again.
 *
 * <p><b>Fencing.</b> {@link #fencingToken()} strictly increases per lock name over every grant the backend
 * ever made. A lease can be lost while its holder is paused between checking {@link #isValid()} and
 * writing, so a correct protected resource records the highest token it has seen per name and refuses
 * writes carrying a lower one ({@link Fence}); validity checks alone are advisory.
 *
 * <p><b>Renewal.</b> With {@link LockOptions#autoRenew()} the client renews the lease about every third of
 * its usable time while the handle is open. Renewal stops, under the lease's lock, before the release
 * request is sent; a renewal already on the wire can only be refused by the backend after the release
 * (backends never re-create a released lease). If every handle of a lease becomes unreachable without
 * being closed, renewal stops and the lease expires on its own (a warning is logged).
 *
 * <p>Thread-safe.
 */
public interface LockLease extends AutoCloseable {

    /** The lock name. */
    String name();

    /** What this lease holds. */
    LockMode mode();

    /**
     * The fencing token of this grant: strictly greater than the token of every earlier grant of the
     * same lock name by the same backend. Shared by handles obtained through {@link #reenter()}.
     */
    long fencingToken();

    /**
     * True while the lease is open and its client-side deadline has not passed. Computed from the clock
     * at each call, so it turns false at the deadline even if the timer that reports the loss runs late.
     */
    boolean isValid();

    /**
     * Throws if the lease is not {@linkplain #isValid() valid}; call it just before a side effect.
     *
     * @throws LockLostException if the lease was lost or its deadline has passed
     * @throws IllegalStateException if this handle was closed
     */
    void ensureValid();

    /**
     * The client-side lease deadline on the timer's monotonic clock
     * ({@link io.bulwark.core.Clock#nanoTime()} of {@link io.bulwark.lock.spi.LockBackend#timer()}); moves
     * forward with each successful renewal.
     */
    long leaseDeadlineNanos();

    /** Time left until {@link #leaseDeadlineNanos()}, or {@link Duration#ZERO} if it has passed or the lease ended. */
    Duration remainingLease();

    /**
     * Registers {@code callback} to run once if the lease is lost (not when it is closed normally). If
     * it has already been lost, runs it at once on the calling thread. Otherwise it runs on the client's
     * callback executor ({@link LockClientOptions#callbackExecutor()}), after every other callback
     * registered before it; it may block.
     */
    void onLost(Consumer<? super LockLostException> callback);

    /**
     * Another handle on the same grant (same token, same lease); the lock is released when every handle
     * of the grant is closed. Only for leases acquired with {@link LockOptions#withReentrancy()}:
     * re-entering is an explicit act on a handle, never implied by the calling thread.
     *
     * @throws IllegalStateException if reentrancy was not requested or this handle is closed
     * @throws LockLostException     if the lease has been lost
     */
    LockLease reenter();

    /**
     * Closes this handle; when it is the grant's last open handle, stops renewal and releases the lock,
     * waiting for the backend to confirm. Idempotent: a second call does nothing.
     *
     * @throws LockLostException           if the lease had been lost before it was released (the work done
     *                                     under it may have overlapped another holder; nobody else's lock
     *                                     was touched)
     * @throws BackendUnavailableException if the release could not be confirmed; the lease then ends at
     *                                     its deadline on the backend
     */
    @Override
    void close();

    /**
     * {@link #close()} without waiting: the future completes when the backend confirmed the release, or
     * exceptionally with what {@code close()} would throw. Renewal stops before this method returns.
     */
    CompletableFuture<Void> closeAsync();
}
