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
}
