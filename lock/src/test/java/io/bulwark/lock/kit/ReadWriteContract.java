package io.bulwark.lock.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.RandomSource;
import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockModeConflictException;
import io.bulwark.lock.LockOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Read-write locks: readers share, a writer is alone, and the queue is FIFO so that a waiting writer holds
 * back readers that arrive after it (writers are never starved).
 */
public interface ReadWriteContract extends LockContract {

    @Test
    default void readersShareTheLock() throws Exception {
        List<LockLease> readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            readers.add(kit().client().tryAcquire("kit/rw-share", LockOptions.read()).orElseThrow());
        }
        assertThat(kit().describe("kit/rw-share").holders()).hasSize(3);
        assertThat(kit().client().tryAcquire("kit/rw-share", LockOptions.write())).isEmpty();
        for (LockLease reader : readers) {
            reader.close();
        }
        assertThat(kit().client().tryAcquire("kit/rw-share", LockOptions.write())).isPresent();
    }

    @Test
    default void aWriterWaitsForEveryReaderToLeave() throws Exception {
        String name = "kit/rw-writer-waits";
        LockLease r1 = kit().client().acquire(name, LockKit.steady(LockOptions.read()));
        LockLease r2 = kit().client().acquire(name, LockKit.steady(LockOptions.read()));
        CompletableFuture<LockLease> writer = kit().client().acquireAsync(name, LockKit.steady(LockOptions.write()));
        kit().awaitWaiters(name, 1);

        r1.close();
        assertThat(writer).isNotDone();
        r2.close();
        LockLease granted = kit().await(writer);
        assertThat(kit().client().tryAcquire(name, LockOptions.read())).isEmpty();
        granted.close();
    }

    @Test
    default void aWaitingWriterHoldsBackReadersThatArriveAfterIt() throws Exception {
        String name = "kit/rw-no-starvation";
        LockLease reader = kit().client().acquire(name, LockKit.steady(LockOptions.read()));
        CompletableFuture<LockLease> writer = kit().client().acquireAsync(name, LockKit.steady(LockOptions.write()));
        kit().awaitWaiters(name, 1);

        assertThat(kit().client().tryAcquire(name, LockOptions.read())).as("late reader overtaking a writer").isEmpty();
        CompletableFuture<LockLease> lateReader = kit().client().acquireAsync(name, LockKit.steady(LockOptions.read()));
        kit().awaitWaiters(name, 2);

        reader.close();
        LockLease writing = kit().await(writer);
        assertThat(lateReader).isNotDone();
        writing.close();
        kit().await(lateReader).close();
    }

    @Test
    default void readersQueuedBehindAWriterAreGrantedTogetherWhenItLeaves() throws Exception {
        String name = "kit/rw-batch";
        LockLease writer = kit().client().acquire(name, LockKit.steady(LockOptions.write()));
        List<CompletableFuture<LockLease>> readers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            readers.add(kit().client().acquireAsync(name, LockKit.steady(LockOptions.read())));
            kit().awaitWaiters(name, i + 1);
        }

        writer.close();

        for (CompletableFuture<LockLease> reader : readers) {
            assertThat(kit().await(reader).fencingToken()).isGreaterThan(writer.fencingToken());
        }
        assertThat(kit().describe(name).holders()).hasSize(3);
    }

    @Test
    default void aWriterIsAloneUnderConcurrency() throws Exception {
        String name = "kit/rw-load";
        int threads = 6;
        List<LockClient> clients = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            clients.add(kit().client());
        }
        AtomicInteger readers = new AtomicInteger();
        AtomicInteger writers = new AtomicInteger();
        kit().runConcurrently(threads, Duration.ofSeconds(60), index -> {
            RandomSource random = RandomSource.seeded(index);
            for (int round = 0; round < 80; round++) {
                boolean write = random.nextLong(4) == 0;
                LockOptions options = LockKit.steady(write ? LockOptions.write() : LockOptions.read());
                try (LockLease lease = clients.get(index).acquire(name, options)) {
                    assertThat(lease.mode()).isEqualTo(options.mode());
                    if (write) {
                        assertThat(writers.incrementAndGet()).as("writers with a writer inside").isEqualTo(1);
                        assertThat(readers.get()).as("readers with a writer inside").isZero();
                        writers.decrementAndGet();
                    } else {
                        readers.incrementAndGet();
                        assertThat(writers.get()).as("writers with a reader inside").isZero();
                        readers.decrementAndGet();
                    }
                }
            }
        });
        assertThat(kit().describe(name).isIdle()).isTrue();
    }

    @Test
    default void usingANameInUseAsAnotherKindIsRefusedAndLeavesNothing() throws Exception {
        String name = "kit/kind-conflict";
        LockLease exclusive = kit().client().acquire(name, LockKit.steady(LockOptions.exclusive()));
        LockClient other = kit().client();

        assertThatThrownBy(() -> other.tryAcquire(name, LockOptions.read()))
                .isInstanceOf(LockModeConflictException.class).hasMessageContaining(name).hasMessageContaining("EXCLUSIVE");
        assertThat(other.acquireAsync(name, LockKit.steady(LockOptions.write())))
                .failsWithin(LockKit.DEADLINE).withThrowableOfType(ExecutionException.class)
                .havingCause().isInstanceOf(LockModeConflictException.class);
        assertThat(kit().describe(name).holders()).hasSize(1);
        assertThat(kit().describe(name).waiting()).isZero();

        exclusive.close();
        // Idle again: the name may now be used as another kind.
        assertThat(other.tryAcquire(name, LockOptions.read())).isPresent();
    }
}
