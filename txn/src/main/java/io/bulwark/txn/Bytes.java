package io.bulwark.txn;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/** Growable big-endian writer and bounds-checked reader for the transaction codecs. Not thread-safe. */
final class Bytes {

    private byte[] buf = new byte[64];
    private int size;

    Bytes u8(int v) {
        ensure(1);
        buf[size++] = (byte) v;
        return this;
    }

    Bytes i32(int v) {
        ensure(4);
        ByteBuffer.wrap(buf, size, 4).putInt(v);
        size += 4;
        return this;
    }

    Bytes i64(long v) {
        ensure(8);
        ByteBuffer.wrap(buf, size, 8).putLong(v);
        size += 8;
        return this;
    }

    /** Length-prefixed bytes; null is written as length -1. */
    Bytes bytes(byte[] b) {
        i32(b == null ? -1 : b.length);
        if (b != null) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }
        return this;
    }

    Bytes txn(TxnId id) {
        return i64(id.high()).i64(id.low());
    }

    byte[] toArray() {
        return Arrays.copyOf(buf, size);
    }

    private void ensure(int n) {
        if (size + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }
    }

    /** Reads what a {@link Bytes} wrote; malformed input → {@link IllegalArgumentException}. */
    static final class Reader {
        private final ByteBuffer in;

        Reader(byte[] data, int offset) {
            this.in = ByteBuffer.wrap(data, offset, data.length - offset);
        }

        int u8() {
            try {
                return in.get() & 0xff;
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        int i32() {
            try {
                return in.getInt();
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        long i64() {
            try {
                return in.getLong();
            } catch (BufferUnderflowException e) {
                throw truncated();
            }
        }

        byte[] bytes() {
            int len = i32();
            if (len == -1) {
                return null;
            }
            if (len < -1 || len > in.remaining()) {
                throw new IllegalArgumentException("malformed length " + len + " with " + in.remaining() + " bytes left");
            }
            byte[] b = new byte[len];
            in.get(b);
            return b;
        }

        TxnId txn() {
            return new TxnId(i64(), i64());
        }

        /** A count of items that each take at least {@code minBytes}: bounded by what is left. */
        int count(int minBytes) {
            int n = i32();
            if (n < 0 || (long) n * minBytes > in.remaining()) {
                throw new IllegalArgumentException("malformed count " + n + " with " + in.remaining() + " bytes left");
            }
            return n;
        }

        void end() {
            if (in.hasRemaining()) {
                throw new IllegalArgumentException(in.remaining() + " unexpected trailing bytes");
            }
        }

        private static IllegalArgumentException truncated() {
            return new IllegalArgumentException("truncated transaction message");
        }
    }
}
