package io.bulwark.paxos.kv;

import java.nio.ByteBuffer;

/** The answer to a {@link KvCommand}. Immutable. */
public sealed interface KvResult {

    /** A put or delete took effect. */
    record Ok() implements KvResult {
    }

    /** A get's answer: the value, or {@code null} if the key is absent. */
    record Found(byte[] value) implements KvResult {
    }

    /** A compare-and-set's answer. */
    record CasOutcome(boolean succeeded) implements KvResult {
    }

    /** One key and its value in a scan's answer. */
    record KeyValue(byte[] key, byte[] value) {
    }

    /**
     * A scan's answer: the entries in key order, and the key to continue from if the scan stopped at its
     * limit or size bound ({@code null}: nothing more in the range).
     */
    record Entries(java.util.List<KeyValue> entries, byte[] resumeKey) implements KvResult {
    }

    /** The value's checksum did not match: the data was damaged and is not returned or stored. */
    record Corrupt(String detail) implements KvResult {
    }

    /**
     * The key is held by a transaction that has not finished ({@code txnHigh}/{@code txnLow} name it, {@code home}
     * is the partition holding its record, {@code deadline} the time its owner promised to finish by, in
     * milliseconds on the owner's clock). Nothing was done: the caller helps the transaction finish (or, past
     * its deadline, resolves it) and retries.
     */
    record Locked(long txnHigh, long txnLow, int home, long deadline) implements KvResult {
    }

    /** The binary form. */
    default byte[] encode() {
        if (this instanceof Locked l) {
            return ByteBuffer.allocate(1 + 8 + 8 + 4 + 8).put((byte) 6).putLong(l.txnHigh()).putLong(l.txnLow())
                    .putInt(l.home()).putLong(l.deadline()).array();
        }
        if (this instanceof Found f) {
            if (f.value() == null) {
                return new byte[] {2, 0};
            }
            ByteBuffer b = ByteBuffer.allocate(2 + f.value().length);
            b.put((byte) 2).put((byte) 1).put(f.value());
            return b.array();
        }
        if (this instanceof CasOutcome c) {
            return new byte[] {3, (byte) (c.succeeded() ? 1 : 0)};
        }
        if (this instanceof Entries e) {
            int size = 1 + 4 + 4 + (e.resumeKey() == null ? 0 : e.resumeKey().length);
            for (KeyValue kv : e.entries()) {
                size += 8 + kv.key().length + kv.value().length;
            }
            ByteBuffer b = ByteBuffer.allocate(size);
            b.put((byte) 5).putInt(e.entries().size());
            for (KeyValue kv : e.entries()) {
                b.putInt(kv.key().length).put(kv.key()).putInt(kv.value().length).put(kv.value());
            }
            b.putInt(e.resumeKey() == null ? -1 : e.resumeKey().length);
            if (e.resumeKey() != null) {
                b.put(e.resumeKey());
            }
            return b.array();
        }
        if (this instanceof Corrupt c) {
            byte[] d = c.detail().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(1 + d.length);
            b.put((byte) 4).put(d);
            return b.array();
        }
        return new byte[] {1};
    }

    /** Decodes what {@link #encode()} produced. */
    static KvResult decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            throw new IllegalArgumentException("empty KV result");
        }
        return switch (bytes[0]) {
            case 1 -> new Ok();
            case 2 -> bytes[1] == 0 ? new Found(null) : new Found(java.util.Arrays.copyOfRange(bytes, 2, bytes.length));
            case 3 -> new CasOutcome(bytes[1] == 1);
            case 4 -> new Corrupt(new String(bytes, 1, bytes.length - 1, java.nio.charset.StandardCharsets.UTF_8));
            case 5 -> decodeEntries(bytes);
            case 6 -> decodeLocked(bytes);
            default -> throw new IllegalArgumentException("unknown KV result tag " + bytes[0]);
        };
    }

    private static Locked decodeLocked(byte[] bytes) {
        if (bytes.length != 29) {
            throw new IllegalArgumentException("malformed locked result of " + bytes.length + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, 28);
        return new Locked(b.getLong(), b.getLong(), b.getInt(), b.getLong());
    }

    private static Entries decodeEntries(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
        try {
            int n = b.getInt();
            if (n < 0 || n > bytes.length) {
                throw new IllegalArgumentException("malformed scan result: " + n + " entries");
            }
            java.util.List<KeyValue> entries = new java.util.ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                byte[] k = new byte[b.getInt()];
                b.get(k);
                byte[] v = new byte[b.getInt()];
                b.get(v);
                entries.add(new KeyValue(k, v));
            }
            int len = b.getInt();
            byte[] resume = null;
            if (len >= 0) {
                resume = new byte[len];
                b.get(resume);
            }
            return new Entries(java.util.List.copyOf(entries), resume);
        } catch (java.nio.BufferUnderflowException | NegativeArraySizeException e) {
            throw new IllegalArgumentException("malformed scan result of " + bytes.length + " bytes", e);
        }
    }
}
