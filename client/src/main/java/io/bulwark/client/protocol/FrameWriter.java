package io.bulwark.client.protocol;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The writer side of a client connection, shared by the client and the node: drains every payload queued
 * for the connection into {@link Wire} frames and writes them with as few system calls as fit the buffer, so
 * under load the number of writes follows the number of batches, not requests. Used by one writer thread.
 */
public final class FrameWriter {

    private static final long POLL_MS = 200;

    private final WritableByteChannel channel;
    private final BlockingQueue<byte[]> queue;
    private final ByteBuffer buffer;
    private final List<byte[]> batch = new ArrayList<>();

    public FrameWriter(WritableByteChannel channel, BlockingQueue<byte[]> queue, int bufferBytes) {
        this.channel = channel;
        this.queue = queue;
        this.buffer = ByteBuffer.allocate(bufferBytes);
    }

    /**
     * Writes queued payloads until {@code stopped} says so (checked at least every 200 ms; an interrupt wakes
     * it sooner).
     *
     * @throws IOException if a write fails; the connection is then unusable
     */
    public void run(BooleanSupplier stopped) throws IOException {
        while (!stopped.getAsBoolean()) {
            byte[] first;
            try {
                first = queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                continue; // close() interrupts; the loop condition decides
            }
            if (first == null) {
                continue;
            }
            batch.clear();
            batch.add(first);
            queue.drainTo(batch);
            buffer.clear();
            for (byte[] p : batch) {
                int need = Wire.HEADER_BYTES + p.length;
                if (need > buffer.remaining()) {
                    flush(buffer);
                }
                if (need > buffer.capacity()) {
                    ByteBuffer alone = ByteBuffer.allocate(need);
                    Wire.putFrame(alone, p);
                    flush(alone);
                    continue;
                }
                Wire.putFrame(buffer, p);
            }
            flush(buffer);
        }
    }

    private void flush(ByteBuffer b) throws IOException {
        b.flip();
        while (b.hasRemaining()) {
            channel.write(b);
        }
        b.clear();
    }
}
