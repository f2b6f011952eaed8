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

    /** The value's checksum did not match: the data was damaged and is not returned or stored. */
    record Corrupt(String detail) implements KvResult {
    }

    /** The binary form. */
    default byte[] encode() {
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
            default -> throw new IllegalArgumentException("unknown KV result tag " + bytes[0]);
        };
    }
}
