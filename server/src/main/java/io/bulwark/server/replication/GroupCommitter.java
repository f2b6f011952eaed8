package io.bulwark.server.replication;

import io.bulwark.paxos.Ready;
import io.bulwark.paxos.storage.SharedLog;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The sync thread of a {@link ReplicaHost}: the only thread that touches the node's {@link SharedLog} once
 * the host has started.
 *
 * <p>Why the writes happen here and not on the event loop: the log is single-threaded, so a write on the loop
 * racing an fsync here would corrupt its bookkeeping. Instead the loop hands over, whenever this thread is
 * idle, every Ready any group produced since the last hand-over; this thread writes them in order and issues
 * one fsync for all of them (group commit, across every partition group of the node). While that fsync runs
 * the loop keeps taking inputs and stages the next batch, which is exactly the set of Readies one fsync can
 * cover. Each batch's end is reported through the completion callback, which the host posts to its loop.
 *
 * <p>Thread-safety: {@link #commit}, {@link #markIdle} and {@link #close} are called by the host's loop
 * thread; batches run one at a time in submission order. An I/O or other failure of a batch is reported,
 * never retried; the host then stops.
 */
final class GroupCommitter {

    private static final System.Logger LOG = System.getLogger(GroupCommitter.class.getName());

    /** One Ready of one group, or one checkpoint of it (exactly one of the two is set), in hand-over order. */
    record Staged(SharedLog.Group group, Ready ready, Checkpoint checkpoint) {
        Staged(SharedLog.Group group, Ready ready) {
            this(group, ready, null);
        }

        Staged(SharedLog.Group group, Checkpoint checkpoint) {
            this(group, null, checkpoint);
        }
    }

    /** What {@link SharedLog.Group#writeCheckpoint} writes, captured on the loop when the snapshot was durable. */
    record Checkpoint(long snapshotIndex, io.bulwark.paxos.Ballot promised, List<io.bulwark.paxos.Entry> live,
                      long chosenIndex) {
    }

    /**
     * How one hand-over ended.
     *
     * @param lastReadyIds    id of the last Ready written, per group (empty for a sync-marker task)
     * @param readies         Readies written
     * @param synced          whether an fsync covered them
     * @param nanos           time the batch took on this thread
     * @param failure         null on success; otherwise the log is unusable
     * @param checkpointed    groups whose checkpoint this batch wrote and synced
     * @param segmentsDeleted log segments deleted after the sync
     * @param holdingOldest   groups keeping the oldest segment alive, when the log has segments besides the one
     *                        being written and the one before it (else empty)
     * @param aboveBound      whether the log is above its bound ({@code maxSegments})
     */
    record Completion(Map<Integer, Long> lastReadyIds, int readies, boolean synced, long nanos, Throwable failure,
                      java.util.Set<Integer> checkpointed, int segmentsDeleted, java.util.Set<Integer> holdingOldest,
                      boolean aboveBound) {
        Completion(Map<Integer, Long> lastReadyIds, int readies, boolean synced, long nanos, Throwable failure) {
            this(lastReadyIds, readies, synced, nanos, failure, java.util.Set.of(), 0, java.util.Set.of(), false);
        }
    }

    private final SharedLog log;
    private final Consumer<Completion> onDone;
    private final ExecutorService thread;
    /** Segments above which the log counts as too large (0: no bound). */
    private final long maxSegments;

    GroupCommitter(SharedLog log, String threadName, long maxSegments, Consumer<Completion> onDone) {
        this.log = log;
        this.maxSegments = maxSegments;
        this.onDone = onDone;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Writes {@code batch} in order and, if {@code sync}, makes it durable with one fsync; then deletes the log
     * segments that checkpoints made redundant (a failed deletion is logged, not fatal: it is retried later).
     */
    void commit(List<Staged> batch, boolean sync) {
        submit(() -> {
            long start = System.nanoTime();
            Map<Integer, Long> last = new TreeMap<>();
            java.util.Set<Integer> checkpointed = new java.util.TreeSet<>();
            int readies = 0;
            for (Staged s : batch) {
                if (s.ready() != null) {
                    last.put(s.group().id(), s.ready().id());
                    readies++;
                } else {
                    checkpointed.add(s.group().id());
                }
            }
            try {
                for (Staged s : batch) {
                    if (s.ready() != null) {
                        s.group().write(s.ready());
                    } else {
                        Checkpoint c = s.checkpoint();
                        s.group().writeCheckpoint(c.snapshotIndex(), c.promised(), c.live(), c.chosenIndex());
                    }
                }
                if (sync) {
                    log.sync();
                }
            } catch (IOException | RuntimeException e) {
                onDone.accept(new Completion(last, readies, sync, System.nanoTime() - start, e));
                return;
            }
            int deleted = 0;
            java.util.Set<Integer> holding = java.util.Set.of();
            boolean aboveBound = false;
            if (sync) {
                try {
                    deleted = log.deleteCompactedSegments();
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "deleting compacted log segments failed (retried after the "
                            + "next group commit): " + e.getMessage());
                }
                int segments = log.segmentNames().size();
                if (segments > 2) {
                    // The host checkpoints these early if the log is above its bound, or if they are cheap to
                    // checkpoint (a small state: a quiet group, the metadata group, would otherwise keep every
                    // segment written since its last write until the bound is reached).
                    holding = log.groupsHoldingOldestSegment();
                    aboveBound = maxSegments > 0 && segments > maxSegments;
                }
            }
            onDone.accept(new Completion(last, readies, sync, System.nanoTime() - start, null,
                    sync ? checkpointed : java.util.Set.of(), deleted, holding, aboveBound));
        });
    }

    /**
     * Opens a view of a group on the sync thread (a new group's creation record is appended and synced), in
     * order with the batches before it.
     */
    java.util.concurrent.CompletableFuture<SharedLog.Group> openGroup(int group, long incarnation,
                                                                     io.bulwark.paxos.Membership initial) {
        java.util.concurrent.CompletableFuture<SharedLog.Group> f = new java.util.concurrent.CompletableFuture<>();
        submit(() -> {
            try {
                SharedLog.Group g = log.group(group, incarnation, initial);
                log.sync();
                f.complete(g);
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /** Records a group's removal and syncs it, in order with the batches before it. */
    java.util.concurrent.CompletableFuture<Void> removeGroup(int group) {
        java.util.concurrent.CompletableFuture<Void> f = new java.util.concurrent.CompletableFuture<>();
        submit(() -> {
            try {
                log.removeGroup(group);
                log.sync();
                f.complete(null);
            } catch (IOException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    /**
     * Writes a sync marker after the last synced record, so that recovery can tell a damaged synced record
     * from a torn unsynced tail. Costs up to two fsyncs; the host calls it only when the log is idle.
     */
    void markIdle() {
        submit(() -> {
            long start = System.nanoTime();
            try {
                log.markIdle();
            } catch (IOException | RuntimeException e) {
                onDone.accept(new Completion(Map.of(), 0, false, System.nanoTime() - start, e));
                return;
            }
            onDone.accept(new Completion(Map.of(), 0, false, System.nanoTime() - start, null));
        });
    }

    /**
     * Lets every submitted batch finish, closes the log (which flushes buffered, unsynced bytes to the file
     * but makes nothing durable), and stops the thread, waiting at most {@code timeout}.
     */
    void close(Duration timeout) {
        try {
            submit(() -> {
                try {
                    log.close();
                } catch (IOException e) {
                    LOG.log(System.Logger.Level.WARNING, "closing the shared log failed: " + e.getMessage());
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
}
