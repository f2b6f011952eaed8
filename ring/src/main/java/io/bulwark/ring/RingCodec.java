package io.bulwark.ring;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The compact binary form of a {@link HashRing} and its fingerprint (format in docs/RING_FORMAT.md).
 *
 * <pre>
 * "BWRG"            4 bytes magic
 * formatVersion     u8  (1)
 * algorithm         u8  (1 = ring/v1: point rule of HashRing)
 * hasherId          u8 length + ASCII
 * vnodesPerWeight   i32
 * slotBits          u8
 * nodeCount         i32
 * per node, sorted by UTF-8 id ({@link NodeEncoding}):
 *   id              u16 length + UTF-8
 *   weight          f64 (IEEE 754 bits)
 *   zone            u16 length + UTF-8, or 0xFFFF for no zone
 * crc32c            i32 over every preceding byte
 * </pre>
 * All integers are big-endian. The fingerprint is the xxHash64 (seed 0) of everything before the CRC.
 */
final class RingCodec {

    static final byte[] MAGIC = {'B', 'W', 'R', 'G'};
    static final int FORMAT_VERSION = 1;
    static final int ALGORITHM_RING_V1 = 1;

    private RingCodec() {
    }

    static long fingerprint(HashRing ring) {
        byte[] body = encode(ring, false);
        return XxHash64.INSTANCE.hash(body);
    }

    static byte[] encode(HashRing ring, boolean withChecksum) {
        byte[] hasherId = ring.hasher().id().getBytes(StandardCharsets.US_ASCII);
        byte[] entries = NodeEncoding.entries(ring.nodes());
        int size = 4 + 1 + 1 + 1 + hasherId.length + 4 + 1 + 4 + entries.length + (withChecksum ? 4 : 0);
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(MAGIC).put((byte) FORMAT_VERSION).put((byte) ALGORITHM_RING_V1);
        b.put((byte) hasherId.length).put(hasherId);
        b.putInt(ring.settings().vnodesPerWeight()).put((byte) ring.settings().slotBits()).putInt(ring.size());
        b.put(entries);
        if (withChecksum) {
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, b.position());
            b.putInt((int) crc.getValue());
        }
        return b.array();
    }

    static HashRing decode(byte[] bytes) {
        if (bytes == null) {
            throw new RingFormatException("serialized ring must not be null");
        }
        if (bytes.length < 4 + 1 + 1 + 1 + 4 + 4 + 4) {
            throw new RingFormatException("serialized ring is too short (" + bytes.length + " bytes)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                throw new RingFormatException("not a serialized ring: bad magic (expected 'BWRG')");
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
        if ((int) crc.getValue() != stored) {
            throw new RingFormatException(String.format(
                    "serialized ring is corrupt: CRC32C is %08x, stored %08x", (int) crc.getValue(), stored));
        }
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes, 4, bytes.length - 8);
            int version = b.get() & 0xFF;
            if (version != FORMAT_VERSION) {
                throw new RingFormatException("unsupported ring format version " + version + "; this version reads "
                        + FORMAT_VERSION);
            }
            int algorithm = b.get() & 0xFF;
            if (algorithm != ALGORITHM_RING_V1) {
                throw new RingFormatException("unsupported ring algorithm " + algorithm + "; this version reads "
                        + ALGORITHM_RING_V1 + " (ring/v1)");
            }
            byte[] hasherId = new byte[b.get() & 0xFF];
            b.get(hasherId);
            KeyHasher hasher = KeyHashers.byId(new String(hasherId, StandardCharsets.US_ASCII));
            int vnodes = b.getInt();
            int slotBits = b.get() & 0xFF;
            int count = b.getInt();
            if (count < 0 || count > HashRing.MAX_NODES) {
                throw new RingFormatException("bad node count " + count);
            }
            List<Node> nodes = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                nodes.add(NodeEncoding.read(b));
            }
            if (b.hasRemaining()) {
                throw new RingFormatException(b.remaining() + " unexpected trailing bytes in serialized ring");
            }
            return HashRing.of(new RingSettings(vnodes, slotBits, hasher), nodes);
        } catch (java.nio.BufferUnderflowException e) {
            throw new RingFormatException("serialized ring is truncated");
        } catch (InvalidNodeException | DuplicateNodeException e) {
            throw new RingFormatException("serialized ring holds an invalid node: " + e.getMessage());
        } catch (IllegalArgumentException e) {
            if (e instanceof RingFormatException) {
                throw e;
            }
            throw new RingFormatException("serialized ring has invalid settings: " + e.getMessage());
        }
    }
}
