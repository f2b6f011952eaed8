package io.bulwark.lock.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.lock.BackendUnavailableException;
import io.bulwark.lock.LockAcquisitionTimeoutException;
import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Waiting ends on time, cancellation and interruption withdraw the request, a waiter whose wait ended is
 * never granted, and an unreachable backend never yields a lease. In every case nothing is left behind.
 */
public interface TimeoutAndCancellationContract extends LockContract {

    @Test
    default void aBlockingAcquireTimesOutNoEarlierThanItsWaitAndLeavesNothing() throws Exception {
        String name = "kit/timeout";
        Duration wait = kit().lease().dividedBy(2);
        LockLease holder = kit().client().acquire(name, LockKit.steady(LockOptions.exclusive()));
        LockClient waiter = kit().client();
        CompletableFuture<Long> waitedNanos = new CompletableFuture<>();
        kit().thread().submit(() -> {
            long start = kit().nowNanos();
            try {
                waiter.acquire(name, LockKit.steady(LockOptions.exclusive()).withWaitTimeout(wait));
                waitedNanos.completeExceptionally(new AssertionError("acquired a held lock"));
            } catch (LockAcquisitionTimeoutException expected) {
                assertThat(expected.waitTimeout()).isEqualTo(wait);
                assertThat(expected.lockName()).isEqualTo(name);
                waitedNanos.complete(kit().nowNanos() - start);
            } catch (Throwable e) {
                waitedNanos.completeExceptionally(e);
            }
            return null;
        });
        kit().awaitWaiters(name, 1);

        kit().advance(wait);

        assertThat(kit().await(waitedNanos)).isGreaterThanOrEqualTo(wait.toNanos());
        assertThat(kit().describe(name).waiting()).isZero();
        assertThat(kit().describe(name).holders()).hasSize(1);
        holder.close();
        assertThat(kit().describe(name).isIdle()).isTrue();
    }

    @Test
    default void aZeroWaitAcquireOfAHeldLockTimesOutAtOnce() throws Exception {
        LockLease holder = kit().client().acquire("kit/zero-wait", LockKit.steady(LockOptions.exclusive()));
        assertThatThrownBy(() -> kit().client().acquire("kit/zero-wait",
                LockOptions.exclusive().withWaitTimeout(Duration.ZERO)))
                .isInstanceOf(LockAcquisitionTimeoutException.class).hasMessageContaining("kit/zero-wait");
        assertThat(kit().describe("kit/zero-wait").waiting()).isZero();
        holder.close();
    }

    @Test
    default void tryAcquireOfAHeldLockIsEmptyAndLeavesNothing() throws Exception {
        LockLease holder = kit().client().acquire("kit/try", LockKit.steady(LockOptions.exclusive()));
        assertThat(kit().client().tryAcquire("kit/try", LockOptions.exclusive())).isEmpty();
        assertThat(kit().describe("kit/try").waiting()).isZero();
        holder.close();
        assertThat(kit().describe("kit/try").isIdle()).isTrue();
    }

    @Test
    default void cancellingAnAsyncAcquireWithdrawsIt() throws Exception {
        String name = "kit/cancel";
        LockLease holder = kit().client().acquire(name, LockKit.steady(LockOptions.exclusive()));
        CompletableFuture<LockLease> waiting = kit().client().acquireAsync(name, LockKit.steady(LockOptions.exclusive()));
        kit().awaitWaiters(name, 1);

        assertThat(waiting.cancel(true)).isTrue();

        kit().awaitWaiters(name, 0);
        holder.close();
        kit().eventually("nobody holds the lock after the cancelled waiter", () -> kit().describe(name).isIdle());
    }

    @Test
    default void interruptingABlockingAcquireWithdrawsIt() throws Exception {
        String name = "kit/interrupt";
        LockLease holder = kit().client().acquire(name, LockKit.steady(LockOptions.exclusive()));
        LockClient waiter = kit().client();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Future<?> blocked = kit().thread().submit(() -> {
            try {
                waiter.acquire(name, LockKit.steady(LockOptions.exclusive()));
                outcome.complete(new AssertionError("acquired a held lock"));
            } catch (Throwable e) {
                outcome.complete(e);
            }
        });
        kit().awaitWaiters(name, 1);

        blocked.cancel(true); // interrupts the waiting thread

        assertThat(kit().await(outcome)).isInstanceOf(InterruptedException.class);
        kit().awaitWaiters(name, 0);
        holder.close();
        kit().eventually("nobody holds the lock after the interrupted waiter", () -> kit().describe(name).isIdle());
    }

    @Test
    default void aWaiterWhoseWaitEndedIsNeverGrantedTheLock() throws Exception {
        // etcd #11456: a waiter whose session had expired was granted the lock when the holder released.
        String name = "kit/expired-waiter";
        Duration wait = kit().lease().dividedBy(2);
        LockLease holder = kit().client().acquire(name, LockKit.steady(LockOptions.exclusive()));
        CompletableFuture<LockLease> waiting = kit().client().acquireAsync(name,
                LockKit.steady(LockOptions.exclusive()).withWaitTimeout(wait));
        kit().awaitWaiters(name, 1);

        kit().advance(wait);
        holder.close();

        assertThat(waiting).failsWithin(LockKit.DEADLINE).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(LockAcquisitionTimeoutException.class);
        kit().eventually("the lock is free, not granted to the expired waiter", () -> kit().describe(name).isIdle());
    }

    @Test
    default void callsFailFastAndNeverAcquireWhileTheBackendIsUnreachable() throws Exception {
        String name = "kit/unreachable";
        LockClient client = kit().client();
        kit().fixture().makeUnreachable();

        assertThatThrownBy(() -> client.acquire(name, LockKit.steady(LockOptions.exclusive())))
                .isInstanceOf(BackendUnavailableException.class);
        assertThatThrownBy(() -> client.tryAcquire(name, LockOptions.exclusive()))
                .isInstanceOf(BackendUnavailableException.class);
        assertThat(client.acquireAsync(name, LockKit.steady(LockOptions.exclusive())))
                .failsWithin(LockKit.DEADLINE).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(BackendUnavailableException.class);

        kit().fixture().makeReachable();
        kit().eventually("nothing left behind by the failed calls", () -> kit().describe(name).isIdle());
        client.acquire(name, LockKit.steady(LockOptions.exclusive())).close();
    }

    @Test
    default void aWaiterCutOffFromTheBackendFailsInsteadOfWaitingForever() throws Exception {
        String name = "kit/cut-off";
        LockLease holder = kit().client().acquire(name, LockKit.steady(LockOptions.exclusive()));
        CompletableFuture<LockLease> waiting = kit().client().acquireAsync(name, LockKit.steady(LockOptions.exclusive()));
        kit().awaitWaiters(name, 1);

        kit().fixture().makeUnreachable();

        assertThat(waiting).failsWithin(LockKit.DEADLINE).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(BackendUnavailableException.class);
        kit().fixture().makeReachable();
        holder.close();
        kit().eventually("the failed waiter was not granted the lock", () -> kit().describe(name).isIdle());
    }
}
