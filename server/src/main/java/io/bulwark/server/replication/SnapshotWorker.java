package io.bulwark.server.replication;

import io.bulwark.paxos.Codec;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Message;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.SnapshotMeta;
import io.bulwark.paxos.log.CorruptSnapshotException;
import io.bulwark.paxos.log.SnapshotReceiver;
import io.bulwark.paxos.log.SnapshotSource;
import io.bulwark.paxos.log.StoredSnapshot;
import io.bulwark.paxos.storage.SharedLog;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The snapshot thread of a {@link ReplicaHost}: the only thread that touches the groups' snapshot files once
 * the host has started. It saves the images the event loop took (encode, CRC, write, fsync, rename, directory
 * fsync), reads and sends the chunks of a snapshot a leader ships to a lagging peer, and writes, verifies and
 * installs the chunks a follower receives.
 *
 * <p>Why a thread of its own: saving a large snapshot costs a write and an fsync of the whole state, which on
 * the event loop would stall every group's heartbeats, and on the sync thread every group's commits.
 *
 * <p>Thread-safety: tasks are submitted by the loop and run one at a time in submission order; results go
 * back to the loop through the callbacks. A failed save or a failed chunk write is reported, never retried
 * (the host then stops, as for a failed log write).
 */
final class SnapshotWorker {

    private static final System.Logger LOG = System.getLogger(SnapshotWorker.class.getName());

    /** A save ended: {@code meta} on success, else {@code failure}. */
    record Saved(int group, SharedLog.Group view, SnapshotMeta meta, long stateBytes, Throwable failure) {
    }

    /**
     * A received chunk was handled: the receiver now holds {@code receivedBytes} (0 after a corrupt transfer,
     * which starts over), and {@code completed} is the verified, durably installed snapshot once it is whole.
     */
    record Received(int group, SharedLog.Group view, Message.InstallSnapshot chunk, long receivedBytes,
                    StoredSnapshot completed, SnapshotMeta completedMeta, Throwable failure) {
    }

    private final int nodeId;
    private final PeerTransport transport;
    private final int chunkBytes;
    private final ExecutorService thread;
    /** Transfers in progress, per group view (a removed and re-added group is another view). Worker thread only. */
    private final Map<SharedLog.Group, SnapshotReceiver> receiving = new IdentityHashMap<>();

    SnapshotWorker(int nodeId, PeerTransport transport, int chunkBytes, String threadName) {
        this.nodeId = nodeId;
        this.transport = transport;
        this.chunkBytes = chunkBytes;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /** Saves {@code image}, the state applied through {@code index}, as the group's snapshot. */
    void save(int group, SharedLog.Group view, long index, Membership membership, byte[] image, Consumer<Saved> done) {
        submit(() -> {
            try {
                view.snapshots().save(index, Codec.encode(membership), image);
                try (SnapshotSource source = view.snapshots().openSource(index)) {
                    done.accept(new Saved(group, view, new SnapshotMeta(index, source.sizeBytes(), source.crc32c(),
                            membership), image.length, null));
                }
            } catch (IOException | RuntimeException e) {
                done.accept(new Saved(group, view, null, image.length, e));
            }
        });
    }

    /** Sends one chunk of a saved snapshot, as the leader's replica asked. */
    void send(int group, SharedLog.Group view, Ready.SnapshotSend send) {
        submit(() -> {
            try (SnapshotSource source = view.snapshots().openSource(send.snapshot().index())) {
                long remaining = source.sizeBytes() - send.offset();
                if (remaining <= 0) {
                    return;
                }
                byte[] chunk = new byte[(int) Math.min(chunkBytes, remaining)];
                if (source.read(send.offset(), chunk, 0, chunk.length) != chunk.length) {
                    return; // the file changed under us: the next attempt starts over
                }
                transport.send(group, new Message.InstallSnapshot(nodeId, send.to(), send.ballot(), source.index(),
                        source.sizeBytes(), source.crc32c(), send.offset(), chunk));
            } catch (NoSuchFileException e) {
                // Superseded by a newer snapshot, which the leader's replica ships on its next attempt.
            } catch (IOException | RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + " group " + group + ": reading snapshot "
                        + send.snapshot().index() + " to send failed: " + e.getMessage());
            }
        });
    }

    /** Writes one received chunk; verifies and installs the snapshot durably when it is complete. */
    void receive(int group, SharedLog.Group view, Message.InstallSnapshot chunk, Consumer<Received> done) {
        submit(() -> {
            SnapshotReceiver r = receiving.get(view);
            try {
                if (r == null || r.index() != chunk.index() || r.totalBytes() != chunk.totalBytes()) {
                    if (r != null) {
                        r.abort();
                    }
                    r = view.snapshots().beginReceive(chunk.index(), chunk.totalBytes(), chunk.crc32c());
                    receiving.put(view, r);
                }
                if (chunk.offset() == r.receivedBytes()) {
                    r.write(chunk.offset(), chunk.chunk());
                }
                long received = r.receivedBytes();
                if (received < chunk.totalBytes()) {
                    done.accept(new Received(group, view, chunk, received, null, null, null));
                    return;
                }
                receiving.remove(view);
                StoredSnapshot stored = r.finish();
                SnapshotMeta meta = new SnapshotMeta(stored.index(), chunk.totalBytes(), chunk.crc32c(),
                        Codec.decodeMembership(stored.metadata()));
                done.accept(new Received(group, view, chunk, received, stored, meta, null));
            } catch (CorruptSnapshotException e) {
                // The assembled snapshot (or its header) failed verification: the sender starts over from byte 0.
                receiving.remove(view);
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + " group " + group + ": received snapshot "
                        + chunk.index() + " failed verification, transfer restarts: " + e.reason());
                done.accept(new Received(group, view, chunk, 0, null, null, null));
            } catch (IllegalArgumentException e) {
                // An index older than a snapshot saved here meanwhile, or a chunk that does not fit: start over.
                receiving.remove(view);
                done.accept(new Received(group, view, chunk, 0, null, null, null));
            } catch (IOException | RuntimeException e) {
                receiving.remove(view);
                done.accept(new Received(group, view, chunk, 0, null, null, e));
            }
        });
    }

    /** Deletes a removed group's snapshot files (and any transfer in progress). */
    void discard(int group, SharedLog.Group view) {
        submit(() -> {
            try {
                SnapshotReceiver r = receiving.remove(view);
                if (r != null) {
                    r.abort();
                }
                view.discardSnapshots();
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": deleting the snapshots of removed group "
                        + group + " failed (deleted at the next start): " + e.getMessage());
            }
        });
    }

    /** Lets submitted tasks finish (keeping partial transfers for a resume) and stops, waiting at most {@code timeout}. */
    void close(Duration timeout) {
        try {
            submit(() -> {
                for (SnapshotReceiver r : receiving.values()) {
                    try {
                        r.close();
                    } catch (IOException e) {
                        LOG.log(System.Logger.Level.WARNING, "closing a snapshot transfer failed: " + e.getMessage());
                    }
                }
                receiving.clear();
            });
        } catch (RejectedExecutionException e) {
            // Already shut down.
        }
        thread.shutdown();
        try {
            if (!thread.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "snapshot thread still busy " + timeout.toMillis()
                        + " ms after close; a snapshot write may be hanging on the disk");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void submit(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException e) {
            // Stopping: a task that arrives after close is dropped, as the loop that would take its result is.
        }
    }
}
