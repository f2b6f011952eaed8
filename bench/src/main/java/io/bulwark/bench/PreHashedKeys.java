package io.bulwark.bench;

import java.util.SplittableRandom;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The keys every lookup benchmark reads: {@value #KEY_COUNT} pre-hashed 64-bit keys from a
 * {@link SplittableRandom} seeded with {@value #SEED}, read in order and wrapping around.
 *
 * <p>Why so many: 2<sup>20</sup> keys are 8 MiB, far more than L1/L2, so the lookup structures are
 * probed at positions the CPU cannot predict and stay cache-resident only as far as their own size
 * allows, as with real traffic. A tiny key array would replay the same few probe paths from L1 and flatter
 * the larger structures. The array itself is read sequentially, so hardware prefetching hides its cost,
 * which is the same for every implementation.
 *
 * <p>Hashing the key (xxHash64 for Bulwark, MD5 for Ketama) is deliberately outside the measurement:
 * every implementation gets the same pre-hashed {@code long}.
 *
 * <p>One instance per benchmark thread ({@link Scope#Thread}); not thread-safe.
 */
@State(Scope.Thread)
public class PreHashedKeys {

    /** Number of distinct keys; a power of two so the cursor wraps with a mask. */
    public static final int KEY_COUNT = 1 << 20;
    /** Seed of the key stream: fixed so every run and every implementation sees the same keys. */
    public static final long SEED = 0x5EED_B0B0_2024L;

    private long[] keys;
    private int cursor;

    /** Fills the key array; runs once per trial, outside the measurement. */
    @Setup(Level.Trial)
    public void generate() {
        keys = generate(KEY_COUNT, SEED);
        cursor = 0;
    }

    /** The next key; the mask keeps the cursor in range without a branch. */
    public long next() {
        return keys[cursor++ & (KEY_COUNT - 1)];
    }

    /** {@code count} keys from a {@link SplittableRandom} with this seed. */
    static long[] generate(int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] out = new long[count];
        for (int i = 0; i < count; i++) {
            out[i] = random.nextLong();
        }
        return out;
    }
}
