package io.bulwark.paxos.log;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LogFile;
import java.io.IOException;
import java.util.List;

/** Payload and corruption helpers shared by the log tests; all corruption goes through the FileStore API. */
final class LogTestSupport {

    private LogTestSupport() {
    }

    /** A payload whose bytes are a function of its LSN, so a recovered record can be checked on its own. */
    static byte[] payload(long lsn, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (lsn * 31 + i * 7);
        }
        return b;
    }

    /** Byte offset of the frame holding the {@code k}-th record (0-based) of a segment of equal payloads. */
    static long frameOffset(int k, int payloadBytes) {
        return (long) k * (LogOptions.FRAME_OVERHEAD_BYTES + payloadBytes);
    }

    static void flipBit(FileStore store, String name, long bitIndex) throws IOException {
        byte[] content = store.readAll(name);
        content[(int) (bitIndex / 8)] ^= (byte) (1 << (bitIndex % 8));
        store.writeAtomically(name, content);
    }

    static void truncate(FileStore store, String name, long sizeBytes) throws IOException {
        try (LogFile f = store.open(name)) {
            f.truncate(sizeBytes);
            f.sync();
        }
    }

    static void appendRaw(FileStore store, String name, byte[] bytes) throws IOException {
        try (LogFile f = store.open(name)) {
            f.append(bytes, 0, bytes.length);
            f.sync();
        }
    }

    static List<String> segments(FileStore store) throws IOException {
        return store.list().stream().filter(n -> n.startsWith("wal-")).toList();
    }
}
