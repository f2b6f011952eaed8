package io.bulwark.lock.spi;

import io.bulwark.lock.LockInfo;
import io.bulwark.lock.LockName;
import io.bulwark.lock.LockTimer;
import java.util.concurrent.CompletableFuture;

/**
 * A place where lock state lives: the SPI that backends implement and {@link io.bulwark.lock.LockClient}
 * drives. Applications create a backend and hand it to {@code LockClient.create}; they do not call it.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Exclusion.</b> At every moment of the backend's time, the holders of a name are compatible
 *       (see {@link io.bulwark.lock.LockKind}). A holder stops being one when it releases, abandons, or its
 *       lease has run {@code leaseNanos} on the backend's clock since its grant or last renewal.
 *   <li><b>Tokens.</b> Every grant's fencing token is strictly greater than every token issued before for
 *       the same name, for the backend's whole life, across restarts and data loss.
 *   <li><b>Order.</b> {@code FAIR}, {@code READ_WRITE} and {@code SEMAPHORE} waiters are granted in the order
 *       their requests reached the backend; a request that cannot be granted at once is never granted
 *       ahead of an earlier compatible waiter.
 *   <li><b>Waits.</b> A waiter is never granted after its wait ended ({@code waitNanos} after the backend
 *       received it); it is answered {@link AcquireOutcome.NotGranted} then.
 *   <li><b>Owner checks.</b> Renew and release act only on the named owner's lease and never create one.
 *   <li><b>Lease start.</b> Each {@code leaseStartNanos} reported is no later than the true start (see
 *       {@link AcquireOutcome.Granted}), so client deadlines never exceed the backend's.
 *   <li><b>Nothing left behind.</b> A refused acquire, a try that was not granted, and an abandoned request
 *       leave no state for that owner.
 *   <li><b>Bounded answers.</b> Every returned future completes (an acquire no later than shortly after its
 *       wait), exceptionally with {@link io.bulwark.lock.BackendUnavailableException} when the backend
 *       cannot be reached, after {@link #close()}, or on internal errors. Methods never throw; bad
 *       arguments are impossible by construction of the request records.
 * </ul>
 *
 * <p>The in-memory reference backend defines the exact semantics; every backend must pass the contract
 * kit. Implementations are thread-safe.
 */
public interface LockBackend extends AutoCloseable {

    /**
     * The timer whose clock {@code leaseStartNanos} values are read from; clients built on this backend
     * compute deadlines and schedule renewals and timeouts on it.
     */
    LockTimer timer();

    /** Grants or queues; see {@link AcquireRequest} and {@link AcquireOutcome}. */
    CompletableFuture<AcquireOutcome> acquire(AcquireRequest request);

    /** Extends a held lease; see {@link RenewRequest}. */
    CompletableFuture<RenewOutcome> renew(RenewRequest request);

    /** Releases a held lease; see {@link ReleaseRequest}. */
    CompletableFuture<ReleaseOutcome> release(ReleaseRequest request);

    /** Withdraws a request or lease, idempotently; see {@link AbandonRequest}. */
    CompletableFuture<Void> abandon(AbandonRequest request);

    /** What the backend knows about {@code name} now. */
    CompletableFuture<LockInfo> describe(LockName name);

    /**
     * Releases the backend's resources (connections, timers). Outstanding and later calls complete with
     * {@link io.bulwark.lock.BackendUnavailableException}. Idempotent.
     */
    @Override
    void close();
}
