package io.bulwark.core;

/**
 * A seeded source of pseudo-random numbers, injected into code that needs randomness (election
 * timeouts, jitter) so that every run can be replayed from its seed.
 *
 * <p>{@link #seeded(long)} returns a SplitMix64 generator: same seed, same sequence, on every JVM.
 * Instances are not thread-safe; give each single-threaded component its own.
 */
public interface RandomSource {

    /** The next 64 uniformly distributed bits. */
    long nextLong();

    /** A uniformly distributed value in {@code [0, bound)}; {@code bound} must be positive. */
    default long nextLong(long bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, was " + bound);
        }
        // Rejection sampling avoids the modulo bias a plain remainder would have.
        long limit = Long.MAX_VALUE - (Long.MAX_VALUE % bound);
        while (true) {
            long r = nextLong() >>> 1;
            if (r < limit) {
                return r % bound;
            }
        }
    }

    /** A uniformly distributed double in {@code [0, 1)}. */
    default double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** A SplitMix64 generator starting from {@code seed}. */
    static RandomSource seeded(long seed) {
        return new SplitMix64(seed);
    }

    /** SplitMix64 (Steele, Lea, Flood 2014): small state, full period, good statistical quality. */
    final class SplitMix64 implements RandomSource {
        private long state;

        SplitMix64(long seed) {
            this.state = seed;
        }

        @Override
        public long nextLong() {
            long z = (state += 0x9E3779B97F4A7C15L);
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            return z ^ (z >>> 31);
        }
    }
}
