package io.bulwark.ring;

/**
 * xxHash64 (Yann Collet, XXH64 as specified in the xxHash repository's {@code doc/xxhash_spec.md}),
 * seed 0 unless constructed otherwise; id {@code "xxh64/1"}.
 *
 * <p>Chosen as Bulwark's default because it is fast, passes SMHasher, has a written specification and
 * implementations in every mainstream language, so any client can compute the same placement. The
 * golden vectors in {@code docs/RING_FORMAT.md} are checked by the tests against an independent
 * implementation. Stateless and thread-safe; {@link #hash(long)} allocates nothing.
 */
public final class XxHash64 implements KeyHasher {

    /** The default instance: seed 0. */
    public static final XxHash64 INSTANCE = new XxHash64(0);

    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;

    private final long seed;

    /** An xxHash64 with the given seed; a non-zero seed has id {@code "xxh64/1:<seed in hex>"}. */
    public XxHash64(long seed) {
        this.seed = seed;
    }

    @Override
    public String id() {
        return seed == 0 ? "xxh64/1" : "xxh64/1:" + Long.toHexString(seed);
    }

    @Override
    public long hash(byte[] b, int off, int len) {
        if (off < 0 || len < 0 || off > b.length - len) {
            throw new IndexOutOfBoundsException("range [" + off + ", " + off + "+" + len
                    + ") is outside an array of length " + b.length);
        }
        int p = off;
        int end = off + len;
        long h;
        if (len >= 32) {
            long v1 = seed + P1 + P2;
            long v2 = seed + P2;
            long v3 = seed;
            long v4 = seed - P1;
            int limit = end - 32;
            do {
                v1 = round(v1, getLong(b, p));
                v2 = round(v2, getLong(b, p + 8));
                v3 = round(v3, getLong(b, p + 16));
                v4 = round(v4, getLong(b, p + 24));
                p += 32;
            } while (p <= limit);
            h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12)
                    + Long.rotateLeft(v4, 18);
            h = mergeRound(h, v1);
            h = mergeRound(h, v2);
            h = mergeRound(h, v3);
            h = mergeRound(h, v4);
        } else {
            h = seed + P5;
        }
        h += len;
        while (p + 8 <= end) {
            h ^= round(0, getLong(b, p));
            h = Long.rotateLeft(h, 27) * P1 + P4;
            p += 8;
        }
        if (p + 4 <= end) {
            h ^= (getInt(b, p) & 0xFFFFFFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            p += 4;
        }
        while (p < end) {
            h ^= (b[p] & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
            p++;
        }
        return avalanche(h);
    }

    @Override
    public long hash(long key) {
        long h = seed + P5 + 8;
        h ^= round(0, key);
        h = Long.rotateLeft(h, 27) * P1 + P4;
        return avalanche(h);
    }

    private static long round(long acc, long input) {
        acc += input * P2;
        acc = Long.rotateLeft(acc, 31);
        return acc * P1;
    }

    private static long mergeRound(long acc, long val) {
        acc ^= round(0, val);
        return acc * P1 + P4;
    }

    private static long avalanche(long h) {
        h ^= h >>> 33;
        h *= P2;
        h ^= h >>> 29;
        h *= P3;
        h ^= h >>> 32;
        return h;
    }

    private static long getLong(byte[] b, int i) {
        return (b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 8 | (b[i + 2] & 0xFFL) << 16
                | (b[i + 3] & 0xFFL) << 24 | (b[i + 4] & 0xFFL) << 32 | (b[i + 5] & 0xFFL) << 40
                | (b[i + 6] & 0xFFL) << 48 | (b[i + 7] & 0xFFL) << 56;
    }

    private static int getInt(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 | (b[i + 2] & 0xFF) << 16 | (b[i + 3] & 0xFF) << 24;
    }
}
