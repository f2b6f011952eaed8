package io.bulwark.paxos.log;

import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The snapshot file format. Stateless.
 *
 * <pre>
 *  offset size field
 *       0    4 magic          "BWSN"
 *       4    2 version        1
 *       6    2 flags          0 (reserved)
 *       8    8 index          u64
 *      16    4 metadataBytes  u32
 *      20    4 stateBytes     u32
 *      24    4 crc32c         over every byte of the file except these four
 *      28      metadata, then state
 * </pre>
 */
final class SnapshotFormat {

    static final int MAGIC = 0x4257534E; // "BWSN"
    static final short VERSION = 1;
    static final int HEADER_BYTES = 28;
    static final int CRC_OFFSET = 24;

    private SnapshotFormat() {
    }

    static String fileName(long index) {
        return "snap-" + String.format("%020d", index) + ".snap";
    }

    static String partialName(long index) {
        return "snap-" + String.format("%020d", index) + ".partial";
    }

    /** The index in a {@code snap-<20 digits><suffix>} name, or -1. */
    static long parseIndex(String name, String suffix) {
        int digits = 20;
        if (name.length() != 5 + digits + suffix.length() || !name.startsWith("snap-") || !name.endsWith(suffix)) {
            return -1;
        }
        long index = 0;
        for (int i = 5; i < 5 + digits; i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            index = index * 10 + (c - '0');
            if (index < 0) {
                return -1;
            }
        }
        return index;
    }

    static byte[] encode(StoredSnapshot snapshot) {
        byte[] metadata = snapshot.metadata();
        byte[] state = snapshot.state();
        long total = (long) HEADER_BYTES + metadata.length + state.length;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("snapshot of " + total + " bytes cannot be held in one array");
        }
        byte[] out = new byte[(int) total];
        LogFrame.putInt(out, 0, MAGIC);
        out[4] = (byte) (VERSION >>> 8);
        out[5] = (byte) VERSION;
        LogFrame.putLong(out, 8, snapshot.index());
        LogFrame.putInt(out, 16, metadata.length);
        LogFrame.putInt(out, 20, state.length);
        System.arraycopy(metadata, 0, out, HEADER_BYTES, metadata.length);
        System.arraycopy(state, 0, out, HEADER_BYTES + metadata.length, state.length);
        LogFrame.putInt(out, CRC_OFFSET, computeCrc(out));
        return out;
    }

    /** CRC32C over everything except the CRC field. */
    static int computeCrc(byte[] encoded) {
        CRC32C crc = new CRC32C();
        crc.update(encoded, 0, CRC_OFFSET);
        crc.update(encoded, HEADER_BYTES, encoded.length - HEADER_BYTES);
        return (int) crc.getValue();
    }

    /**
     * Checks the header fields that can be checked without the body: magic, version, index, and that the
     * lengths add up to {@code totalBytes}. Returns the problem, or {@code null}.
     */
    static String headerProblem(byte[] header, long expectedIndex, long totalBytes) {
        if (LogFrame.getInt(header, 0) != MAGIC) {
            return "bad magic " + Integer.toHexString(LogFrame.getInt(header, 0)) + ", expected "
                    + Integer.toHexString(MAGIC);
        }
        int version = ((header[4] & 0xFF) << 8) | (header[5] & 0xFF);
        if (version != VERSION) {
            return "unsupported format version " + version + " (this build reads version " + VERSION + ")";
        }
        long index = LogFrame.getLong(header, 8);
        if (index != expectedIndex) {
            return "header says index " + index + " but index " + expectedIndex + " was expected";
        }
        long declared = HEADER_BYTES + (LogFrame.getInt(header, 16) & 0xFFFF_FFFFL)
                + (LogFrame.getInt(header, 20) & 0xFFFF_FFFFL);
        if (declared != totalBytes) {
            return "header declares " + declared + " bytes but there are " + totalBytes;
        }
        return null;
    }

    /** Decodes and fully verifies {@code encoded}; {@code name} is for the exception. */
    static StoredSnapshot decode(String name, byte[] encoded, long expectedIndex) throws CorruptSnapshotException {
        if (encoded.length < HEADER_BYTES) {
            throw new CorruptSnapshotException(name, "only " + encoded.length + " bytes, shorter than the "
                    + HEADER_BYTES + "-byte header");
        }
        String problem = headerProblem(encoded, expectedIndex, encoded.length);
        if (problem != null) {
            throw new CorruptSnapshotException(name, problem);
        }
        int stored = LogFrame.getInt(encoded, CRC_OFFSET);
        int computed = computeCrc(encoded);
        if (stored != computed) {
            throw new CorruptSnapshotException(name, "CRC32C mismatch: stored " + Integer.toHexString(stored)
                    + ", computed " + Integer.toHexString(computed));
        }
        int metadataBytes = LogFrame.getInt(encoded, 16);
        byte[] metadata = Arrays.copyOfRange(encoded, HEADER_BYTES, HEADER_BYTES + metadataBytes);
        byte[] state = Arrays.copyOfRange(encoded, HEADER_BYTES + metadataBytes, encoded.length);
        return new StoredSnapshot(expectedIndex, metadata, state);
    }
}
