package io.bulwark.lock.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.lock.BackendUnavailableException;
import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockLostException;
import io.bulwark.lock.LockOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Leases: the client-side deadline, expiry, the renewal watchdog, what happens when renewal or release is
 * refused, and what close and client close do. All timing is on the fixture's clock.
 */
public interface LeaseContract extends LockContract {

    private LockOptions unrenewed() {
        return LockOptions.exclusive().withLeaseTime(kit().lease()).withAutoRenew(false)
                .withWaitTimeout(LockKit.LONG_WAIT);
    }

    private LockOptions renewed() {
        return LockOptions.exclusive().withLeaseTime(kit().lease()).withWaitTimeout(LockKit.LONG_WAIT);
    }

    private static CompletableFuture<LockLostException> lossOf(LockLease lease) {
        CompletableFuture<LockLostException> lost = new CompletableFuture<>();
        lease.onLost(lost::complete);
        return lost;
    }

    @Test
    default void theLeaseDeadlineIsTheSendTimePlusTheLeaseMinusTheSafetyMargin() throws Exception {
        LockClient client = kit().client();
        long usable = kit().lease().toNanos() - LockKit.clientOptions("any").safetyMarginNanos(kit().lease().toNanos());
        long before = kit().nowNanos();
        LockLease lease = client.acquire("kit/deadline", unrenewed());
        long after = kit().nowNanos();

        // The lease started on the backend no earlier than the request was sent and no later than its answer.
        assertThat(lease.leaseDeadlineNanos()).isBetween(before + usable, after + usable);
        assertThat(lease.isValid()).isTrue();
        assertThat(lease.remainingLease()).isPositive().isLessThanOrEqualTo(Duration.ofNanos(usable));
        lease.close();
    }

    @Test
    default void anUnrenewedLeaseExpiresAndTheNextClientGetsAHigherToken() throws Exception {
        LockLease first = kit().client().acquire("kit/expiry", unrenewed());
        CompletableFuture<LockLostException> lost = lossOf(first);

        kit().advance(kit().lease());

        assertThat(first.isValid()).isFalse();
        assertThat(first.remainingLease()).isZero();
        assertThat(kit().await(lost).reason()).isEqualTo(LockLostException.Reason.EXPIRED);
        LockLease second = kit().client().acquire("kit/expiry", LockKit.steady(LockOptions.exclusive()));
        assertThat(second.fencingToken()).isGreaterThan(first.fencingToken());
        assertThatThrownBy(first::close).isInstanceOf(LockLostException.class);
        assertThat(kit().describe("kit/expiry").holders()).singleElement()
                .satisfies(holder -> assertThat(holder.fencingToken()).isEqualTo(second.fencingToken()));
        second.close();
    }

    @Test
    default void theWatchdogKeepsALeaseAliveWellPastItsLeaseTime() throws Exception {
        LockLease lease = kit().client().acquire("kit/watchdog", renewed());
        CompletableFuture<LockLostException> lost = lossOf(lease);

        kit().advance(kit().lease().multipliedBy(2));

        assertThat(lease.isValid()).as("valid after twice its lease time").isTrue();
        assertThat(lost).isNotDone();
        assertThat(kit().describe("kit/watchdog").holders()).singleElement()
                .satisfies(holder -> assertThat(holder.fencingToken()).isEqualTo(lease.fencingToken()));
        assertThat(kit().client().tryAcquire("kit/watchdog", LockOptions.exclusive())).isEmpty();

        lease.close();
        assertThat(kit().client().tryAcquire("kit/watchdog", LockOptions.exclusive())).isPresent();
        assertThat(lost).isNotDone();
    }

    @Test
    default void failingRenewalsLoseTheLeaseByItsDeadline() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LockClient client = kit().client(LockKit.clientOptions("kit-renewal").withMeterRegistry(registry));
        LockLease lease = client.acquire("kit/partition", renewed());
        CompletableFuture<LockLostException> lost = lossOf(lease);

        kit().fixture().makeUnreachable();
        kit().advance(kit().lease());

        assertThat(lease.isValid()).isFalse();
        assertThat(kit().await(lost).reason()).isEqualTo(LockLostException.Reason.EXPIRED);
        assertThat(registry.get("bulwark.lock.renewal.failures").tag("reason", "unavailable").counter().count())
                .isGreaterThanOrEqualTo(1);
        assertThat(registry.get("bulwark.lock.leases.lost").tag("reason", "expired").counter().count()).isEqualTo(1);

        kit().fixture().makeReachable();
        LockLease next = kit().client().acquire("kit/partition", LockKit.steady(LockOptions.exclusive()));
        assertThat(next.fencingToken()).isGreaterThan(lease.fencingToken());
        next.close();
    }

    @Test
    default void aRefusedRenewalLosesTheLeaseAtOnce() throws Exception {
        LockLease lease = kit().client().acquire("kit/refused", renewed());
        CompletableFuture<LockLostException> lost = lossOf(lease);

        kit().fixture().loseAllLocks();
        kit().advance(kit().lease().dividedBy(2)); // past the first renewal, at a third of the usable lease

        assertThat(kit().await(lost).reason()).isEqualTo(LockLostException.Reason.RENEWAL_REJECTED);
        assertThat(lease.isValid()).isFalse();
        assertThatThrownBy(lease::close).isInstanceOf(LockLostException.class);
    }

    @Test
    default void releasingALeaseTheBackendNoLongerHasFailsLoudlyAndSparesTheNewOwner() throws Exception {
        LockLease stale = kit().client().acquire("kit/stale-release", LockKit.steady(LockOptions.exclusive()));
        CompletableFuture<LockLostException> lost = lossOf(stale);
        kit().fixture().loseAllLocks();
        LockLease owner = kit().client().acquire("kit/stale-release", LockKit.steady(LockOptions.exclusive()));

        assertThatThrownBy(stale::close).isInstanceOf(LockLostException.class)
                .satisfies(e -> assertThat(((LockLostException) e).reason())
                        .isEqualTo(LockLostException.Reason.NOT_HELD_AT_RELEASE));
        assertThat(kit().await(lost).reason()).isEqualTo(LockLostException.Reason.NOT_HELD_AT_RELEASE);

        assertThat(owner.isValid()).isTrue();
        assertThat(kit().describe("kit/stale-release").holders()).singleElement()
                .satisfies(holder -> assertThat(holder.fencingToken()).isEqualTo(owner.fencingToken()));
        owner.close();
    }

    @Test
    default void closingTwiceIsHarmlessAndANormalCloseNeverFiresOnLost() throws Exception {
        LockLease lease = kit().client().acquire("kit/close", renewed());
        AtomicBoolean fired = new AtomicBoolean();
        lease.onLost(e -> fired.set(true));

        lease.close();
        lease.close();
        kit().advance(kit().lease());

        assertThat(fired).isFalse();
        assertThat(lease.isValid()).isFalse();
        assertThatThrownBy(lease::ensureValid).isInstanceOf(IllegalStateException.class);
        assertThat(kit().describe("kit/close").isIdle()).isTrue();
    }

    @Test
    default void onLostRegisteredAfterTheLossRunsAtOnce() throws Exception {
        LockLease lease = kit().client().acquire("kit/late-callback", unrenewed());
        kit().advance(kit().lease());
        assertThatThrownBy(lease::ensureValid).isInstanceOf(LockLostException.class);

        AtomicBoolean fired = new AtomicBoolean();
        lease.onLost(e -> fired.set(true));
        assertThat(fired).isTrue();
    }

    @Test
    default void withLockThrowsWhenTheLeaseWasLostDuringTheAction() {
        LockClient client = kit().client();
        assertThatThrownBy(() -> client.withLock("kit/with-lost", unrenewed(), lease -> {
            kit().advance(kit().lease()); // the action outlives its lease
            return "done";
        })).isInstanceOf(LockLostException.class);
    }

    @Test
    default void closingTheClientLosesItsLeasesAndFailsItsWaiters() throws Exception {
        LockClient closing = kit().client();
        LockLease held = closing.acquire("kit/client-close-held", LockKit.steady(LockOptions.exclusive()));
        CompletableFuture<LockLostException> lost = lossOf(held);
        LockLease other = kit().client().acquire("kit/client-close-wanted", LockKit.steady(LockOptions.exclusive()));
        CompletableFuture<LockLease> waiting = closing.acquireAsync("kit/client-close-wanted",
                LockKit.steady(LockOptions.exclusive()));
        kit().awaitWaiters("kit/client-close-wanted", 1);

        closing.close();

        assertThat(kit().await(lost).reason()).isEqualTo(LockLostException.Reason.CLIENT_CLOSED);
        assertThat(held.isValid()).isFalse();
        assertThat(waiting).failsWithin(LockKit.DEADLINE).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(BackendUnavailableException.class);
        kit().eventually("released on client close", () -> kit().describe("kit/client-close-held").isIdle());
        kit().awaitWaiters("kit/client-close-wanted", 0);
        assertThatThrownBy(() -> closing.acquire("kit/client-close-held", LockOptions.exclusive()))
                .isInstanceOf(IllegalStateException.class);
        other.close();
    }

    @Test
    default void reenteredHandlesHoldTheLockUntilTheLastIsClosed() throws Exception {
        LockLease outer = kit().client().acquire("kit/reenter", LockKit.steady(LockOptions.exclusive()).withReentrancy());
        LockLease inner = outer.reenter();

        outer.close();
        assertThat(outer.isValid()).isFalse();
        assertThat(inner.isValid()).isTrue();
        assertThat(kit().client().tryAcquire("kit/reenter", LockOptions.exclusive())).isEmpty();

        inner.close();
        assertThat(kit().client().tryAcquire("kit/reenter", LockOptions.exclusive())).isPresent();
    }

    @Test
    default void reenteringIsRefusedUnlessTheAcquireOptedIn() throws Exception {
        LockLease lease = kit().client().acquire("kit/no-reenter", LockKit.steady(LockOptions.exclusive()));
        assertThatThrownBy(lease::reenter).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("withReentrancy");
        lease.close();
        assertThatThrownBy(lease::reenter).isInstanceOf(IllegalStateException.class);
    }
}
