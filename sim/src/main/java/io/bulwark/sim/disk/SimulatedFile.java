package io.bulwark.sim.disk;

import java.util.Arrays;

/**
 * One simulated file (an inode: handles keep pointing at it across renames and deletes).
 *
 * <p>Representation: {@code data[0, length)} is the visible content. The durable content is
 * {@code data[0, sharedLength) + durableSuffix}: bytes below {@code sharedLength} have not changed since
 * the last sync, and {@code durableSuffix} holds the durable bytes that a truncation (or an fsync that
 * lied) made differ from the visible ones. Without truncation, {@code durableSuffix} is empty and
 * {@code sharedLength} is the durable length, so a sync costs nothing proportional to the file size.
 * Not thread-safe.
 */
final class SimulatedFile {

    private static final byte[] EMPTY = new byte[0];

    byte[] data;
    int length;
    int sharedLength;
    byte[] durableSuffix = EMPTY;
    /** Whether the directory entry survives a crash: after the first sync, or an atomic write or rename. */
    boolean existenceDurable;
    /** Set by a failed sync: [lostFrom, lostTo) never reached the disk, whatever a later sync says. */
    boolean poisoned;
    int lostFrom;
    int lostTo;

    SimulatedFile(byte[] content, boolean durable) {
        this.data = content.clone();
        this.length = content.length;
        if (durable) {
            this.sharedLength = length;
            this.existenceDurable = true;
        }
    }

    SimulatedFile copy() {
        SimulatedFile c = new SimulatedFile(EMPTY, false);
        c.data = Arrays.copyOf(data, length);
        c.length = length;
        c.sharedLength = sharedLength;
        c.durableSuffix = durableSuffix.clone();
        c.existenceDurable = existenceDurable;
        c.poisoned = poisoned;
        c.lostFrom = lostFrom;
        c.lostTo = lostTo;
        return c;
    }

    int durableLength() {
        return sharedLength + durableSuffix.length;
    }

    byte[] visibleContent() {
        return Arrays.copyOf(data, length);
    }

    byte[] durableContent() {
        byte[] out = Arrays.copyOf(data, durableLength());
        System.arraycopy(durableSuffix, 0, out, sharedLength, durableSuffix.length);
        return out;
    }

    boolean hasUnsyncedChanges() {
        return sharedLength != length || durableSuffix.length != 0;
    }

    void append(byte[] src, int offset, int count) {
        if (length + count > data.length) {
            data = Arrays.copyOf(data, Math.max(length + count, Math.max(16, data.length * 2)));
        }
        System.arraycopy(src, offset, data, length, count);
        length += count;
    }

    void truncate(int size) {
        if (size < sharedLength) {
            // The durable bytes [size, sharedLength) are about to stop being visible: keep them aside.
            byte[] suffix = new byte[sharedLength - size + durableSuffix.length];
            System.arraycopy(data, size, suffix, 0, sharedLength - size);
            System.arraycopy(durableSuffix, 0, suffix, sharedLength - size, durableSuffix.length);
            durableSuffix = suffix;
            sharedLength = size;
        }
        length = size;
    }

    /** A successful fsync: durable becomes visible, except what an earlier failed fsync lost. */
    void sync() {
        existenceDurable = true;
        if (poisoned && lostFrom < length) {
            // Linux reported the writeback error once and marked the pages clean; this "successful" fsync
            // does not rewrite them, so the disk holds zeros there (a file hole), not the visible bytes.
            int to = Math.min(lostTo, length);
            byte[] suffix = new byte[length - lostFrom];
            System.arraycopy(data, to, suffix, to - lostFrom, length - to);
            durableSuffix = suffix;
            sharedLength = lostFrom;
        } else {
            durableSuffix = EMPTY;
            sharedLength = length;
        }
        poisoned = false;
    }

    /** A failed fsync: nothing becomes durable and the pending bytes are lost for good. */
    void failSync() {
        if (poisoned) {
            lostFrom = Math.min(lostFrom, sharedLength);
            lostTo = Math.max(lostTo, length);
        } else {
            poisoned = true;
            lostFrom = sharedLength;
            lostTo = length;
        }
    }

    /** Replaces both visible and durable content, as after a crash. */
    void resetTo(byte[] content) {
        data = content;
        length = content.length;
        sharedLength = length;
        durableSuffix = EMPTY;
        existenceDurable = true;
        poisoned = false;
    }

    void flipDurableBit(long bitIndex) {
        int byteIndex = (int) (bitIndex / 8);
        byte mask = (byte) (1 << (bitIndex % 8));
        if (byteIndex < sharedLength) {
            data[byteIndex] ^= mask; // shared: visible too, as a flip on the platter shows in the next read
        } else {
            durableSuffix[byteIndex - sharedLength] ^= mask;
        }
    }
}
