package io.bulwark.paxos.kv;

import io.bulwark.core.Checksums;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * An operation on the replicated key-value map. Values travel with the CRC32C their writer computed, so
 * corruption anywhere between the client and the disk is caught on apply and on every read. Immutable.
 */
public sealed interface KvCommand {

    /** Largest key, in bytes. */
    int MAX_KEY_BYTES = 4096;

    /** The key this command touches. */
    byte[] key();

    /** Read the value of a key. */
    record Get(byte[] key) implements KvCommand {
    }

    /** Set a key; {@code crc32c} is the value's checksum computed by the writer. */
    record Put(byte[] key, byte[] value, int crc32c) implements KvCommand {
    }

    /** Remove a key (no error if absent). */
    record Delete(byte[] key) implements KvCommand {
    }

    /** Set a key only if its current value equals {@code expected} ({@code null}: only if absent). */
    record CompareAndSet(byte[] key, byte[] expected, byte[] value, int crc32c) implements KvCommand {
    }

    /**
     * Read the keys in {@code [key, end)} in unsigned byte order, at most {@code limit} of them: a query,
     * never replicated. {@code key} may be empty (from the first key); {@code end} null means no upper bound.
     */
    record Scan(byte[] key, byte[] end, int limit) implements KvCommand {
    }

    /** Most keys one scan returns. */
    int MAX_SCAN_LIMIT = 10_000;

    static Scan scan(byte[] start, byte[] end, int limit) {
        if (start == null || start.length > MAX_KEY_BYTES || (end != null && end.length > MAX_KEY_BYTES)) {
            throw new IllegalArgumentException("scan bounds must be 0.." + MAX_KEY_BYTES + " bytes");
        }
        if (limit < 1 || limit > MAX_SCAN_LIMIT) {
            throw new IllegalArgumentException("scan limit must be in [1, " + MAX_SCAN_LIMIT + "], was " + limit);
        }
        return new Scan(start, end, limit);
    }

    static Get get(byte[] key) {
        return new Get(checkKey(key));
    }

    static Put put(byte[] key, byte[] value) {
        return new Put(checkKey(key), value, Checksums.crc32c(value));
    }

    static Delete delete(byte[] key) {
        return new Delete(checkKey(key));
    }

    static CompareAndSet compareAndSet(byte[] key, byte[] expected, byte[] value) {
        return new CompareAndSet(checkKey(key), expected, value, Checksums.crc32c(value));
    }

    private static byte[] checkKey(byte[] key) {
        if (key == null || key.length == 0 || key.length > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("keys must be 1.." + MAX_KEY_BYTES + " bytes, was "
                    + (key == null ? "null" : key.length));
        }
        return key;
    }

    /** The binary form, as carried in a {@link io.bulwark.paxos.Command} payload. */
    default byte[] encode() {
        if (this instanceof Put p) {
            return frame((byte) 2, p.key(), p.value(), null, p.crc32c());
        }
        if (this instanceof Delete d) {
            return frame((byte) 3, d.key(), null, null, 0);
        }
        if (this instanceof CompareAndSet c) {
            return frame((byte) 4, c.key(), c.value(), c.expected(), c.crc32c());
        }
        if (this instanceof Scan sc) {
            return frame((byte) 5, sc.key(), sc.end(), null, sc.limit());
        }
        return frame((byte) 1, key(), null, null, 0);
    }

    /** Decodes what {@link #encode()} produced; malformed input → {@link IllegalArgumentException}. */
    static KvCommand decode(byte[] bytes) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        try {
            byte op = buf.get();
            byte[] key = bytes(buf);
            byte[] value = bytes(buf);
            byte[] expected = bytes(buf);
            int crc = buf.getInt();
            return switch (op) {
                case 1 -> new Get(key);
                case 2 -> new Put(key, value, crc);
                case 3 -> new Delete(key);
                case 4 -> new CompareAndSet(key, expected, value, crc);
                case 5 -> new Scan(key, value, crc);
                default -> throw new IllegalArgumentException("unknown KV operation " + op);
            };
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("malformed KV command of " + bytes.length + " bytes", e);
        }
    }

    private static byte[] frame(byte op, byte[] key, byte[] value, byte[] expected, int crc) {
        ByteBuffer buf = ByteBuffer.allocate(1 + 12 + key.length + (value == null ? 0 : value.length)
                + (expected == null ? 0 : expected.length) + 4);
        buf.put(op);
        putBytes(buf, key);
        putBytes(buf, value);
        putBytes(buf, expected);
        buf.putInt(crc);
        return buf.array();
    }

    private static void putBytes(ByteBuffer buf, byte[] b) {
        buf.putInt(b == null ? -1 : b.length);
        if (b != null) {
            buf.put(b);
        }
    }

    private static byte[] bytes(ByteBuffer buf) {
        int len = buf.getInt();
        if (len < -1 || len > buf.remaining()) {
            throw new IllegalArgumentException("malformed length " + len);
        }
        if (len == -1) {
            return null;
        }
        byte[] b = new byte[len];
        buf.get(b);
        return b;
    }
}
