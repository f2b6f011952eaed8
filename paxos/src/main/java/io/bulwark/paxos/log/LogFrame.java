package io.bulwark.paxos.log;

import java.util.zip.CRC32C;

/**
 * The on-disk frame of one log record, and its parser. Stateless; safe to use from any thread.
 *
 * <pre>
 *  offset size field
 *       0    4 length     u32, bytes after the CRC field: 17 + payload length
 *       4    4 crc32c     u32, CRC32C over every byte after this field (lsn .. end of payload)
 *       8    8 lsn        u64
 *      16    8 syncedLsn  u64, highest LSN known durable when the frame was written
 *      24    1 type       1 = data, 2 = sync marker
 *      25    n payload
 * </pre>
 *
 * Big-endian. The length is outside the CRC, but a wrong length makes the CRC cover a different span,
 * so it is caught with the same 2^-32 odds as any other damage.
 */
final class LogFrame {

    static final int HEADER_BYTES = 25;
    /** Bytes counted by the length field besides the payload: lsn, syncedLsn, type. */
    static final int BODY_FIXED_BYTES = 17;
    private static final int BODY_OFFSET = 8;
    /** Format cap on a payload; a longer length field is damage, whatever the options say now. */
    static final int MAX_PAYLOAD_BYTES = 256 << 20;

    static final byte TYPE_DATA = 1;
    static final byte TYPE_SYNC_MARKER = 2;

    private LogFrame() {
    }

    /** Writes the 25-byte header for a frame whose payload is {@code payload[off, off + len)}. */
    static void writeHeader(byte[] dst, int at, long lsn, long syncedLsn, byte type,
            byte[] payload, int off, int len) {
        putInt(dst, at, BODY_FIXED_BYTES + len);
        putLong(dst, at + 8, lsn);
        putLong(dst, at + 16, syncedLsn);
        dst[at + 24] = type;
        CRC32C crc = new CRC32C();
        crc.update(dst, at + BODY_OFFSET, BODY_FIXED_BYTES);
        crc.update(payload, off, len);
        putInt(dst, at + 4, (int) crc.getValue());
    }

    /** What {@link #parse} found at an offset: a frame that passed its CRC, or why there is none. */
    sealed interface ParseResult permits Frame, Bad {
    }

    /** A frame that parsed and passed its CRC; the semantic checks (LSN order) are the caller's. */
    record Frame(long lsn, long syncedLsn, byte type, int payloadOffset, int payloadLength, int frameBytes)
            implements ParseResult {
        boolean isData() {
            return type == TYPE_DATA;
        }
    }

    /** Bytes that are not a frame, and why. */
    record Bad(String reason) implements ParseResult {
    }

    /** Parses the frame starting at {@code buf[at]}, not reading at or past {@code limit}. */
    static ParseResult parse(byte[] buf, int at, int limit) {
        if (limit - at < HEADER_BYTES) {
            return new Bad("short read: " + (limit - at) + " bytes left, a frame header needs " + HEADER_BYTES);
        }
        long bodyBytes = getInt(buf, at) & 0xFFFF_FFFFL;
        if (bodyBytes < BODY_FIXED_BYTES || bodyBytes > BODY_FIXED_BYTES + (long) MAX_PAYLOAD_BYTES) {
            return new Bad("bad length " + bodyBytes + " (must be in [" + BODY_FIXED_BYTES + ", "
                    + (BODY_FIXED_BYTES + (long) MAX_PAYLOAD_BYTES) + "])");
        }
        if (BODY_OFFSET + bodyBytes > limit - at) {
            return new Bad("short read: frame of " + (BODY_OFFSET + bodyBytes) + " bytes but only " + (limit - at)
                    + " bytes left in the segment");
        }
        if (!crcMatches(buf, at, (int) bodyBytes)) {
            return new Bad("bad CRC32C");
        }
        byte type = buf[at + 24];
        if (type != TYPE_DATA && type != TYPE_SYNC_MARKER) {
            // CRC-valid yet unknown: written by a newer format version, or a bug; never guess.
            return new Bad("unknown frame type " + type);
        }
        int payloadLength = (int) bodyBytes - BODY_FIXED_BYTES;
        return new Frame(getLong(buf, at + 8), getLong(buf, at + 16), type, at + HEADER_BYTES, payloadLength,
                HEADER_BYTES + payloadLength);
    }

    /**
     * Whether a CRC-valid frame with an LSN in {@code [minLsn, maxLsn]} starts at {@code at}. Used to probe
     * every offset of a damaged tail: the cheap checks run first and nothing is allocated, so the probe is
     * linear in the tail; the LSN window makes a false match on random garbage about 2^-32 times rarer
     * than the CRC alone.
     */
    static boolean isCrcValidFrameIn(byte[] buf, int at, int limit, long minLsn, long maxLsn) {
        if (limit - at < HEADER_BYTES) {
            return false;
        }
        long bodyBytes = getInt(buf, at) & 0xFFFF_FFFFL;
        if (bodyBytes < BODY_FIXED_BYTES || BODY_OFFSET + bodyBytes > limit - at) {
            return false;
        }
        long lsn = getLong(buf, at + 8);
        byte type = buf[at + 24];
        if (lsn < minLsn || lsn > maxLsn || (type != TYPE_DATA && type != TYPE_SYNC_MARKER)) {
            return false;
        }
        return crcMatches(buf, at, (int) bodyBytes);
    }

    private static boolean crcMatches(byte[] buf, int at, int bodyBytes) {
        CRC32C crc = new CRC32C();
        crc.update(buf, at + BODY_OFFSET, bodyBytes);
        return (int) crc.getValue() == getInt(buf, at + 4);
    }

    static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }

    static void putLong(byte[] b, int at, long v) {
        putInt(b, at, (int) (v >>> 32));
        putInt(b, at + 4, (int) v);
    }

    static int getInt(byte[] b, int at) {
        return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
    }

    static long getLong(byte[] b, int at) {
        return ((long) getInt(b, at) << 32) | (getInt(b, at + 4) & 0xFFFF_FFFFL);
    }
}
