package io.bulwark.ring;

import java.util.Arrays;

/**
 * The sorted points of a {@link HashRing} and its slot table.
 *
 * <p>The 2<sup>32</sup> positions are cut into 2<sup>bits</sup> slots (the ring's {@code slotBits}
 * setting). {@code index[s]} is the first point at or after the start of slot {@code s}
 * ({@code index[2^bits]} is the point count), which is also the owner point of every key in the slot:
 * placement quantizes keys to slot starts. A point is one int: the low {@code 32 - bits} bits of its
 * position (at most 16) above its owner's 16-bit slot number.
 *
 * <p>Why this shape: at a thousand nodes the points no longer fit in the CPU caches, so a lookup costs
 * what its dependent memory accesses and instructions cost. Here it is two loads (the slot's index
 * entry, then the point holding the owner), no loop and no branch, so consecutive lookups overlap
 * their cache misses. A point costs 4 bytes and a slot 4, so a change, which must copy the arrays
 * (snapshots are immutable), moves as little memory as the lookup path allows.
 *
 * <p>Immutable; every method that changes the points returns a new instance.
 */
final class RingPoints {

    private static final int OWNER_MASK = 0xFFFF;

    /** {@code low << 16 | ownerSlot} per point, in ring order. */
    private final int[] packed;
    final int[] index;
    final int bits;
    private final int size;
    private final int lowBits;
    private final int lowMask;
    private final int shift;

    private RingPoints(int[] packed, int[] index, int bits) {
        this.packed = packed;
        this.size = packed.length;
        this.index = index;
        this.bits = bits;
        this.lowBits = 32 - bits;
        this.lowMask = (int) ((1L << lowBits) - 1);
        this.shift = 64 - bits;
    }

    /** Builds from unsigned positions sorted in unsigned order, with their owner slots. */
    static RingPoints fromSorted(int[] positions, char[] owners, int bits) {
        int lowBits = 32 - bits;
        int lowMask = (int) ((1L << lowBits) - 1);
        int[] packed = new int[positions.length];
        int[] index = new int[(1 << bits) + 1];
        int i = 0;
        for (int b = 0; b < 1 << bits; b++) {
            index[b] = i;
            while (i < positions.length && positions[i] >>> lowBits == b) {
                packed[i] = (positions[i] & lowMask) << 16 | owners[i];
                i++;
            }
        }
        index[1 << bits] = i;
        return new RingPoints(packed, index, bits);
    }

    int size() {
        return size;
    }

    /** The owner slot of point {@code i}. */
    int owner(int i) {
        return packed[i] & OWNER_MASK;
    }

    /** Number of slots. */
    int slots() {
        return 1 << bits;
    }

    /** The point that owns every key of slot {@code s}. */
    int pointOfSlot(int s) {
        int i = index[s];
        return i < size ? i : 0;
    }

    /** The unsigned position of every point, in order (allocates a new array). */
    int[] positions() {
        int[] out = new int[size];
        for (int b = 0; b < index.length - 1; b++) {
            for (int i = index[b]; i < index[b + 1]; i++) {
                out[i] = b << lowBits | packed[i] >>> 16;
            }
        }
        return out;
    }

    /** The point that owns a key: the first point at or after its slot's start, wrapping. */
    int find(long keyHash) {
        int i = index[(int) (keyHash >>> shift)];
        return i < size ? i : 0;
    }

    /** The owner slot of the point that owns a key. */
    int ownerOf(long keyHash) {
        return packed[find(keyHash)] & OWNER_MASK;
    }

    /**
     * These points plus {@code added} (unsigned positions, sorted unsigned) owned by {@code slot}; at equal
     * positions points are ordered by {@code rank} of their owner.
     */
    RingPoints insert(int[] added, int slot, int[] rank) {
        int n = size;
        int total = n + added.length;
        int[] out = new int[total];
        int i = 0;
        int k = 0;
        int myRank = rank[slot];
        for (int a : added) {
            int b = a >>> lowBits;
            int l = a & lowMask;
            int end = lowerBound(packed, Math.max(i, index[b]), index[b + 1], l);
            while (end < index[b + 1] && packed[end] >>> 16 == l && rank[packed[end] & OWNER_MASK] < myRank) {
                end++;
            }
            System.arraycopy(packed, i, out, k, end - i);
            k += end - i;
            i = end;
            out[k++] = l << 16 | slot;
        }
        System.arraycopy(packed, i, out, k, n - i);
        return new RingPoints(out, patchIndex(added, +1), bits);
    }

    /** These points without {@code gone} (unsigned positions, sorted unsigned), which {@code slot} owns. */
    RingPoints remove(int[] gone, int slot) {
        int n = size;
        int total = n - gone.length;
        int[] out = new int[total];
        int i = 0;
        int k = 0;
        for (int g : gone) {
            int b = g >>> lowBits;
            int at = lowerBound(packed, Math.max(i, index[b]), index[b + 1], g & lowMask);
            while ((packed[at] & OWNER_MASK) != slot) {
                // Another node's point at the same position: the one to remove is further in the tie.
                at++;
            }
            System.arraycopy(packed, i, out, k, at - i);
            k += at - i;
            i = at + 1;
        }
        System.arraycopy(packed, i, out, k, n - i);
        return new RingPoints(out, patchIndex(gone, -1), bits);
    }

    /** The index after inserting (+1) or removing (-1) the sorted positions {@code changed}. */
    private int[] patchIndex(int[] changed, int sign) {
        int[] patched = new int[index.length];
        int c = 0;
        for (int b = 0; b < index.length; b++) {
            while (c < changed.length && changed[c] >>> lowBits < b) {
                c++;
            }
            patched[b] = index[b] + sign * c;
        }
        patched[index.length - 1] = index[index.length - 1] + sign * changed.length;
        return patched;
    }

    /** First index in {@code [from, to)} whose low part is at least {@code key}. */
    private static int lowerBound(int[] a, int from, int to, int key) {
        int lo = from;
        int hi = to;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] >>> 16 < key) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** Sorts unsigned positions in unsigned order, in place. */
    static void sortUnsigned(int[] positions) {
        for (int i = 0; i < positions.length; i++) {
            positions[i] ^= Integer.MIN_VALUE;
        }
        Arrays.sort(positions);
        for (int i = 0; i < positions.length; i++) {
            positions[i] ^= Integer.MIN_VALUE;
        }
    }

    long memoryBytes() {
        return 64 + 4L * packed.length + 4L * index.length;
    }
}
