package io.bulwark.lock.kit;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.lock.BackendUnavailableException;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.spi.AbandonRequest;
import io.bulwark.lock.spi.AcquireOutcome;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.LockBackend;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.RejectReason;
import io.bulwark.lock.spi.ReleaseOutcome;
import io.bulwark.lock.spi.ReleaseRequest;
import io.bulwark.lock.spi.RenewOutcome;
import io.bulwark.lock.spi.RenewRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/**
 * The backend SPI spoken directly, without the client: owner checks, lease starts, withdrawal, failures.
 * These are the properties the client relies on and cannot check for itself.
 */
public interface BackendSpiContract extends LockContract {

    /** The lock these tests use. */
    LockName SPI_LOCK = LockName.of("kit/spi");

    /** An owner id of the kit's raw SPI caller. */
    static OwnerId spiOwner(long sequence) {
        return new OwnerId("kit-spi", sequence);
    }

    private AcquireOutcome acquireRaw(long owner, long waitNanos) {
        return kit().await(kit().backend().acquire(new AcquireRequest(SPI_LOCK, spiOwner(owner), LockMode.exclusive(),
                LockKit.LONG_LEASE.toNanos(), waitNanos)));
    }

    @Test
    default void spiGrantReportsALeaseStartNoEarlierThanTheCallAndNoLaterThanItsAnswer() {
        long before = kit().nowNanos();
        AcquireOutcome outcome = acquireRaw(1, 0);
        long after = kit().nowNanos();

        assertThat(outcome).isInstanceOf(AcquireOutcome.Granted.class);
        AcquireOutcome.Granted granted = (AcquireOutcome.Granted) outcome;
        assertThat(granted.fencingToken()).isPositive();
        assertThat(granted.leaseNanos()).isEqualTo(LockKit.LONG_LEASE.toNanos());
        // The client's deadline is computed from this value: later than the true start would let the
        // client trust a lease the backend has already dropped.
        assertThat(granted.leaseStartNanos()).isBetween(before, after);
    }

    @Test
    default void spiRenewalAfterReleaseIsRefusedAndNeverResurrectsTheLease() {
        // Redisson #7272: a renewal that lands after the release re-created the lock.
        LockBackend backend = kit().backend();
        assertThat(acquireRaw(1, 0)).isInstanceOf(AcquireOutcome.Granted.class);
        assertThat(kit().await(backend.release(new ReleaseRequest(SPI_LOCK, spiOwner(1)))))
                .isInstanceOf(ReleaseOutcome.Released.class);

        assertThat(kit().await(backend.renew(new RenewRequest(SPI_LOCK, spiOwner(1), LockKit.LONG_LEASE.toNanos()))))
                .isInstanceOf(RenewOutcome.NotHeld.class);
        assertThat(kit().describe(SPI_LOCK.value()).isIdle()).isTrue();
        assertThat(acquireRaw(2, 0)).isInstanceOf(AcquireOutcome.Granted.class);
    }

    @Test
    default void spiReleaseAndRenewByAnotherOwnerAreRefusedAndTouchNothing() {
        LockBackend backend = kit().backend();
        long token = ((AcquireOutcome.Granted) acquireRaw(1, 0)).fencingToken();

        assertThat(kit().await(backend.release(new ReleaseRequest(SPI_LOCK, spiOwner(2)))))
                .isInstanceOf(ReleaseOutcome.NotHeld.class);
        assertThat(kit().await(backend.renew(new RenewRequest(SPI_LOCK, spiOwner(2), LockKit.LONG_LEASE.toNanos()))))
                .isInstanceOf(RenewOutcome.NotHeld.class);
        assertThat(kit().describe(SPI_LOCK.value()).holders())
                .singleElement().satisfies(holder -> assertThat(holder.fencingToken()).isEqualTo(token));
    }

    @Test
    default void spiReleasingTwiceIsRefusedTheSecondTime() {
        LockBackend backend = kit().backend();
        acquireRaw(1, 0);
        assertThat(kit().await(backend.release(new ReleaseRequest(SPI_LOCK, spiOwner(1)))))
                .isInstanceOf(ReleaseOutcome.Released.class);
        assertThat(kit().await(backend.release(new ReleaseRequest(SPI_LOCK, spiOwner(1)))))
                .isInstanceOf(ReleaseOutcome.NotHeld.class);
    }

    @Test
    default void spiTryOnAHeldLockIsNotGrantedAndLeavesNothing() {
        acquireRaw(1, 0);
        assertThat(acquireRaw(2, 0)).isInstanceOf(AcquireOutcome.NotGranted.class);
        assertThat(kit().describe(SPI_LOCK.value()).waiting()).isZero();
        assertThat(kit().describe(SPI_LOCK.value()).holders()).hasSize(1);
    }

    @Test
    default void spiAbandonWithdrawsAWaiterAndAHolderAndIsIdempotent() {
        LockBackend backend = kit().backend();
        acquireRaw(1, 0);
        CompletableFuture<AcquireOutcome> waiter = backend.acquire(new AcquireRequest(SPI_LOCK, spiOwner(2),
                LockMode.exclusive(), LockKit.LONG_LEASE.toNanos(), LockKit.LONG_WAIT.toNanos()));
        kit().awaitWaiters(SPI_LOCK.value(), 1);

        kit().await(backend.abandon(new AbandonRequest(SPI_LOCK, spiOwner(2))));
        assertThat(kit().await(waiter)).isInstanceOf(AcquireOutcome.NotGranted.class);
        assertThat(kit().describe(SPI_LOCK.value()).waiting()).isZero();
        kit().await(backend.abandon(new AbandonRequest(SPI_LOCK, spiOwner(2))));

        kit().await(backend.abandon(new AbandonRequest(SPI_LOCK, spiOwner(1))));
        assertThat(kit().describe(SPI_LOCK.value()).isIdle()).isTrue();
        kit().await(backend.abandon(new AbandonRequest(SPI_LOCK, spiOwner(99))));
        assertThat(kit().describe(SPI_LOCK.value()).isIdle()).isTrue();
    }

    @Test
    default void spiAnOwnerIdThatAlreadyHoldsIsRejected() {
        acquireRaw(1, 0);
        AcquireOutcome again = acquireRaw(1, LockKit.LONG_WAIT.toNanos());
        assertThat(again).isInstanceOf(AcquireOutcome.Rejected.class);
        assertThat(((AcquireOutcome.Rejected) again).reason()).isEqualTo(RejectReason.INVALID_REQUEST);
        assertThat(kit().describe(SPI_LOCK.value()).holders()).hasSize(1);
        assertThat(kit().describe(SPI_LOCK.value()).waiting()).isZero();
    }

    @Test
    default void spiRenewalRestartsTheLeaseOnTheBackend() throws InterruptedException {
        LockBackend backend = kit().backend();
        Duration lease = kit().lease();
        kit().await(backend.acquire(new AcquireRequest(SPI_LOCK, spiOwner(1), LockMode.exclusive(), lease.toNanos(), 0)));
        kit().advance(lease.dividedBy(2));
        long before = kit().nowNanos();
        RenewOutcome renewed = kit().await(backend.renew(new RenewRequest(SPI_LOCK, spiOwner(1), lease.toNanos())));
        long after = kit().nowNanos();
        assertThat(renewed).isInstanceOf(RenewOutcome.Renewed.class);
        assertThat(((RenewOutcome.Renewed) renewed).leaseStartNanos()).isBetween(before, after);

        // Past the original expiry, within the renewed one.
        kit().advance(lease.multipliedBy(3).dividedBy(4));
        assertThat(kit().describe(SPI_LOCK.value()).holders()).hasSize(1);
        kit().advance(lease);
        kit().eventually("the renewed lease expires", () -> kit().describe(SPI_LOCK.value()).isIdle());
    }

    @Test
    default void spiEveryCallFailsFastWhileTheBackendIsUnreachable() {
        LockBackend backend = kit().backend();
        kit().fixture().makeUnreachable();
        assertUnavailable(backend.acquire(new AcquireRequest(SPI_LOCK, spiOwner(1), LockMode.exclusive(),
                LockKit.LONG_LEASE.toNanos(), LockKit.LONG_WAIT.toNanos())));
        assertUnavailable(backend.renew(new RenewRequest(SPI_LOCK, spiOwner(1), LockKit.LONG_LEASE.toNanos())));
        assertUnavailable(backend.release(new ReleaseRequest(SPI_LOCK, spiOwner(1))));
        assertUnavailable(backend.abandon(new AbandonRequest(SPI_LOCK, spiOwner(1))));
        assertUnavailable(backend.describe(SPI_LOCK));

        kit().fixture().makeReachable();
        assertThat(kit().describe(SPI_LOCK.value()).isIdle()).isTrue();
        assertThat(acquireRaw(2, 0)).isInstanceOf(AcquireOutcome.Granted.class);
    }

    @Test
    default void spiTokensStayHigherAfterTheBackendLosesItsState() {
        LockBackend backend = kit().backend();
        long before = ((AcquireOutcome.Granted) acquireRaw(1, 0)).fencingToken();

        kit().fixture().loseAllLocks();

        assertThat(kit().await(backend.renew(new RenewRequest(SPI_LOCK, spiOwner(1), LockKit.LONG_LEASE.toNanos()))))
                .isInstanceOf(RenewOutcome.NotHeld.class);
        AcquireOutcome after = acquireRaw(2, 0);
        assertThat(after).isInstanceOf(AcquireOutcome.Granted.class);
        assertThat(((AcquireOutcome.Granted) after).fencingToken()).isGreaterThan(before);
    }

    private static void assertUnavailable(CompletableFuture<?> call) {
        assertThat(call).failsWithin(LockKit.DEADLINE).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(BackendUnavailableException.class);
    }
}
