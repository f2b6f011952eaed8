package io.bulwark.ring;

/**
 * The registry of hashers a serialized ring may name. Decoding a ring whose hasher id is unknown
 * fails with {@link RingFormatException} rather than silently substituting another hash.
 */
public final class KeyHashers {

    private KeyHashers() {
    }

    /** The default hasher: {@link XxHash64#INSTANCE}, id {@code "xxh64/1"}. */
    public static KeyHasher defaultHasher() {
        return XxHash64.INSTANCE;
    }

    /**
     * The hasher with the given id.
     *
     * @throws RingFormatException if no known hasher has that id
     */
    public static KeyHasher byId(String id) {
        if ("xxh64/1".equals(id)) {
            return XxHash64.INSTANCE;
        }
        if (id != null && id.startsWith("xxh64/1:")) {
            try {
                return new XxHash64(Long.parseUnsignedLong(id.substring("xxh64/1:".length()), 16));
            } catch (NumberFormatException e) {
                throw new RingFormatException("bad xxh64 seed in hasher id '" + id + "'");
            }
        }
        throw new RingFormatException("unknown hasher id '" + id + "'; this version knows xxh64/1");
    }

    /**
     * Checks a hasher before a locator adopts it: its id goes into fingerprints and the serialized ring
     * behind a u8 length, so it must be 1 to 255 characters.
     *
     * @throws IllegalArgumentException if the hasher or its id is null, or the id is empty or too long
     */
    static void checkHasher(KeyHasher hasher) {
        if (hasher == null) {
            throw new IllegalArgumentException("hasher must not be null");
        }
        String id = hasher.id();
        if (id == null || id.isEmpty() || id.length() > 255) {
            throw new IllegalArgumentException("hasher id must be 1 to 255 characters, was '" + id + "'");
        }
    }
}
