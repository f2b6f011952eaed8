package io.bulwark.lock.kit;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.lock.LockAcquisitionTimeoutException;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Fair locks grant waiters strictly in the order their requests reached the backend. */
public interface FairnessContract extends LockContract {

    private List<CompletableFuture<LockLease>> queueWaiters(String name, int count, LockOptions options) {
        List<CompletableFuture<LockLease>> waiters = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // One at a time, each confirmed queued, so that arrival order is the order of this loop.
            waiters.add(kit().client().acquireAsync(name, options));
            kit().awaitWaiters(name, i + 1);
        }
        return waiters;
    }

    @Test
    default void aFairLockGrantsWaitersInArrivalOrder() throws Exception {
        String name = "kit/fifo";
        LockLease holder = kit().client().acquire(name, LockKit.steady(LockOptions.fair()));
        List<CompletableFuture<LockLease>> waiters = queueWaiters(name, 5, LockKit.steady(LockOptions.fair()));

        LockLease previous = holder;
        for (int i = 0; i < waiters.size(); i++) {
            previous.close();
            LockLease granted = kit().await(waiters.get(i));
            assertThat(granted.fencingToken()).isGreaterThan(previous.fencingToken());
            for (int later = i + 1; later < waiters.size(); later++) {
                assertThat(waiters.get(later)).as("waiter %d while waiter %d holds", later, i).isNotDone();
            }
            previous = granted;
        }
        previous.close();
        assertThat(kit().describe(name).isIdle()).isTrue();
    }

    @Test
    default void aFairQueueSkipsAWaiterThatWasCancelled() throws Exception {
        String name = "kit/fifo-cancel";
        LockLease holder = kit().client().acquire(name, LockKit.steady(LockOptions.fair()));
        List<CompletableFuture<LockLease>> waiters = queueWaiters(name, 3, LockKit.steady(LockOptions.fair()));

        waiters.get(1).cancel(true);
        kit().awaitWaiters(name, 2);

        holder.close();
        LockLease first = kit().await(waiters.get(0));
        assertThat(waiters.get(2)).isNotDone();
        first.close();
        LockLease third = kit().await(waiters.get(2));
        assertThat(third.fencingToken()).isGreaterThan(first.fencingToken());
        third.close();
        assertThat(kit().describe(name).isIdle()).isTrue();
    }

    @Test
    default void aFairQueueSkipsAWaiterWhoseWaitEnded() throws Exception {
        String name = "kit/fifo-timeout";
        Duration shortWait = kit().lease().dividedBy(2);
        LockLease holder = kit().client().acquire(name, LockKit.steady(LockOptions.fair()));
        CompletableFuture<LockLease> impatient = kit().client().acquireAsync(name,
                LockKit.steady(LockOptions.fair()).withWaitTimeout(shortWait));
        kit().awaitWaiters(name, 1);
        CompletableFuture<LockLease> patient = kit().client().acquireAsync(name, LockKit.steady(LockOptions.fair()));
        kit().awaitWaiters(name, 2);

        kit().advance(shortWait);

        assertThat(impatient).failsWithin(LockKit.DEADLINE).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(LockAcquisitionTimeoutException.class);
        holder.close();
        LockLease granted = kit().await(patient);
        assertThat(granted.isValid()).isTrue();
        granted.close();
    }
}
