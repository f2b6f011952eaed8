package io.bulwark.lock.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Exclusive and fair locks admit one holder at a time, among many clients on many threads, and a lease can
 * be used and released from any thread.
 */
public interface MutualExclusionContract extends LockContract {

    /** Threads (each with its own client) in the contention tests. */
    int CONTENDERS = 8;
    /** Critical sections per thread. */
    int ROUNDS = 150;

    @Test
    default void exclusiveLockAdmitsOneHolderAtATimeAmongManyClients() throws Exception {
        assertOneHolderAtATime(LockOptions.exclusive());
    }

    @Test
    default void fairLockAdmitsOneHolderAtATimeAmongManyClients() throws Exception {
        assertOneHolderAtATime(LockOptions.fair());
    }

    private void assertOneHolderAtATime(LockOptions kind) throws Exception {
        String name = "kit/mutex";
        LockOptions options = LockKit.steady(kind);
        List<LockClient> clients = new ArrayList<>();
        for (int i = 0; i < CONTENDERS; i++) {
            clients.add(kit().client());
        }
        AtomicInteger inside = new AtomicInteger();
        // Read and write separately: two holders overlapping would lose an update.
        AtomicLong counter = new AtomicLong();
        List<Long> tokensInHoldOrder = Collections.synchronizedList(new ArrayList<>());

        kit().runConcurrently(CONTENDERS, Duration.ofSeconds(60), index -> {
            for (int round = 0; round < ROUNDS; round++) {
                try (LockLease lease = clients.get(index).acquire(name, options)) {
                    assertThat(inside.incrementAndGet()).as("holders inside the critical section").isEqualTo(1);
                    tokensInHoldOrder.add(lease.fencingToken());
                    counter.set(counter.get() + 1);
                    inside.decrementAndGet();
                }
            }
        });

        assertThat(counter.get()).isEqualTo((long) CONTENDERS * ROUNDS);
        List<Long> tokens = List.copyOf(tokensInHoldOrder);
        for (int i = 1; i < tokens.size(); i++) {
            assertThat(tokens.get(i)).as("token of hold %d", i).isGreaterThan(tokens.get(i - 1));
        }
        assertThat(kit().describe(name).isIdle()).isTrue();
    }

    @Test
    default void aLeaseCanBeReleasedFromAnotherThread() throws Exception {
        LockLease lease = kit().client().acquire("kit/handoff", LockKit.steady(LockOptions.exclusive()));
        kit().thread().submit(lease::close).get();
        assertThat(lease.isValid()).isFalse();
        assertThat(kit().client().tryAcquire("kit/handoff", LockOptions.exclusive())).isPresent();
    }

    @Test
    default void asyncAcquireCompletesWhenTheHolderReleases() throws Exception {
        LockLease first = kit().client().acquire("kit/async", LockKit.steady(LockOptions.exclusive()));
        CompletableFuture<LockLease> second = kit().client().acquireAsync("kit/async",
                LockKit.steady(LockOptions.exclusive()));
        kit().awaitWaiters("kit/async", 1);
        assertThat(second).isNotDone();

        first.close();

        LockLease granted = kit().await(second);
        assertThat(granted.isValid()).isTrue();
        assertThat(granted.fencingToken()).isGreaterThan(first.fencingToken());
        granted.close();
    }

    @Test
    default void differentNamesDoNotExcludeEachOther() throws Exception {
        LockClient client = kit().client();
        try (LockLease a = client.acquire("kit/a", LockKit.steady(LockOptions.exclusive()))) {
            assertThat(kit().client().tryAcquire("kit/b", LockOptions.exclusive())).isPresent();
            assertThat(kit().client().tryAcquire("kit/a", LockOptions.exclusive())).isEmpty();
            assertThat(a.isValid()).isTrue();
        }
    }

    @Test
    default void withLockRunsTheActionUnderTheLockAndReleasesIt() throws Exception {
        LockClient client = kit().client();
        int result = client.withLock("kit/with", LockKit.steady(LockOptions.exclusive()), lease -> {
            assertThat(kit().describe("kit/with").holders()).singleElement()
                    .satisfies(holder -> assertThat(holder.fencingToken()).isEqualTo(lease.fencingToken()));
            return 42;
        });
        assertThat(result).isEqualTo(42);
        assertThat(kit().describe("kit/with").isIdle()).isTrue();
    }

    @Test
    default void withLockReleasesWhenTheActionThrows() {
        LockClient client = kit().client();
        assertThatThrownBy(() -> client.withLock("kit/with", LockKit.steady(LockOptions.exclusive()), lease -> {
            throw new IOException("disk full");
        })).isInstanceOf(IOException.class).hasMessage("disk full");
        assertThat(kit().describe("kit/with").isIdle()).isTrue();
    }
}
