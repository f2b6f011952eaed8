package io.bulwark.ring;

import java.util.Arrays;

/**
 * The sorted points of a {@link HashRing}, compressed for fast lookups and cheap changes.
 *
 * <p>The 2<sup>32</sup> positions are cut into 2<sup>bits</sup> buckets ({@code bits} is 16 to 30,
 * chosen so that a bucket holds 2 to 4 points on average). {@code index[b]} is the first point of
 * bucket {@code b} ({@code index[2^bits]} is the point count). A point is one int: the low
 * {@code 32 - bits} bits of its position (at most 16) above its owner's 16-bit slot.
 *
 * <p>Why this shape: at a thousand nodes the points no longer fit in the CPU caches, so a lookup costs
 * what its dependent memory accesses cost. Here that is two (the index entry, then one cache line holding
 * both the positions and the owners of the bucket's points), and the bucket is scanned without branches,
 * so consecutive lookups overlap their cache misses. A point costs about 5 bytes, so a change, which
 * must copy the arrays (snapshots are immutable), moves as little memory as possible.
 *
 * <p>Immutable; every method that changes the points returns a new instance.
 */
final class RingPoints {

    static final int MIN_BITS = 16;
    static final int MAX_BITS = 30;
    /** Points compared branch-free per lookup; a bucket holds at most this many about 98% of the time. */
    static final int SCAN = 8;
    private static final int OWNER_MASK = 0xFFFF;

    /** {@code low << 16 | ownerSlot} per point, in ring order, followed by {@link #SCAN} padding entries. */
    private final int[] packed;
    final int[] index;
    final int bits;
    private final int size;
    private final int lowBits;
    private final int lowMask;
    private final int shift;

    private RingPoints(int[] packed, int size, int[] index, int bits) {
        this.packed = packed;
        this.size = size;
        this.index = index;
        this.bits = bits;
        this.lowBits = 32 - bits;
        this.lowMask = (int) ((1L << lowBits) - 1);
        this.shift = 64 - bits;
    }

    /** About 2 to 4 points per bucket, but at least {@value #MIN_BITS} bits so low parts fit in 16 bits. */
    static int bitsFor(int points) {
        int bits = 32 - Integer.numberOfLeadingZeros(Math.max(points - 1, 1)) - 2;
        return Math.max(MIN_BITS, Math.min(bits, MAX_BITS));
    }

    /** Compresses points given as unsigned positions sorted in unsigned order, with their owner slots. */
    static RingPoints fromSorted(int[] positions, char[] owners) {
        int bits = bitsFor(positions.length);
        int lowBits = 32 - bits;
        int lowMask = (int) ((1L << lowBits) - 1);
        int[] packed = new int[positions.length + SCAN];
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
        return new RingPoints(packed, positions.length, index, bits);
    }

    int size() {
        return size;
    }

    /** The owner slot of point {@code i}. */
    int owner(int i) {
        return packed[i] & OWNER_MASK;
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

    /** The owner slots of every point, in order (allocates a new array). */
    char[] owners() {
        char[] out = new char[size];
        for (int i = 0; i < size; i++) {
            out[i] = (char) (packed[i] & OWNER_MASK);
        }
        return out;
    }

    /** The point that owns a key: the first point at or after the key's position, wrapping. */
    int find(long keyHash) {
        int b = (int) (keyHash >>> shift);
        int keyLow = (int) (keyHash >>> 32) & lowMask;
        int[] p = packed;
        int i = index[b];
        int end = index[b + 1];
        if (end - i <= SCAN) {
            // Count the bucket's points below the key without branches: no mispredicted loop exit, so
            // the CPU can overlap the cache misses of consecutive lookups. packed has SCAN entries of padding.
            int c = 0;
            for (int j = 0; j < SCAN; j++) {
                c += ((p[i + j] >>> 16) - keyLow >>> 31) & (i + j - end >>> 31);
            }
            i += c;
        } else {
            while (i < end && p[i] >>> 16 < keyLow) {
                i++;
            }
        }
        return i == size ? 0 : i;
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
        int[] out = new int[total + SCAN];
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
        return new RingPoints(out, total, patchIndex(added, +1), bits).relayout();
    }

    /** These points without {@code gone} (unsigned positions, sorted unsigned), which {@code slot} owns. */
    RingPoints remove(int[] gone, int slot) {
        int n = size;
        int total = n - gone.length;
        int[] out = new int[total + SCAN];
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
        return new RingPoints(out, total, patchIndex(gone, -1), bits).relayout();
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

    /** This layout, or the same points re-bucketed if the point count now calls for other bits. */
    private RingPoints relayout() {
        if (bitsFor(size) == bits) {
            return this;
        }
        return fromSorted(positions(), owners());
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
