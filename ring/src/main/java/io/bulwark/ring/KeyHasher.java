package io.bulwark.ring;

import java.nio.charset.StandardCharsets;

/**
 * A 64-bit hash function for keys, with a stable identity.
 *
 * <p>Placement is only as stable as the hash: a client in another language, or this library a
 * year from now, must compute the same 64 bits for the same key, or it silently routes to the wrong
 * node. So every hasher has an {@link #id()} such as {@code "xxh64/1"} (algorithm and version) that
 * is part of a ring's {@link HashRing#fingerprint() fingerprint} and serialized form. A hasher whose
 * output changes in any way must get a new id.
 *
 * <p>Implementations must be stateless and thread-safe, and {@link #hash(long)} must not allocate.
 */
public interface KeyHasher {

    /** Stable identity {@code "<algorithm>/<version>"}; at most 255 ASCII characters. */
    String id();

    /** Hash of {@code key[offset, offset + length)}. */
    long hash(byte[] key, int offset, int length);

    /** Hash of all of {@code key}. */
    default long hash(byte[] key) {
        return hash(key, 0, key.length);
    }

    /** Hash of the UTF-8 encoding of {@code key}. (Allocates the encoded bytes.) */
    default long hash(String key) {
        return hash(key.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Hash of a 64-bit integer key, equal to {@code hash} of its 8 little-endian bytes. Must not
     * allocate.
     */
    long hash(long key);
}
