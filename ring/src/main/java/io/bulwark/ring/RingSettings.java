package io.bulwark.ring;

/**
 * The settings of a {@link HashRing} that decide placement; they are part of its fingerprint.
 *
 * @param vnodesPerWeight ring points per unit of weight; a node of weight {@code w} gets
 *                        {@code max(1, round(vnodesPerWeight * w))} points. More points give better
 *                        balance (the spread of shares falls as {@code 1/sqrt(points)}) at the cost of
 *                        memory (4 bytes a point) and change time. Between 1 and {@value #MAX_VNODES}.
 * @param slotBits        the key space is cut into {@code 2^slotBits} slots and every key of a slot has
 *                        the owner of the slot's first position, so a lookup is one table load. More
 *                        slots follow the points more finely (better balance for very large rings) at
 *                        4 bytes a slot. Between {@value #MIN_SLOT_BITS} and {@value #MAX_SLOT_BITS}.
 * @param hasher          the key hasher, whose id is part of the ring's identity
 */
public record RingSettings(int vnodesPerWeight, int slotBits, KeyHasher hasher) {

    /**
     * Default points per unit weight. At 4096 the largest of 100 equal nodes owns about 1.04 times
     * the mean (see docs/BENCHMARKS.md) for 16 KiB of points a node.
     */
    public static final int DEFAULT_VNODES = 4096;
    /** Upper bound on {@link #vnodesPerWeight}. */
    public static final int MAX_VNODES = 1 << 16;
    /**
     * Default slot bits: 2^20 slots (a 4 MiB table), at least 40 times more slots than points up to
     * 100 nodes at default weight, so quantizing keys to slots adds almost nothing to the spread.
     */
    public static final int DEFAULT_SLOT_BITS = 20;
    /** Fewest slot bits: a point's position within its slot must fit in 16 bits. */
    public static final int MIN_SLOT_BITS = 16;
    /** Most slot bits (a 256 MiB table). */
    public static final int MAX_SLOT_BITS = 26;

    /** Validates the settings. */
    public RingSettings {
        if (vnodesPerWeight < 1 || vnodesPerWeight > MAX_VNODES) {
            throw new IllegalArgumentException("vnodesPerWeight must be between 1 and " + MAX_VNODES
                    + ", was " + vnodesPerWeight);
        }
        if (slotBits < MIN_SLOT_BITS || slotBits > MAX_SLOT_BITS) {
            throw new IllegalArgumentException("slotBits must be between " + MIN_SLOT_BITS + " and " + MAX_SLOT_BITS
                    + ", was " + slotBits);
        }
        KeyHashers.checkHasher(hasher);
    }

    /** Settings with the default slot bits. */
    public RingSettings(int vnodesPerWeight, KeyHasher hasher) {
        this(vnodesPerWeight, DEFAULT_SLOT_BITS, hasher);
    }

    /** {@value #DEFAULT_VNODES} points per unit weight, 2^{@value #DEFAULT_SLOT_BITS} slots and xxHash64. */
    public static RingSettings defaults() {
        return new RingSettings(DEFAULT_VNODES, DEFAULT_SLOT_BITS, KeyHashers.defaultHasher());
    }

    /** The same settings with another number of points per unit weight. */
    public RingSettings withVnodesPerWeight(int vnodes) {
        return new RingSettings(vnodes, slotBits, hasher);
    }

    /** The same settings with another number of slot bits. */
    public RingSettings withSlotBits(int bits) {
        return new RingSettings(vnodesPerWeight, bits, hasher);
    }

    /** The number of ring points a node of this weight gets. */
    public int pointsFor(double weight) {
        long points = Math.max(1L, Math.round(vnodesPerWeight * weight));
        if (points > HashRing.MAX_POINTS_PER_NODE) {
            throw new InvalidNodeException("weight " + weight + " at " + vnodesPerWeight
                    + " points per unit weight gives " + points + " points; at most "
                    + HashRing.MAX_POINTS_PER_NODE + " are allowed");
        }
        return (int) points;
    }
}
