package io.bulwark.lock.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockModeConflictException;
import io.bulwark.lock.LockOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Counting semaphores with leases: permits are counted, capacity is agreed, the queue is FIFO. */
public interface SemaphoreContract extends LockContract {

    @Test
    default void aSemaphoreGrantsUpToItsCapacity() throws Exception {
        String name = "kit/semaphore";
        List<LockLease> holders = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            holders.add(kit().client().tryAcquire(name, LockOptions.semaphore(3)).orElseThrow());
        }
        assertThat(kit().client().tryAcquire(name, LockOptions.semaphore(3))).isEmpty();
        CompletableFuture<LockLease> fourth = kit().client().acquireAsync(name, LockKit.steady(LockOptions.semaphore(3)));
        kit().awaitWaiters(name, 1);

        holders.get(1).close();

        assertThat(kit().await(fourth).isValid()).isTrue();
        assertThat(kit().describe(name).holders()).hasSize(3);
    }

    @Test
    default void permitsAreCountedAndASmallRequestDoesNotOvertakeAQueuedLargeOne() throws Exception {
        String name = "kit/semaphore-permits";
        LockLease two = kit().client().acquire(name, LockKit.steady(LockOptions.semaphore(3).withPermits(2)));
        CompletableFuture<LockLease> anotherTwo = kit().client().acquireAsync(name,
                LockKit.steady(LockOptions.semaphore(3).withPermits(2)));
        kit().awaitWaiters(name, 1);

        // One permit is free, but a request for two is queued first: FIFO, no barging.
        assertThat(kit().client().tryAcquire(name, LockOptions.semaphore(3))).isEmpty();
        CompletableFuture<LockLease> one = kit().client().acquireAsync(name, LockKit.steady(LockOptions.semaphore(3)));
        kit().awaitWaiters(name, 2);

        two.close();

        kit().await(anotherTwo);
        kit().await(one);
        assertThat(kit().describe(name).holders()).hasSize(2);
        assertThat(kit().describe(name).waiting()).isZero();
    }

    @Test
    default void everyUserOfASemaphoreMustDeclareTheSameCapacity() throws Exception {
        String name = "kit/semaphore-capacity";
        LockLease holder = kit().client().acquire(name, LockKit.steady(LockOptions.semaphore(3)));
        assertThatThrownBy(() -> kit().client().tryAcquire(name, LockOptions.semaphore(4)))
                .isInstanceOf(LockModeConflictException.class).hasMessageContaining("capacity 3")
                .hasMessageContaining("capacity 4");
        assertThat(kit().describe(name).holders()).hasSize(1);
        holder.close();
    }

    @Test
    default void aSemaphoreBoundsConcurrencyUnderLoad() throws Exception {
        String name = "kit/semaphore-load";
        int threads = 8;
        int capacity = 3;
        List<LockClient> clients = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            clients.add(kit().client());
        }
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        kit().runConcurrently(threads, Duration.ofSeconds(60), index -> {
            for (int round = 0; round < 80; round++) {
                try (LockLease lease = clients.get(index).acquire(name, LockKit.steady(LockOptions.semaphore(capacity)))) {
                    assertThat(lease.isValid()).isTrue();
                    int now = inside.incrementAndGet();
                    mostInside.accumulateAndGet(now, Math::max);
                    assertThat(now).as("holders inside a semaphore of %d", capacity).isLessThanOrEqualTo(capacity);
                    inside.decrementAndGet();
                }
            }
        });
        assertThat(mostInside.get()).isBetween(1, capacity);
        assertThat(kit().describe(name).isIdle()).isTrue();
    }
}
