package io.bulwark.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.lock.kit.ManualLockTimer;
import io.bulwark.lock.memory.InMemoryLockBackend;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The client's lease arithmetic, watchdog, races and metrics, exactly, in virtual time: every instant below
 * is computed from the documented formulas, not measured.
 */
class LockClientVirtualTimeTest {

    private static final Duration LEASE = Duration.ofSeconds(30);
    /** 5 ms + 1% of 30 s. */
    private static final long MARGIN_NANOS = 5_000_000 + 300_000_000;
    private static final long USABLE_NANOS = LEASE.toNanos() - MARGIN_NANOS;

    private final ManualLockTimer timer = new ManualLockTimer();
    private final InMemoryLockBackend memory = InMemoryLockBackend.create(timer);
    private final DelayingBackend backend = new DelayingBackend(memory, timer);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LockClient client = LockClient.create(backend,
            LockClientOptions.defaults().withClientName("virtual").withMeterRegistry(registry)
                    // Callbacks and future completions on the thread that advances the clock: deterministic.
                    .withCallbackExecutor(Runnable::run));

    @AfterEach
    void close() {
        client.close();
        backend.close();
    }

    private static LockOptions lease(boolean autoRenew) {
        return LockOptions.exclusive().withLeaseTime(LEASE).withAutoRenew(autoRenew);
    }

    private LockInfo.Holder holderOf(String name) {
        return memory.describe(LockName.of(name)).join().holders().get(0);
    }

    @Test
    void theClientDeadlineIsTheLeaseStartPlusTheLeaseMinusTheMarginExactly() throws Exception {
        timer.advance(Duration.ofSeconds(7));
        long start = timer.nowNanos();
        LockLease lease = client.acquire("exact", lease(false));
        assertThat(lease.leaseDeadlineNanos()).isEqualTo(start + USABLE_NANOS);
        assertThat(lease.remainingLease()).isEqualTo(Duration.ofNanos(USABLE_NANOS));
    }

    @Test
    void theClientGivesUpExactlyOneMarginBeforeTheBackendDoes() throws Exception {
        LockLease lease = client.acquire("margin", lease(false));
        CompletableFuture<LockLostException> lost = new CompletableFuture<>();
        lease.onLost(lost::complete);

        timer.advanceNanos(USABLE_NANOS - 1);
        assertThat(lease.isValid()).isTrue();
        assertThat(holderOf("margin").remainingLease()).isEqualTo(Duration.ofNanos(MARGIN_NANOS + 1));

        timer.advanceNanos(1);
        assertThat(lease.isValid()).isFalse();
        assertThat(lost).isCompleted();
        assertThat(lost.join().reason()).isEqualTo(LockLostException.Reason.EXPIRED);
        // Having given up, the client hands the lease back instead of letting it run out the margin.
        assertThat(memory.describe(LockName.of("margin")).join().isIdle()).isTrue();
    }

    @Test
    void theWatchdogRenewsAtAThirdOfTheUsableLease() throws Exception {
        client.acquire("schedule", lease(true));
        long firstRenewal = USABLE_NANOS / 3;

        timer.advanceNanos(firstRenewal - 1);
        assertThat(backend.renewals).hasValue(0);
        timer.advanceNanos(1);
        assertThat(backend.renewals).hasValue(1);
        assertThat(holderOf("schedule").remainingLease()).isEqualTo(LEASE);

        timer.advanceNanos(firstRenewal);
        assertThat(backend.renewals).hasValue(2);
        timer.advance(Duration.ofMinutes(10));
        assertThat(backend.renewals.get()).isEqualTo(2 + (int) (Duration.ofMinutes(10).toNanos() / firstRenewal));
    }

    @Test
    void renewalRetriesThroughAnOutageAndKeepsTheLeaseIfItEndsBeforeTheDeadline() throws Exception {
        LockLease lease = client.acquire("outage", lease(true));
        AtomicInteger losses = new AtomicInteger();
        lease.onLost(e -> losses.incrementAndGet());

        memory.setReachable(false);
        timer.advanceNanos(USABLE_NANOS * 2 / 3); // two renewal attempts due, both failing
        assertThat(lease.isValid()).isTrue();
        double failures = registry.get("bulwark.lock.renewal.failures").tag("reason", "unavailable").counter().count();
        assertThat(failures).isGreaterThanOrEqualTo(2);

        memory.setReachable(true);
        timer.advanceNanos(USABLE_NANOS / 3 - 1_000_000); // still before the original deadline
        assertThat(lease.isValid()).isTrue();
        assertThat(lease.leaseDeadlineNanos()).isGreaterThan(ManualLockTimer.ORIGIN_NANOS + USABLE_NANOS);
        timer.advance(LEASE.multipliedBy(3));
        assertThat(lease.isValid()).isTrue();
        assertThat(losses).hasValue(0);
    }

    @Test
    void aRenewalConfirmedAfterTheDeadlineDoesNotReviveTheLease() throws Exception {
        LockLease lease = client.acquire("late-renewal", lease(true));
        backend.renewAnswerDelayNanos = USABLE_NANOS; // the answer to the first renewal arrives far too late

        timer.advanceNanos(USABLE_NANOS);
        assertThat(lease.isValid()).isFalse();
        timer.advanceNanos(USABLE_NANOS / 3); // the late "renewed" answer arrives now
        assertThat(lease.isValid()).isFalse();
        assertThatThrownBy(lease::close).isInstanceOf(LockLostException.class);
    }

    @Test
    void closingStopsRenewalAndALateRenewalIsRefusedByTheBackend() throws Exception {
        LockLease lease = client.acquire("stop", lease(true));
        backend.renewAnswerDelayNanos = 1_000_000;
        timer.advanceNanos(USABLE_NANOS / 3); // a renewal is now in flight

        lease.close();
        assertThat(memory.describe(LockName.of("stop")).join().isIdle()).isTrue();
        int renewalsAtClose = backend.renewals.get();
        timer.advance(LEASE.multipliedBy(4));
        assertThat(backend.renewals).hasValue(renewalsAtClose);
        assertThat(memory.describe(LockName.of("stop")).join().isIdle()).isTrue();
    }

    @Test
    void aGrantThatRacesACancellationIsWithdrawnNotLeaked() {
        backend.acquireAnswerDelayNanos = 1_000;
        CompletableFuture<LockLease> acquiring = client.acquireAsync("race", lease(true));
        // The backend has already granted; its answer is still "on the wire" when the caller gives up.
        assertThat(memory.describe(LockName.of("race")).join().holders()).hasSize(1);
        acquiring.cancel(true);

        timer.advanceNanos(1_000);
        assertThat(memory.describe(LockName.of("race")).join().isIdle()).isTrue();
        assertThat(registry.get("bulwark.lock.acquire").tag("kind", "exclusive").tag("outcome", "cancelled").timer().count()).isEqualTo(1);
        assertThat(registry.get("bulwark.lock.held").gauge().value()).isZero();
    }

    @Test
    void aQueuedGrantsLeaseRunsFromTheGrantNotFromTheRequest() throws Exception {
        LockLease holder = client.acquire("queued", lease(true));
        CompletableFuture<LockLease> waiting = client.acquireAsync("queued",
                lease(true).withWaitTimeout(Duration.ofMinutes(5)));
        timer.advance(Duration.ofMinutes(2));
        long grantedAt = timer.nowNanos();
        holder.close();

        LockLease lease = waiting.join();
        assertThat(lease.leaseDeadlineNanos()).isEqualTo(grantedAt + USABLE_NANOS);
        assertThat(lease.isValid()).isTrue();
    }

    @Test
    void metricsRecordAcquiresHoldsWaitersAndLosses() throws Exception {
        LockLease lease = client.acquire("metrics", lease(false));
        assertThat(client.tryAcquire("metrics", lease(false))).isEmpty();
        CompletableFuture<LockLease> waiting = client.acquireAsync("metrics",
                lease(false).withWaitTimeout(Duration.ofSeconds(1)));
        assertThat(registry.get("bulwark.lock.waiters").gauge().value()).isEqualTo(1);
        assertThat(registry.get("bulwark.lock.held").gauge().value()).isEqualTo(1);

        timer.advance(Duration.ofSeconds(1));
        assertThat(waiting).isCompletedExceptionally();
        timer.advance(LEASE);

        assertThat(registry.get("bulwark.lock.acquire").tag("kind", "exclusive").tag("outcome", "acquired").timer()
                .count()).isEqualTo(1);
        assertThat(registry.get("bulwark.lock.acquire").tag("kind", "exclusive").tag("outcome", "busy").timer().count()).isEqualTo(1);
        assertThat(registry.get("bulwark.lock.acquire").tag("kind", "exclusive").tag("outcome", "timed_out").timer().count()).isEqualTo(1);
        assertThat(registry.get("bulwark.lock.acquire").tag("kind", "exclusive").tag("outcome", "timed_out").timer()
                .totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(1000);
        assertThat(registry.get("bulwark.lock.leases.lost").tag("reason", "expired").counter().count()).isEqualTo(1);
        assertThat(registry.get("bulwark.lock.hold").tag("kind", "exclusive").timer()
                .totalTime(java.util.concurrent.TimeUnit.NANOSECONDS)).isEqualTo(USABLE_NANOS);
        assertThat(registry.get("bulwark.lock.waiters").gauge().value()).isZero();
        assertThat(registry.get("bulwark.lock.held").gauge().value()).isZero();
        assertThat(lease.isValid()).isFalse();

        client.close();
        assertThat(registry.find("bulwark.lock.waiters").gauge()).isNull();
    }

    @Test
    void reenteringAnExpiredLeaseReportsTheLoss() throws Exception {
        LockLease lease = client.acquire("reenter-expired", lease(false).withReentrancy());
        timer.advanceNanos(USABLE_NANOS);
        assertThatThrownBy(lease::reenter).isInstanceOf(LockLostException.class);
    }

    @Test
    void closeAsyncStopsRenewalAtOnceAndCompletesWithTheRelease() throws Exception {
        LockLease lease = client.acquire("async-close", lease(true));
        CompletableFuture<Void> closing = lease.closeAsync();
        assertThat(closing).isCompleted();
        assertThat(lease.isValid()).isFalse();
        assertThat(lease.closeAsync()).isCompleted();
        timer.advance(LEASE.multipliedBy(2));
        assertThat(backend.renewals).hasValue(0);
    }
}
