package io.bulwark.lock.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.lock.BackendUnavailableException;
import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.LockOptions;
import io.bulwark.lock.kit.ManualLockTimer;
import io.bulwark.lock.spi.AcquireOutcome;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.state.LockLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the in-memory backend does beyond the contract: its driver loop, delivery and fault injection. */
class InMemoryLockBackendTest {

    private final ManualLockTimer timer = new ManualLockTimer();
    private final InMemoryLockBackend backend = InMemoryLockBackend.create(timer);

    @AfterEach
    void close() {
        backend.close();
    }

    private CompletableFuture<AcquireOutcome> raw(String name, long owner, LockMode mode, long leaseNanos, long waitNanos) {
        return backend.acquire(new AcquireRequest(LockName.of(name), new OwnerId("t", owner), mode, leaseNanos, waitNanos));
    }

    @Test
    void leasesAndWaitsEndOnTheTimerWithoutAnyCall() {
        raw("tick", 1, LockMode.exclusive(), 100, 0);
        CompletableFuture<AcquireOutcome> waiter = raw("tick", 2, LockMode.exclusive(), 100, 1_000);
        CompletableFuture<AcquireOutcome> impatient = raw("tick", 3, LockMode.exclusive(), 100, 50);

        timer.advanceNanos(50);
        assertThat(impatient).isCompletedWithValue(new AcquireOutcome.NotGranted());
        assertThat(waiter).isNotDone();
        timer.advanceNanos(50);
        assertThat(waiter.join()).isEqualTo(new AcquireOutcome.Granted(2, 100, ManualLockTimer.ORIGIN_NANOS + 100));
        timer.advanceNanos(100);
        assertThat(timer.scheduledTasks()).as("nothing scheduled once idle").isZero();
    }

    @Test
    void aLongChainOfReleasesInsideGrantCallbacksRunsAsALoopNotARecursion() throws Exception {
        LockClient client = LockClient.create(backend);
        LockOptions options = LockOptions.fair().withWaitTimeout(Duration.ofMinutes(1));
        LockLease first = client.acquire("chain", options);
        List<CompletableFuture<Long>> chain = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            // Each waiter releases as soon as it is granted, on the thread that granted it.
            chain.add(client.acquireAsync("chain", options).thenApply(lease -> {
                lease.close();
                return lease.fencingToken();
            }));
        }

        first.close(); // would overflow the stack if each grant nested inside the previous release

        for (int i = 0; i < chain.size(); i++) {
            assertThat(chain.get(i).join()).isEqualTo(first.fencingToken() + 1 + i);
        }
        assertThat(backend.describe(LockName.of("chain")).join().isIdle()).isTrue();
        client.close();
    }

    @Test
    void aPartitionWithdrawsQueuedRequestsWithoutLeavingGrantsNobodyKnowsAbout() {
        raw("rw", 1, LockMode.read(), 1_000, 0);
        CompletableFuture<AcquireOutcome> writer = raw("rw", 2, LockMode.write(), 1_000, 1_000);
        CompletableFuture<AcquireOutcome> reader = raw("rw", 3, LockMode.read(), 1_000, 1_000);

        // Withdrawing the writer at the head would grant the reader behind it, which is withdrawn as well.
        backend.setReachable(false);
        backend.setReachable(true);

        assertThat(writer).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(BackendUnavailableException.class);
        assertThat(reader).failsWithin(Duration.ZERO).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(BackendUnavailableException.class);
        assertThat(backend.describe(LockName.of("rw")).join().holders()).singleElement()
                .satisfies(holder -> assertThat(holder.owner()).isEqualTo("t#1"));
    }

    @Test
    void closingFailsQueuedRequestsAndEveryLaterCall() {
        raw("closing", 1, LockMode.exclusive(), 1_000, 0);
        CompletableFuture<AcquireOutcome> waiter = raw("closing", 2, LockMode.exclusive(), 1_000, 1_000);
        backend.close();
        backend.close();
        assertThat(waiter).isCompletedExceptionally();
        assertThat(raw("closing", 3, LockMode.exclusive(), 1_000, 0)).isCompletedExceptionally();
        assertThat(timer.scheduledTasks()).isZero();
    }

    @Test
    void aTokenFloorCarriesTokensOverFromAnEarlierBackend() {
        InMemoryLockBackend successor = InMemoryLockBackend.create(timer, LockLimits.defaults(), 41);
        AcquireOutcome granted = successor.acquire(new AcquireRequest(LockName.of("floor"), new OwnerId("t", 1),
                LockMode.exclusive(), 100, 0)).join();
        assertThat(((AcquireOutcome.Granted) granted).fencingToken()).isEqualTo(42);
        assertThat(successor.lastIssuedToken()).isEqualTo(42);
        successor.close();
    }

    @Test
    void losingAllLocksFailsWaitersAndForgetsHolders() {
        raw("lost", 1, LockMode.exclusive(), 1_000, 0);
        CompletableFuture<AcquireOutcome> waiter = raw("lost", 2, LockMode.exclusive(), 1_000, 1_000);
        backend.loseAllLocks();
        assertThat(waiter).isCompletedExceptionally();
        assertThat(backend.describe(LockName.of("lost")).join().isIdle()).isTrue();
        assertThat(((AcquireOutcome.Granted) raw("lost", 3, LockMode.exclusive(), 1_000, 0).join()).fencingToken())
                .isEqualTo(2);
    }
}
