package io.bulwark.server.node;

import io.bulwark.client.protocol.FrameWriter;
import io.bulwark.client.protocol.Wire;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The client port of a node: accepts connections that speak {@link Wire}, hands each decoded request to
 * the node with a way to answer it, and writes the answers back batched. Each connection has a reader
 * thread (decode, dispatch; never blocks on a replica) and a writer thread (drains every queued answer into
 * one write). A connection that breaks the protocol is closed; the client retries elsewhere.
 *
 * <p>Thread-safety: thread-safe; the responder handed to the handler may be called from any thread.
 */
final class ClientService implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ClientService.class.getName());
    private static final int MAX_CONNECTIONS = 4_096;
    private static final int WRITE_BUFFER_BYTES = 256 << 10;

    /** Answers one request: called with the whole response payload. */
    interface Responder {
        void respond(byte[] response);
    }

    private final int nodeId;
    private final ServerSocketChannel server;
    private final BiConsumer<Wire.Request, Responder> handler;
    private final Thread acceptor;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    ClientService(int nodeId, InetSocketAddress bind, BiConsumer<Wire.Request, Responder> handler) throws IOException {
        this.nodeId = nodeId;
        this.handler = handler;
        this.server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(bind, 512);
        } catch (IOException e) {
            server.close();
            throw new IOException("node " + nodeId + " cannot listen for clients on " + bind + ": " + e.getMessage(), e);
        }
        this.acceptor = new Thread(this::acceptLoop, "bulwark-node-" + nodeId + "-client-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) server.getLocalAddress();
    }

    int connectionCount() {
        return connections.size();
    }

    private void acceptLoop() {
        while (!closed) {
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": accept failed: " + e.getMessage());
                java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
                continue;
            }
            if (connections.size() >= MAX_CONNECTIONS) {
                LOG.log(System.Logger.Level.WARNING, "node " + nodeId + ": refusing a client connection, "
                        + MAX_CONNECTIONS + " already open");
                closeQuietly(ch);
                continue;
            }
            try {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            } catch (IOException e) {
                closeQuietly(ch);
                continue;
            }
            Connection c = new Connection(ch);
            connections.add(c);
            if (closed) {
                c.close();
                return;
            }
            c.start();
        }
    }

    private final class Connection {
        final SocketChannel channel;
        final LinkedBlockingQueue<byte[]> out = new LinkedBlockingQueue<>();
        final Thread reader;
        final Thread writer;
        volatile boolean done;

        Connection(SocketChannel channel) {
            this.channel = channel;
            this.reader = new Thread(this::read, "bulwark-node-" + nodeId + "-client-reader");
            this.writer = new Thread(this::write, "bulwark-node-" + nodeId + "-client-writer");
            reader.setDaemon(true);
            writer.setDaemon(true);
        }

        void start() {
            reader.start();
            writer.start();
        }

        void close() {
            done = true;
            closeQuietly(channel);
            writer.interrupt();
            connections.remove(this);
        }

        private void read() {
            try (DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel),
                    64 << 10))) {
                Wire.readPreamble(in);
                while (!done) {
                    byte[] payload = Wire.readFrame(in);
                    if (payload == null) {
                        return;
                    }
                    Wire.Request request;
                    try {
                        request = Wire.decodeRequest(payload);
                    } catch (IllegalArgumentException e) {
                        long id = Wire.requestIdOf(payload);
                        out.add(Wire.errorResponse(id, Wire.BAD_REQUEST, -1, e.getMessage()));
                        continue;
                    }
                    try {
                        handler.accept(request, response -> {
                            if (!done) {
                                out.add(response);
                            }
                        });
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.ERROR, "node " + nodeId + ": request handler failed", e);
                        out.add(Wire.errorResponse(request.id(), Wire.UNAVAILABLE, -1,
                                "node " + nodeId + " failed to handle the request: " + e));
                    }
                }
            } catch (EOFException | ClosedChannelException e) {
                // Client went away or we are closing.
            } catch (IOException e) {
                if (!done && !closed) {
                    LOG.log(System.Logger.Level.DEBUG, "node " + nodeId + ": client connection closed: " + e.getMessage());
                }
            } finally {
                close();
            }
        }

        private void write() {
            try {
                new FrameWriter(channel, out, WRITE_BUFFER_BYTES).run(() -> done);
            } catch (IOException e) {
                // The reader notices the broken channel too.
            } finally {
                close();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(server);
        for (Connection c : connections) {
            c.close();
        }
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // best effort
        }
    }
}
