package io.bulwark.ring;

/**
 * The settings of a {@link HashRing} that decide placement; they are part of its fingerprint.
 *
 * @param vnodesPerWeight ring points per unit of weight; a node of weight {@code w} gets
 *                        {@code max(1, round(vnodesPerWeight * w))} points. More points give better
 *                        balance (the spread of shares falls as {@code 1/sqrt(points)}) at the cost of
 *                        memory (about 7 bytes a point) and change time. Between 1 and {@value #MAX_VNODES}.
 * @param hasher          the key hasher, whose id is part of the ring's identity
 */
public record RingSettings(int vnodesPerWeight, KeyHasher hasher) {

    /**
     * Default points per unit weight. At 4096 the largest of 100 equal nodes owns about 1.04 times
     * the mean (see docs/BENCHMARKS.md) for 28 KiB of memory a node.
     */
    public static final int DEFAULT_VNODES = 4096;
    /** Upper bound on {@link #vnodesPerWeight}. */
    public static final int MAX_VNODES = 1 << 16;

    /** Validates the settings. */
    public RingSettings {
        if (vnodesPerWeight < 1 || vnodesPerWeight > MAX_VNODES) {
            throw new IllegalArgumentException("vnodesPerWeight must be between 1 and " + MAX_VNODES
                    + ", was " + vnodesPerWeight);
        }
        if (hasher == null) {
            throw new IllegalArgumentException("hasher must not be null");
        }
        if (hasher.id() == null || hasher.id().isEmpty() || hasher.id().length() > 255) {
            throw new IllegalArgumentException("hasher id must be 1 to 255 characters, was '" + hasher.id() + "'");
        }
    }

    /** {@value #DEFAULT_VNODES} points per unit weight and xxHash64. */
    public static RingSettings defaults() {
        return new RingSettings(DEFAULT_VNODES, KeyHashers.defaultHasher());
    }

    /** The same settings with another number of points per unit weight. */
    public RingSettings withVnodesPerWeight(int vnodes) {
        return new RingSettings(vnodes, hasher);
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
