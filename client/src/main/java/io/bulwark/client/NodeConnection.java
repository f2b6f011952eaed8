package io.bulwark.client;

import io.bulwark.client.protocol.FrameWriter;
import io.bulwark.client.protocol.Wire;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One pipelined connection to one node: requests are written by a writer thread (everything queued goes
 * out in one write), answers are read by a reader thread and paired with their request by id. When the
 * connection breaks, every request in flight on it fails with an {@link IOException}; the client then
 * retries them elsewhere. Thread-safe.
 */
final class NodeConnection implements AutoCloseable {

    private final int nodeId;
    private final SocketChannel channel;
    /** A request in flight and when it gives up. */
    private record Pending(CompletableFuture<Wire.Response> future, long deadlineNanos) {
    }

    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<byte[]> out = new LinkedBlockingQueue<>();
    private final AtomicLong nextId = new AtomicLong();
    private final Thread reader;
    private final Thread writer;
    private volatile boolean closed;
    private volatile IOException failure;

    private NodeConnection(int nodeId, SocketChannel channel) {
        this.nodeId = nodeId;
        this.channel = channel;
        this.reader = new Thread(this::readLoop, "bulwark-client-reader-" + nodeId);
        this.writer = new Thread(this::writeLoop, "bulwark-client-writer-" + nodeId);
        reader.setDaemon(true);
        writer.setDaemon(true);
    }

    /** Connects (blocking, bounded by {@code connectTimeoutMs}) and sends the preamble. */
    static NodeConnection open(int nodeId, InetSocketAddress address, int connectTimeoutMs) throws IOException {
        SocketChannel ch = SocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(address, connectTimeoutMs);
            ByteBuffer pre = Wire.preamble();
            while (pre.hasRemaining()) {
                ch.write(pre);
            }
        } catch (IOException e) {
            ch.close();
            throw new IOException("cannot connect to node " + nodeId + " at " + address + ": " + e.getMessage(), e);
        }
        NodeConnection c = new NodeConnection(nodeId, ch);
        c.reader.start();
        c.writer.start();
        return c;
    }

    int nodeId() {
        return nodeId;
    }

    boolean isOpen() {
        return !closed;
    }

    /** The next request id on this connection. */
    long nextRequestId() {
        return nextId.incrementAndGet();
    }

    /**
     * Sends a request payload whose id is {@code id}; the future completes with its answer, or fails with an
     * {@link IOException} if the connection breaks, or a {@link java.util.concurrent.TimeoutException} once
     * {@code timeoutNanos} pass (checked by {@link #expire}, so no timer task is scheduled per request).
     */
    CompletableFuture<Wire.Response> send(long id, byte[] payload, long timeoutNanos) {
        CompletableFuture<Wire.Response> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(brokenException());
            return f;
        }
        pending.put(id, new Pending(f, System.nanoTime() + timeoutNanos));
        out.add(payload);
        if (closed && pending.remove(id) != null) {
            f.completeExceptionally(brokenException());
        }
        return f;
    }

    /** Fails every request whose deadline passed; a late answer to one is then dropped. */
    void expire(long now) {
        for (Map.Entry<Long, Pending> e : pending.entrySet()) {
            if (now - e.getValue().deadlineNanos() >= 0 && pending.remove(e.getKey(), e.getValue())) {
                e.getValue().future().completeExceptionally(new java.util.concurrent.TimeoutException(
                        "node " + nodeId + " did not answer in time"));
            }
        }
    }

    private IOException brokenException() {
        IOException f = failure;
        return f != null ? f : new IOException("connection to node " + nodeId + " is closed");
    }

    private void readLoop() {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel),
                64 << 10))) {
            while (!closed) {
                byte[] payload = Wire.readFrame(in);
                if (payload == null) {
                    fail(new IOException("node " + nodeId + " closed the connection"));
                    return;
                }
                Wire.Response r;
                try {
                    r = Wire.decodeResponse(payload);
                } catch (IllegalArgumentException e) {
                    fail(new IOException("node " + nodeId + " sent a malformed answer: " + e.getMessage()));
                    return;
                }
                Pending p = pending.remove(r.id());
                if (p != null) {
                    p.future().complete(r);
                }
            }
        } catch (IOException e) {
            fail(new IOException("connection to node " + nodeId + " lost: " + e.getMessage(), e));
        }
    }

    private void writeLoop() {
        try {
            new FrameWriter(channel, out, 256 << 10).run(() -> closed);
        } catch (IOException e) {
            fail(new IOException("connection to node " + nodeId + " lost while writing: " + e.getMessage(), e));
        }
    }

    private void fail(IOException e) {
        if (failure == null) {
            failure = e;
        }
        close();
    }

    @Override
    public void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException e) {
            // best effort
        }
        writer.interrupt();
        IOException e = brokenException();
        for (Long id : List.copyOf(pending.keySet())) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.future().completeExceptionally(e);
            }
        }
        out.clear();
    }
}
