package io.bulwark.server.node;

import io.bulwark.paxos.Message;
import io.bulwark.server.replication.GroupLink;
import io.bulwark.server.replication.GroupLinkFactory;
import io.bulwark.server.replication.PeerTransport;
import io.bulwark.server.replication.PeerTransportOptions;
import io.bulwark.server.replication.TransportStats;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * One node's peer transport shared by every partition group it hosts: one listening port, one connection
 * per peer node, every group's messages multiplexed on it by group id and written in common batches.
 * Messages for a group this node does not host (yet, or any more) are dropped and counted.
 *
 * <p>Thread-safety: thread-safe.
 */
final class NodeTransport implements AutoCloseable {

    private final PeerTransport transport;
    private final Map<Integer, Consumer<Message>> groups = new ConcurrentHashMap<>();
    private final LongAdder unroutable = new LongAdder();

    private NodeTransport(int nodeId, InetSocketAddress bind, PeerTransportOptions options) throws IOException {
        this.transport = PeerTransport.startMultiplexed(nodeId, bind, options, this::route);
    }

    static NodeTransport start(int nodeId, InetSocketAddress bind, PeerTransportOptions options) throws IOException {
        return new NodeTransport(nodeId, bind, options);
    }

    private void route(int group, Message message) {
        Consumer<Message> handler = groups.get(group);
        if (handler == null) {
            unroutable.increment();
            return;
        }
        handler.accept(message);
    }

    void setPeer(int nodeId, InetSocketAddress address) {
        transport.setPeer(nodeId, address);
    }

    InetSocketAddress localAddress() {
        return transport.localAddress();
    }

    long unroutable() {
        return unroutable.sum();
    }

    TransportStats stats() {
        return transport.stats();
    }

    /** The link factory for group {@code group}: registering it routes the group's inbound messages. */
    GroupLinkFactory linkFor(int group) {
        return inbound -> {
            if (groups.putIfAbsent(group, inbound) != null) {
                throw new IOException("group " + group + " already has a replica on this node");
            }
            return new GroupLink() {
                @Override
                public boolean send(Message message) {
                    return transport.send(group, message);
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
                    groups.remove(group, inbound);
                }
            };
        };
    }

    @Override
    public void close() {
        transport.close();
    }
}
