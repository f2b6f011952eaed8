package io.bulwark.core;

import java.util.zip.CRC32C;

/**
 * CRC32C (Castagnoli) checksums, the one checksum Bulwark puts on every record and value.
 *
 * <p>CRC32C is hardware-accelerated on x86-64 and ARMv8 through the JDK intrinsic and catches
 * every burst error up to 32 bits, which is what torn writes and bit flips on disk and wire look
 * like. Stateless and thread-safe.
 */
public final class Checksums {

    private Checksums() {
    }

    /** The CRC32C of {@code data}, as an unsigned value in the low 32 bits of an int. */
    public static int crc32c(byte[] data) {
        return crc32c(data, 0, data.length);
    }

    /** The CRC32C of {@code data[offset, offset + length)}. */
    public static int crc32c(byte[] data, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(data, offset, length);
        return (int) crc.getValue();
    }
}
