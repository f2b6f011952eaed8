package io.bulwark.bench.paxos;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;

/**
 * The baseline the group-commit goal is measured against: one writer appending a small record and calling
 * {@link FileChannel#force(boolean) force(true)} (what Bulwark's log does per sync) in a loop, on the same
 * directory as the replicas' logs. Its rate is what a log without group commit could acknowledge per second.
 * Stateless and thread-safe; each call uses its own file and deletes it.
 */
final class RawFsyncProbe {

    private RawFsyncProbe() {
    }

    /** fsyncs per second of {@code recordBytes} appends + force, measured for {@code duration}. */
    static double fsyncsPerSecond(Path directory, int recordBytes, Duration duration) throws IOException {
        Path file = Files.createTempFile(directory, "raw-fsync-", ".bin");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            byte[] record = new byte[recordBytes];
            Arrays.fill(record, (byte) 'x');
            ByteBuffer buffer = ByteBuffer.wrap(record);
            long position = 0;
            long syncs = 0;
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            long now = start;
            while (now - end < 0) {
                buffer.rewind();
                while (buffer.hasRemaining()) {
                    position += channel.write(buffer, position);
                }
                channel.force(true);
                syncs++;
                now = System.nanoTime();
            }
            return syncs / ((now - start) / 1e9);
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
