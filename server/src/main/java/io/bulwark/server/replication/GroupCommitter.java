package io.bulwark.server.replication;

import io.bulwark.paxos.Ready;
import io.bulwark.paxos.storage.ReplicaStorage;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The sync thread of one {@link ReplicaDriver}: the only thread that touches the replica's
 * {@link ReplicaStorage} once the driver has started.
 *
 * <p>Why the writes happen here and not on the event loop: {@code ReplicaStorage} and the log under it are
 * single-threaded, so a write on the loop racing an fsync here would corrupt the log's bookkeeping. Instead
 * the loop hands over, whenever this thread is idle, every Ready it produced since the last hand-over; this
 * thread writes them in order and issues one fsync for all of them (group commit). While that fsync runs
 * the loop keeps taking inputs and stages the next batch, which is exactly the set of Readies one fsync
 * can cover. Each batch's end is reported through the completion callback, which the driver posts back to
 * its loop.
 *
 * <p>Thread-safety: {@link #commit}, {@link #markIdle} and {@link #close} are called by the driver's loop
 * thread (or, for the final batch and close, the thread that shuts it down); batches run one at a time in
 * submission order. An I/O or other failure of a batch is reported, never retried; the driver then stops.
 */
final class GroupCommitter {

    private static final System.Logger LOG = System.getLogger(GroupCommitter.class.getName());

    /**
     * How one hand-over ended.
     *
     * @param lastReadyId  id of the last Ready written, or -1 for a sync-marker task
     * @param readies      Readies written
     * @param synced       whether an fsync covered them
     * @param nanos        time the batch took on this thread
     * @param failure      null on success; otherwise the storage is unusable
     */
    record Completion(long lastReadyId, int readies, boolean synced, long nanos, Throwable failure) {
    }

    private final ReplicaStorage storage;
    private final Consumer<Completion> onDone;
    private final ExecutorService thread;

    GroupCommitter(ReplicaStorage storage, String threadName, Consumer<Completion> onDone) {
        this.storage = storage;
        this.onDone = onDone;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Writes {@code batch} in order and, if {@code sync}, makes it durable with one fsync. */
    void commit(List<Ready> batch, boolean sync) {
        submit(() -> {
            long start = System.nanoTime();
            try {
                for (Ready ready : batch) {
                    storage.write(ready);
                }
                if (sync) {
                    storage.sync();
                }
            } catch (IOException | RuntimeException e) {
                onDone.accept(new Completion(lastId(batch), batch.size(), sync, System.nanoTime() - start, e));
                return;
            }
            onDone.accept(new Completion(lastId(batch), batch.size(), sync, System.nanoTime() - start, null));
        });
    }

    /**
     * Writes a sync marker after the last synced record, so that recovery can tell a damaged synced record
     * from a torn unsynced tail. Costs up to two fsyncs; the driver calls it only when the log is idle.
     */
    void markIdle() {
        submit(() -> {
            long start = System.nanoTime();
            try {
                storage.markIdle();
            } catch (IOException | RuntimeException e) {
                onDone.accept(new Completion(-1, 0, false, System.nanoTime() - start, e));
                return;
            }
            onDone.accept(new Completion(-1, 0, false, System.nanoTime() - start, null));
        });
    }

    /**
     * Lets every submitted batch finish, closes the storage (which flushes buffered, unsynced bytes to the
     * file but makes nothing durable), and stops the thread, waiting at most {@code timeout}.
     */
    void close(Duration timeout) {
        try {
            submit(() -> {
                try {
                    storage.close();
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing replica storage failed: " + e.getMessage());
                }
            });
        } catch (RejectedExecutionException e) {
            // Already shut down.
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "sync thread still busy " + timeout.toMillis()
                        + " ms after close; an fsync may be hanging on the disk");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void submit(Runnable task) {
        thread.execute(task);
    }

    private static long lastId(List<Ready> batch) {
        return batch.isEmpty() ? -1 : batch.get(batch.size() - 1).id();
    }
}
