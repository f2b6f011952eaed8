package io.bulwark.ring;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The per-node entry of the serialized ring ({@link RingCodec}) and of every locator fingerprint
 * ({@link LocatorFingerprint}), specified in docs/RING_FORMAT.md:
 * <pre>
 *   id       u16 length + UTF-8
 *   weight   f64 (IEEE 754 bits)
 *   zone     u16 length + UTF-8, or 0xFFFF for no zone
 * </pre>
 * Big-endian. Fingerprints are pinned by golden tests, so this encoding must never change. Stateless.
 */
final class NodeEncoding {

    /** The zone length that stands for "no zone"; real zones are at most 255 bytes. */
    static final int NO_ZONE = 0xFFFF;

    private NodeEncoding() {
    }

    /** The entries of {@code nodes}, in list order, back to back. */
    static byte[] entries(List<Node> nodes) {
        int count = nodes.size();
        byte[][] ids = new byte[count][];
        byte[][] zones = new byte[count][];
        int size = 0;
        for (int i = 0; i < count; i++) {
            Node n = nodes.get(i);
            ids[i] = n.id().getBytes(StandardCharsets.UTF_8);
            zones[i] = n.zone() == null ? null : n.zone().getBytes(StandardCharsets.UTF_8);
            size += 2 + ids[i].length + 8 + 2 + (zones[i] == null ? 0 : zones[i].length);
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        for (int i = 0; i < count; i++) {
            b.putShort((short) ids[i].length).put(ids[i]);
            b.putDouble(nodes.get(i).weight());
            if (zones[i] == null) {
                b.putShort((short) NO_ZONE);
            } else {
                b.putShort((short) zones[i].length).put(zones[i]);
            }
        }
        return b.array();
    }

    /**
     * Reads one entry.
     *
     * @throws java.nio.BufferUnderflowException if the buffer ends inside the entry
     * @throws InvalidNodeException if the entry is not a valid node
     */
    static Node read(ByteBuffer b) {
        byte[] id = new byte[b.getShort() & 0xFFFF];
        b.get(id);
        double weight = b.getDouble();
        int zoneLength = b.getShort() & 0xFFFF;
        String zone = null;
        if (zoneLength != NO_ZONE) {
            byte[] z = new byte[zoneLength];
            b.get(z);
            zone = new String(z, StandardCharsets.UTF_8);
        }
        return new Node(new String(id, StandardCharsets.UTF_8), weight, zone);
    }
}
