package io.bulwark.server.replication;

/**
 * When a {@link ReplicaHost} snapshots its groups' state machines so that the shared log can be compacted,
 * validated when constructed. Immutable.
 *
 * <p>A group snapshots when either per-group threshold is reached (0 turns a threshold off). The byte threshold
 * grows to the size of the group's last snapshot, so that a large state is not rewritten for every few
 * megabytes of commands: snapshots then write at most as many bytes as the commands they compact. The node-wide
 * {@code maxLogBytes} then bounds the log for groups that reach neither: when the log's segments add up to
 * more than it, the groups that keep the oldest segment alive snapshot (or re-checkpoint) early, so one
 * quiet partition cannot pin the log of a busy node.
 *
 * @param everySlots        a group snapshots once this many log slots were applied since its last snapshot
 * @param everyBytes        ... or once its applied commands add up to this many bytes since then (or, if larger,
 *                          the size of its last snapshot)
 * @param maxLogBytes       node-wide bound on the shared log's segments (approximate: segment count times the
 *                          segment size); 0 for none
 * @param chunkBytes        size of the chunks a leader sends a snapshot in, 4 KiB to 8 MiB (it must fit in a
 *                          transport frame, and it delays other groups' messages to that peer while it is sent)
 */
public record SnapshotPolicy(long everySlots, long everyBytes, long maxLogBytes, int chunkBytes) {

    /** Default: every 10,000 slots. */
    public static final long DEFAULT_EVERY_SLOTS = 10_000;
    /**
     * Default: every 1 MiB of applied commands. Each group keeps about two intervals of log, so a node with 16
     * partitions keeps some 32-48 MiB of log, which a restart reads in well under a second.
     */
    public static final long DEFAULT_EVERY_BYTES = 1L << 20;
    /** Default node-wide log bound: 256 MiB. */
    public static final long DEFAULT_MAX_LOG_BYTES = 256L << 20;
    /** Default chunk: 256 KiB. */
    public static final int DEFAULT_CHUNK_BYTES = 256 << 10;

    /** Validates every field; see the components for the allowed values. */
    public SnapshotPolicy {
        if (everySlots < 0 || everyBytes < 0 || maxLogBytes < 0) {
            throw new IllegalArgumentException("everySlots, everyBytes and maxLogBytes must not be negative (0 turns"
                    + " one off), were " + everySlots + ", " + everyBytes + ", " + maxLogBytes);
        }
        if (chunkBytes < 4 << 10 || chunkBytes > 8 << 20) {
            throw new IllegalArgumentException("chunkBytes must be in [4096, 8388608], was " + chunkBytes);
        }
    }

    /** Every 10,000 slots or 1 MiB of commands per group, the log bounded near 256 MiB, 256 KiB chunks. */
    public static SnapshotPolicy defaults() {
        return new SnapshotPolicy(DEFAULT_EVERY_SLOTS, DEFAULT_EVERY_BYTES, DEFAULT_MAX_LOG_BYTES, DEFAULT_CHUNK_BYTES);
    }

    /**
     * No snapshots of this node's own: its log grows with the writes and a restart replays all of it. It still
     * installs snapshots a leader sends.
     */
    public static SnapshotPolicy never() {
        return new SnapshotPolicy(0, 0, 0, DEFAULT_CHUNK_BYTES);
    }

    /** A copy that snapshots every {@code slots} slots. */
    public SnapshotPolicy withEverySlots(long slots) {
        return new SnapshotPolicy(slots, everyBytes, maxLogBytes, chunkBytes);
    }

    /** A copy that snapshots every {@code bytes} bytes of applied commands. */
    public SnapshotPolicy withEveryBytes(long bytes) {
        return new SnapshotPolicy(everySlots, bytes, maxLogBytes, chunkBytes);
    }

    /** A copy with another node-wide log bound. */
    public SnapshotPolicy withMaxLogBytes(long bytes) {
        return new SnapshotPolicy(everySlots, everyBytes, bytes, chunkBytes);
    }

    /** A copy sending snapshots in chunks of {@code bytes}. */
    public SnapshotPolicy withChunkBytes(int bytes) {
        return new SnapshotPolicy(everySlots, everyBytes, maxLogBytes, bytes);
    }

    /** True if this node takes snapshots of its own. */
    public boolean enabled() {
        return everySlots > 0 || everyBytes > 0 || maxLogBytes > 0;
    }
}
