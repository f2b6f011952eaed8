package io.bulwark.ring;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The {@link NodeLocator#fingerprint()} of {@link JumpHash}, {@link RendezvousHash} and
 * {@link MaglevHash} ({@link HashRing} fingerprints its serialized form instead): xxHash64 (seed 0) of
 * <pre>
 *   "BWNL"                       4 bytes
 *   algorithm and version        u8 length + ASCII, e.g. "maglev/1"
 *   hasher id                    u8 length + ASCII
 *   settings                     i32 each, in the order the algorithm gives them (none for most)
 *   node count                   i32
 *   per node, in placement order a {@link NodeEncoding} entry
 * </pre>
 * Big-endian. Each algorithm's order of nodes and settings is part of its placement version and is
 * pinned by golden tests. Stateless.
 */
final class LocatorFingerprint {

    private static final byte[] MAGIC = {'B', 'W', 'N', 'L'};

    private LocatorFingerprint() {
    }

    /**
     * The fingerprint of a locator.
     *
     * @param nodes    in the order that decides placement (id order, or bucket order for jump hash)
     * @param settings the algorithm's settings, written before the node count
     */
    static long of(String algorithmVersion, KeyHasher hasher, List<Node> nodes, int... settings) {
        byte[] algorithm = algorithmVersion.getBytes(StandardCharsets.US_ASCII);
        byte[] hasherId = hasher.id().getBytes(StandardCharsets.US_ASCII);
        byte[] entries = NodeEncoding.entries(nodes);
        ByteBuffer b = ByteBuffer.allocate(
                MAGIC.length + 1 + algorithm.length + 1 + hasherId.length + 4 * settings.length + 4 + entries.length);
        b.put(MAGIC);
        b.put((byte) algorithm.length).put(algorithm);
        b.put((byte) hasherId.length).put(hasherId);
        for (int setting : settings) {
            b.putInt(setting);
        }
        b.putInt(nodes.size());
        b.put(entries);
        return XxHash64.INSTANCE.hash(b.array());
    }
}
