package io.bulwark.server.replication;

import io.bulwark.paxos.Message;
import io.bulwark.paxos.MessageCodec;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * Paxos messages between the replicas of a group over plain TCP.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Each node listens on one port ({@code 0} picks a free one; {@link #localAddress()} reports it) and
 *       opens one outbound connection per peer, lazily, on the first message to it. Every connection starts
 *       with a preamble (magic, wire version, sender id) and then carries frames
 *       {@code [u32 length][u32 CRC32C of payload][payload = u32 group id + MessageCodec bytes]}; see
 *       {@code FrameCodec}. The group id lets one connection between two nodes carry every Paxos group they
 *       share (a node hosts one replica of many partitions); a transport of one group uses
 *       {@link #SINGLE_GROUP}.</li>
 *   <li>Delivery is best effort, which is all Paxos needs: a message may be dropped (peer queue full, peer
 *       unreachable or in reconnect backoff, connection broken mid-write, frame too large) and every drop is
 *       counted in {@link #stats()}. Messages to one peer that are delivered arrive in send order.</li>
 *   <li>A frame whose payload fails its CRC32C is dropped and counted, never delivered; a frame that decodes
 *       badly or is addressed to another node likewise. A length outside {@code [1, maxFrameBytes]} or a bad
 *       preamble closes that connection, because the byte stream can no longer be trusted to be framed.</li>
 *   <li>A broken outbound connection is re-opened on the next message, with exponential backoff between
 *       failed attempts; messages sent during the backoff are dropped rather than queued behind a dead peer.</li>
 *   <li>{@link #close()} closes the listening socket (the port is free when it returns), every connection,
 *       and stops and joins every thread.</li>
 * </ul>
 *
 * <h2>Why blocking NIO and threads rather than Netty</h2>
 * A replica group has two peers per node, so a thread per peer writer and per inbound connection is five
 * threads, mostly parked in a blocking call. Blocking channels keep the code short and the backpressure
 * explicit (a bounded queue per peer that drops when full), need no dependency, and keep the per-message
 * path to one queue hand-off and one batched write. The writer drains everything queued for its peer into one
 * buffer and one {@code write} call, so under load the number of system calls follows the number of batches,
 * not messages. Netty (on the managed dependency list) becomes the better choice when a node hosts many
 * groups and their traffic should share one connection and a few event-loop threads; this class is the
 * one place that would change.
 *
 * <p>Thread-safety: thread-safe. {@link #send} may be called from any thread; the inbound handler is called
 * from the reader thread of the connection the message came on (one thread per inbound connection), so it
 * must be thread-safe and should only hand the message off.
 */
public final class PeerTransport implements AutoCloseable {

    /** Receives inbound messages with the id of the group they belong to; called from reader threads. */
    @FunctionalInterface
    public interface GroupHandler {
        void accept(int group, Message message);
    }

    private record Outgoing(int group, Message message) {
    }

    private static final System.Logger LOG = System.getLogger(PeerTransport.class.getName());
    /** The group id of messages sent with {@link #send(Message)}: a transport that carries one group. */
    public static final int SINGLE_GROUP = 0;
    /** A writer wakes this often with nothing to send, to notice {@link #close()} without an interrupt. */
    private static final long WRITER_POLL_MS = 200;
    private static final int READ_BUFFER_BYTES = 64 << 10;
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(5);

    private final int selfId;
    private final PeerTransportOptions options;
    private final GroupHandler inbound;
    private final ServerSocketChannel server;
    private final InetSocketAddress localAddress;
    private final Thread acceptor;
    private final Map<Integer, PeerLink> peers = new ConcurrentHashMap<>();
    private final Set<InboundConnection> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private final LongAdder messagesSent = new LongAdder();
    private final LongAdder messagesReceived = new LongAdder();
    private final LongAdder writeBatches = new LongAdder();
    private final LongAdder droppedQueueFull = new LongAdder();
    private final LongAdder droppedUnsendable = new LongAdder();
    private final LongAdder droppedBadChecksum = new LongAdder();
    private final LongAdder droppedMalformed = new LongAdder();
    private final LongAdder connectionsOpened = new LongAdder();
    private final LongAdder connectFailures = new LongAdder();
    private final LongAdder connectionsRejected = new LongAdder();

    private PeerTransport(int selfId, PeerTransportOptions options, GroupHandler inbound,
                          ServerSocketChannel server) throws IOException {
        this.selfId = selfId;
        this.options = options;
        this.inbound = inbound;
        this.server = server;
        this.localAddress = (InetSocketAddress) server.getLocalAddress();
        this.acceptor = new Thread(this::acceptLoop, "bulwark-peer-" + selfId + "-acceptor");
        acceptor.setDaemon(true);
    }

    /**
     * Binds {@code bindAddress} (port 0 for an ephemeral port) and starts accepting peer connections.
     *
     * @param selfId   this node's id: messages addressed elsewhere are dropped on arrival
     * @param inbound  receives every intact message addressed to {@code selfId}; called from reader threads
     * @throws IOException if the address cannot be bound
     */
    public static PeerTransport start(int selfId, InetSocketAddress bindAddress, PeerTransportOptions options,
                                      Consumer<Message> inbound) throws IOException {
        Objects.requireNonNull(inbound, "inbound");
        return startMultiplexed(selfId, bindAddress, options, (group, message) -> {
            if (group == SINGLE_GROUP) {
                inbound.accept(message);
            }
        });
    }

    /**
     * As {@link #start(int, InetSocketAddress, PeerTransportOptions, Consumer)}, for a node that hosts many
     * groups: every message travels with its group id, and {@code inbound} receives both.
     */
    public static PeerTransport startMultiplexed(int selfId, InetSocketAddress bindAddress,
                                                 PeerTransportOptions options, GroupHandler inbound)
            throws IOException {
        Objects.requireNonNull(bindAddress, "bindAddress");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(inbound, "inbound");
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(bindAddress);
            PeerTransport transport = new PeerTransport(selfId, options, inbound, server);
            transport.acceptor.start();
            return transport;
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
    }

    /** The address this node listens on, with the actual port if 0 was asked for. */
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** The port this node listens on. */
    public int port() {
        return localAddress.getPort();
    }

    /**
     * Sets (or changes) where peer {@code peerId} listens. A change closes the current connection to it; the
     * next message opens one to the new address.
     */
    public void setPeer(int peerId, InetSocketAddress address) {
        Objects.requireNonNull(address, "address");
        if (peerId == selfId) {
            throw new IllegalArgumentException("node " + selfId + " cannot be its own peer");
        }
        if (closed) {
            return;
        }
        PeerLink link = peers.computeIfAbsent(peerId, id -> {
            PeerLink l = new PeerLink(id, address);
            l.thread.start();
            return l;
        });
        link.retarget(address);
    }

    /**
     * Queues {@code message} for {@code message.to()}. Never blocks.
     *
     * @return false if the message was dropped at once (unknown peer, queue full, transport closed)
     */
    public boolean send(Message message) {
        return send(SINGLE_GROUP, message);
    }

    /**
     * Queues {@code message} of group {@code group} for {@code message.to()}. Never blocks. Messages of all
     * groups to one peer share its connection and its write batches.
     *
     * @return false if the message was dropped at once (unknown peer, queue full, transport closed)
     */
    public boolean send(int group, Message message) {
        PeerLink link = peers.get(message.to());
        if (link == null || closed) {
            droppedUnsendable.increment();
            return false;
        }
        if (!link.queue.offer(new Outgoing(group, message))) {
            droppedQueueFull.increment();
            return false;
        }
        return true;
    }

    /** The counters so far. */
    public TransportStats stats() {
        return new TransportStats(messagesSent.sum(), messagesReceived.sum(), writeBatches.sum(),
                droppedQueueFull.sum(), droppedUnsendable.sum(), droppedBadChecksum.sum(), droppedMalformed.sum(),
                connectionsOpened.sum(), connectFailures.sum(), connectionsRejected.sum());
    }

    /** Stops listening, closes every connection and joins every thread. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(server);
        for (InboundConnection c : connections) {
            closeQuietly(c.channel);
        }
        for (PeerLink link : peers.values()) {
            link.shutdown();
        }
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        join(acceptor, deadline);
        for (PeerLink link : peers.values()) {
            join(link.thread, deadline);
        }
        for (InboundConnection c : connections) {
            join(c.thread, deadline);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inbound.

    private void acceptLoop() {
        while (!closed) {
            SocketChannel channel;
            try {
                channel = server.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                // E.g. out of file descriptors: keep serving the connections we have, try again shortly.
                LOG.log(System.Logger.Level.WARNING, "node " + selfId + ": accept failed: " + e.getMessage());
                parkQuietly(TimeUnit.MILLISECONDS.toNanos(50));
                continue;
            }
            if (connections.size() >= options.maxInboundConnections()) {
                connectionsRejected.increment();
                LOG.log(System.Logger.Level.WARNING, "node " + selfId + ": refusing inbound connection, already "
                        + connections.size() + " (maxInboundConnections)");
                closeQuietly(channel);
                continue;
            }
            InboundConnection connection = new InboundConnection(channel);
            connections.add(connection);
            if (closed) {
                closeQuietly(channel);
                connections.remove(connection);
                return;
            }
            connection.thread.start();
        }
    }

    private final class InboundConnection implements Runnable {
        final SocketChannel channel;
        final Thread thread;

        InboundConnection(SocketChannel channel) {
            this.channel = channel;
            String remote;
            try {
                remote = String.valueOf(channel.getRemoteAddress());
            } catch (IOException e) {
                remote = "?";
            }
            this.thread = new Thread(this, "bulwark-peer-" + selfId + "-reader-" + remote);
            thread.setDaemon(true);
        }

        @Override
        public void run() {
            int sender = -1;
            try (DataInputStream in = new DataInputStream(
                    new BufferedInputStream(Channels.newInputStream(channel), READ_BUFFER_BYTES))) {
                sender = FrameCodec.readPreamble(in);
                while (!closed) {
                    FrameCodec.Frame frame = FrameCodec.readFrame(in, options.maxFrameBytes());
                    if (frame == null) {
                        return;
                    }
                    deliver(frame, sender);
                }
            } catch (FrameCodec.DamagedStreamException e) {
                connectionsRejected.increment();
                LOG.log(System.Logger.Level.WARNING, "node " + selfId + ": closing connection from node " + sender
                        + ": " + e.getMessage());
            } catch (EOFException | ClosedChannelException e) {
                // The peer went away or we are closing: nothing to report.
            } catch (IOException e) {
                if (!closed) {
                    LOG.log(System.Logger.Level.DEBUG, "node " + selfId + ": connection from node " + sender
                            + " lost: " + e.getMessage());
                }
            } finally {
                closeQuietly(channel);
                connections.remove(this);
            }
        }

        private void deliver(FrameCodec.Frame frame, int sender) {
            if (!frame.intact()) {
                droppedBadChecksum.increment();
                return;
            }
            Message message;
            int group;
            try {
                byte[] payload = frame.payload();
                if (payload.length < 4) {
                    throw new IllegalArgumentException("frame of " + payload.length + " bytes has no group id");
                }
                group = ByteBuffer.wrap(payload).getInt();
                message = MessageCodec.decode(java.util.Arrays.copyOfRange(payload, 4, payload.length));
            } catch (IllegalArgumentException e) {
                droppedMalformed.increment();
                return;
            }
            if (message.to() != selfId) {
                droppedMalformed.increment();
                return;
            }
            messagesReceived.increment();
            try {
                inbound.accept(group, message);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "node " + selfId + ": inbound handler failed on a message from "
                        + sender + "; the connection stays up", e);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Outbound.

    /** One peer: its bounded queue, its writer thread and (owned by that thread) its connection. */
    private final class PeerLink implements Runnable {
        final int peerId;
        final ArrayBlockingQueue<Outgoing> queue;
        final Thread thread;
        private volatile InetSocketAddress address;
        /** Written by the writer thread; read by {@link #retarget} and {@link #shutdown} to close it. */
        private volatile SocketChannel channel;
        // Writer-thread state.
        private InetSocketAddress connectedTo;
        /** Volatile: {@link #retarget} clears it from another thread to skip the backoff. */
        private volatile long nextAttemptNanos;
        private long backoffNanos;
        private boolean everConnected;
        private ByteBuffer buffer;

        PeerLink(int peerId, InetSocketAddress address) {
            this.peerId = peerId;
            this.address = address;
            this.queue = new ArrayBlockingQueue<>(options.maxQueuedMessagesPerPeer());
            this.backoffNanos = TimeUnit.MILLISECONDS.toNanos(options.minReconnectBackoffMs());
            this.thread = new Thread(this, "bulwark-peer-" + selfId + "-to-" + peerId);
            thread.setDaemon(true);
        }

        void retarget(InetSocketAddress next) {
            if (!next.equals(address)) {
                address = next;
                // The old address may now belong to nobody (or to someone else): reconnect at once, no backoff.
                nextAttemptNanos = 0;
                closeQuietly(channel);
            }
        }

        void shutdown() {
            closeQuietly(channel);
            thread.interrupt();
        }

        @Override
        public void run() {
            buffer = ByteBuffer.allocate(options.maxBatchBytes());
            List<Outgoing> batch = new ArrayList<>();
            try {
                while (!closed) {
                    Outgoing first;
                    try {
                        first = queue.poll(WRITER_POLL_MS, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        continue; // close() interrupts; the loop condition decides
                    }
                    if (first == null) {
                        continue;
                    }
                    batch.clear();
                    batch.add(first);
                    queue.drainTo(batch);
                    SocketChannel ch = connected();
                    if (ch == null) {
                        droppedUnsendable.add(batch.size());
                        continue;
                    }
                    writeBatch(ch, batch);
                }
            } finally {
                closeQuietly(channel);
                droppedUnsendable.add(queue.size());
                queue.clear();
            }
        }

        /** The open connection to the peer's current address, opening one if allowed; null if not. */
        private SocketChannel connected() {
            InetSocketAddress target = address;
            SocketChannel ch = channel;
            if (ch != null && ch.isOpen() && target.equals(connectedTo)) {
                return ch;
            }
            closeQuietly(ch);
            channel = null;
            if (System.nanoTime() - nextAttemptNanos < 0) {
                return null; // backing off: drop rather than queue behind a dead peer
            }
            SocketChannel opened = null;
            try {
                opened = SocketChannel.open();
                opened.setOption(StandardSocketOptions.TCP_NODELAY, true);
                opened.socket().connect(target, options.connectTimeoutMs());
                ByteBuffer preamble = FrameCodec.preamble(selfId);
                while (preamble.hasRemaining()) {
                    opened.write(preamble);
                }
            } catch (IOException e) {
                closeQuietly(opened);
                connectFailures.increment();
                nextAttemptNanos = System.nanoTime() + backoffNanos;
                backoffNanos = Math.min(backoffNanos * 2, TimeUnit.MILLISECONDS.toNanos(options.maxReconnectBackoffMs()));
                if (!closed) {
                    LOG.log(everConnected ? System.Logger.Level.INFO : System.Logger.Level.DEBUG,
                            "node " + selfId + ": cannot connect to node " + peerId + " at " + target + ": "
                                    + e.getMessage());
                }
                everConnected = false;
                return null;
            }
            connectionsOpened.increment();
            everConnected = true;
            backoffNanos = TimeUnit.MILLISECONDS.toNanos(options.minReconnectBackoffMs());
            connectedTo = target;
            channel = opened;
            if (closed || !target.equals(address)) {
                // close() or retarget() ran while we connected and could not see this channel yet.
                closeQuietly(opened);
                channel = null;
                return null;
            }
            return opened;
        }

        private void writeBatch(SocketChannel ch, List<Outgoing> batch) {
            buffer.clear();
            int inBuffer = 0;
            for (int i = 0; i < batch.size(); i++) {
                Outgoing out = batch.get(i);
                byte[] payload = payload(out.group(), out.message());
                if (payload.length > options.maxFrameBytes()) {
                    droppedUnsendable.increment();
                    LOG.log(System.Logger.Level.WARNING, "node " + selfId + ": dropping a " + payload.length
                            + "-byte message to node " + peerId + ", above maxFrameBytes " + options.maxFrameBytes());
                    continue;
                }
                int frameBytes = FrameCodec.HEADER_BYTES + payload.length;
                if (frameBytes > buffer.remaining() && inBuffer > 0) {
                    if (!flush(ch, buffer, inBuffer, batch.size() - i)) {
                        return;
                    }
                    buffer.clear();
                    inBuffer = 0;
                }
                if (frameBytes > buffer.capacity()) {
                    // One frame larger than a whole batch: written on its own rather than growing the buffer.
                    ByteBuffer alone = ByteBuffer.allocate(frameBytes);
                    FrameCodec.putFrame(alone, payload);
                    if (!flush(ch, alone, 1, batch.size() - i - 1)) {
                        return;
                    }
                    continue;
                }
                FrameCodec.putFrame(buffer, payload);
                inBuffer++;
            }
            if (inBuffer > 0) {
                flush(ch, buffer, inBuffer, 0);
            }
        }

        /** Writes {@code frames} frames from {@code buf}; on failure drops them and the {@code rest} too. */
        private boolean flush(SocketChannel ch, ByteBuffer buf, int frames, int rest) {
            buf.flip();
            try {
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            } catch (IOException e) {
                droppedUnsendable.add(frames + rest);
                closeQuietly(ch);
                channel = null;
                if (!closed) {
                    LOG.log(System.Logger.Level.INFO, "node " + selfId + ": connection to node " + peerId
                            + " lost: " + e.getMessage());
                }
                return false;
            }
            writeBatches.increment();
            messagesSent.add(frames);
            return true;
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    /** A frame's payload: the group id, then the message. */
    static byte[] payload(int group, Message message) {
        byte[] encoded = MessageCodec.encode(message);
        return ByteBuffer.allocate(4 + encoded.length).putInt(group).put(encoded).array();
    }

    private static void join(Thread thread, long deadlineNanos) {
        long remaining = deadlineNanos - System.nanoTime();
        if (remaining <= 0 || thread == Thread.currentThread()) {
            return;
        }
        try {
            thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            LOG.log(System.Logger.Level.WARNING, "thread " + thread.getName() + " did not stop within "
                    + JOIN_TIMEOUT.toMillis() + " ms of close()");
        }
    }

    private static void parkQuietly(long nanos) {
        java.util.concurrent.locks.LockSupport.parkNanos(nanos);
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (IOException e) {
            // Closing is best effort; the descriptor is released either way.
        }
    }
}
