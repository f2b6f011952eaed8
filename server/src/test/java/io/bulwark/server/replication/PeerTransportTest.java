package io.bulwark.server.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.paxos.Ballot;
import io.bulwark.paxos.Message;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Real loopback sockets on ports chosen by the OS; every wait has a deadline. */
class PeerTransportTest {

    private static final Duration DEADLINE = Duration.ofSeconds(5);
    private static final InetSocketAddress ANY_LOOPBACK_PORT = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private final LinkedBlockingQueue<Message> receivedBy1 = new LinkedBlockingQueue<>();
    private final LinkedBlockingQueue<Message> receivedBy2 = new LinkedBlockingQueue<>();
    private PeerTransport one;
    private PeerTransport two;

    @AfterEach
    void closeAll() {
        if (one != null) {
            one.close();
        }
        if (two != null) {
            two.close();
        }
    }

    private static Message heartbeat(int from, int to, long round) {
        return new Message.Heartbeat(from, to, new Ballot(3, from), 7, round);
    }

    @Test
    void messagesFlowBothWaysInOrder() throws Exception {
        one = PeerTransport.start(1, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy1::add);
        two = PeerTransport.start(2, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy2::add);
        assertThat(one.port()).isPositive().isNotEqualTo(two.port());
        one.setPeer(2, two.localAddress());
        two.setPeer(1, one.localAddress());

        for (int i = 1; i <= 500; i++) {
            assertThat(one.send(heartbeat(1, 2, i))).isTrue();
        }
        two.send(heartbeat(2, 1, 99));

        for (int i = 1; i <= 500; i++) {
            assertThat(receivedBy2.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(heartbeat(1, 2, i));
        }
        assertThat(receivedBy1.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(heartbeat(2, 1, 99));
        TransportStats stats = one.stats();
        assertThat(stats.messagesSent()).isEqualTo(500);
        // The writer drains its queue into one write when messages wait: fewer writes than messages.
        assertThat(stats.writeBatches()).isBetween(1L, 500L);
        assertThat(two.stats().messagesReceived()).isEqualTo(500);
    }

    @Test
    void frameFailingItsChecksumIsDroppedAndCountedNeverDelivered() throws Exception {
        one = PeerTransport.start(1, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy1::add);
        byte[] damaged = FrameCodec.frame(PeerTransport.payload(PeerTransport.SINGLE_GROUP, heartbeat(2, 1, 1)));
        damaged[damaged.length - 1] ^= 0x01; // one bit flipped in the payload: the CRC no longer matches
        byte[] intact = FrameCodec.frame(PeerTransport.payload(PeerTransport.SINGLE_GROUP, heartbeat(2, 1, 2)));

        try (SocketChannel raw = SocketChannel.open(one.localAddress())) {
            writeFully(raw, FrameCodec.preamble(2));
            writeFully(raw, ByteBuffer.wrap(damaged));
            writeFully(raw, ByteBuffer.wrap(intact));

            // Frames on one connection are read in order: once the intact one arrived, the damaged one was judged.
            assertThat(receivedBy1.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(heartbeat(2, 1, 2));
        }
        assertThat(receivedBy1).isEmpty();
        assertThat(one.stats().droppedBadChecksum()).isEqualTo(1);
        assertThat(one.stats().messagesReceived()).isEqualTo(1);
    }

    @Test
    void lengthBeyondTheFrameLimitClosesTheConnection() throws Exception {
        PeerTransportOptions small = PeerTransportOptions.defaults().withMaxFrameBytes(1024);
        one = PeerTransport.start(1, ANY_LOOPBACK_PORT, small, receivedBy1::add);
        try (SocketChannel raw = SocketChannel.open(one.localAddress())) {
            writeFully(raw, FrameCodec.preamble(2));
            writeFully(raw, ByteBuffer.allocate(8).putInt(1025).putInt(0).flip());
            awaitCount(() -> one.stats().connectionsRejected(), 1);
            // The node closed its end: reading hits end of stream rather than blocking.
            assertThat(raw.read(ByteBuffer.allocate(1))).isEqualTo(-1);
        }
        assertThat(receivedBy1).isEmpty();
    }

    @Test
    void connectionWithoutThePreambleIsRejected() throws Exception {
        one = PeerTransport.start(1, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy1::add);
        try (SocketChannel raw = SocketChannel.open(one.localAddress())) {
            writeFully(raw, ByteBuffer.wrap("GET / HTTP/1.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            awaitCount(() -> one.stats().connectionsRejected(), 1);
        }
        assertThat(receivedBy1).isEmpty();
    }

    @Test
    void messagesToUnknownOrUnreachablePeersAreDroppedAndCounted() throws Exception {
        one = PeerTransport.start(1, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy1::add);
        assertThat(one.send(heartbeat(1, 9, 1))).isFalse();
        assertThat(one.stats().droppedUnsendable()).isEqualTo(1);

        // A port that was just free: connecting to it is refused.
        InetSocketAddress nobody;
        try (ServerSocketChannel probe = ServerSocketChannel.open().bind(ANY_LOOPBACK_PORT)) {
            nobody = (InetSocketAddress) probe.getLocalAddress();
        }
        one.setPeer(3, nobody);
        one.send(heartbeat(1, 3, 1));
        awaitCount(() -> one.stats().connectFailures(), 1);
        awaitCount(() -> one.stats().droppedUnsendable(), 2);
    }

    @Test
    void reconnectsAfterThePeerRestartsOnANewPort() throws Exception {
        one = PeerTransport.start(1, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy1::add);
        two = PeerTransport.start(2, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy2::add);
        one.setPeer(2, two.localAddress());
        one.send(heartbeat(1, 2, 1));
        assertThat(receivedBy2.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(heartbeat(1, 2, 1));

        two.close();
        two = PeerTransport.start(2, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy2::add);
        one.setPeer(2, two.localAddress());
        // Messages racing the switch may be dropped (best effort); keep sending until one arrives.
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        Message got = null;
        for (long round = 2; got == null && System.nanoTime() < deadline; round++) {
            one.send(heartbeat(1, 2, round));
            got = receivedBy2.poll(20, TimeUnit.MILLISECONDS);
        }
        assertThat(got).isNotNull();
        assertThat(one.stats().connectionsOpened()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void closeReleasesThePort() throws Exception {
        one = PeerTransport.start(1, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy1::add);
        two = PeerTransport.start(2, ANY_LOOPBACK_PORT, PeerTransportOptions.defaults(), receivedBy2::add);
        one.setPeer(2, two.localAddress());
        two.setPeer(1, one.localAddress());
        one.send(heartbeat(1, 2, 1));
        assertThat(receivedBy2.poll(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isNotNull();
        InetSocketAddress address = one.localAddress();

        one.close();

        try (ServerSocketChannel again = ServerSocketChannel.open()) {
            again.setOption(java.net.StandardSocketOptions.SO_REUSEADDR, true);
            again.bind(address);
            assertThat(((InetSocketAddress) again.getLocalAddress()).getPort()).isEqualTo(address.getPort());
        }
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().startsWith("bulwark-peer-1-"));
    }

    private static void writeFully(SocketChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Waits, with a deadline, until a counter reaches {@code atLeast}. */
    private static void awaitCount(LongSupplier counter, long atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        Object gate = new Object();
        synchronized (gate) {
            while (counter.getAsLong() < atLeast) {
                assertThat(System.nanoTime()).as("counter still %d, expected %d", counter.getAsLong(), atLeast)
                        .isLessThan(deadline);
                gate.wait(5); // a bounded poll of a counter nobody signals; never longer than 5 ms
            }
        }
    }
}
