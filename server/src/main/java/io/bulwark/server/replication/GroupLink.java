package io.bulwark.server.replication;

import io.bulwark.paxos.Message;
import java.net.InetSocketAddress;

/**
 * A replica driver's way to its peers: a {@link PeerTransport} of its own, or one group's share of a
 * node's multiplexed transport. Delivery is best effort, as Paxos needs.
 *
 * <p>Thread-safety: implementations are thread-safe.
 */
public interface GroupLink extends AutoCloseable {

    /** Queues {@code message} for {@code message.to()}; never blocks. False if it was dropped at once. */
    boolean send(Message message);

    /** Where inbound messages for this group arrive. */
    InetSocketAddress localAddress();

    /** Tells the link where peer {@code peerId} listens (a shared transport may know it already). */
    void setPeer(int peerId, InetSocketAddress address);

    /** The underlying transport's counters (shared by every group on it). */
    TransportStats stats();

    /** Stops delivering to and sending for this group; closes the transport if it is the group's own. */
    @Override
    void close();

    /** A link owning a whole {@link PeerTransport}. */
    static GroupLink own(PeerTransport transport) {
        return new GroupLink() {
            @Override
            public boolean send(Message message) {
                return transport.send(message);
            }

            @Override
            public InetSocketAddress localAddress() {
                return transport.localAddress();
            }

            @Override
            public void setPeer(int peerId, InetSocketAddress address) {
                transport.setPeer(peerId, address);
            }

            @Override
            public TransportStats stats() {
                return transport.stats();
            }

            @Override
            public void close() {
                transport.close();
            }
        };
    }
}
