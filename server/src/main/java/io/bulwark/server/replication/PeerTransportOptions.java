package io.bulwark.server.replication;

/**
 * Limits of a {@link PeerTransport}, validated when constructed. Immutable and thread-safe.
 *
 * @param maxQueuedMessagesPerPeer  outbound messages waiting for one peer's writer; a message sent when the
 *                                  queue is full is dropped and counted (Paxos retransmits what matters)
 * @param maxFrameBytes             largest frame payload sent or accepted; a larger outbound message is
 *                                  dropped, a larger inbound length closes the connection
 * @param maxBatchBytes             the writer gathers queued frames into one write of at most this many bytes
 *                                  (a single larger frame is still written alone)
 * @param maxInboundConnections     accepted connections beyond this are closed at once
 * @param connectTimeoutMs          a connection attempt to a peer gives up after this long
 * @param minReconnectBackoffMs     first wait after a failed connection attempt
 * @param maxReconnectBackoffMs     the wait doubles after every consecutive failure up to this
 */
public record PeerTransportOptions(int maxQueuedMessagesPerPeer, int maxFrameBytes, int maxBatchBytes,
                                   int maxInboundConnections, int connectTimeoutMs, int minReconnectBackoffMs,
                                   int maxReconnectBackoffMs) {

    /** Upper bound of {@link #maxFrameBytes}: a reader allocates a whole frame at once. */
    public static final int MAX_FRAME_BYTES_LIMIT = 256 << 20;

    /** Validates every limit; see the components for what they mean. */
    public PeerTransportOptions {
        requireIn(maxQueuedMessagesPerPeer, 1, 1 << 20, "maxQueuedMessagesPerPeer");
        requireIn(maxFrameBytes, 64, MAX_FRAME_BYTES_LIMIT, "maxFrameBytes");
        requireIn(maxBatchBytes, 1024, MAX_FRAME_BYTES_LIMIT, "maxBatchBytes");
        requireIn(maxInboundConnections, 1, 65_536, "maxInboundConnections");
        requireIn(connectTimeoutMs, 1, 60_000, "connectTimeoutMs");
        requireIn(minReconnectBackoffMs, 1, 60_000, "minReconnectBackoffMs");
        requireIn(maxReconnectBackoffMs, minReconnectBackoffMs, 600_000, "maxReconnectBackoffMs (at least minReconnectBackoffMs)");
    }

    /**
     * 4,096 queued messages per peer, 32 MiB frames (enough for a full pipeline window of 64 KiB batches in
     * one promise), 256 KiB writes, 64 inbound connections, 1 s connect timeout, backoff 10 ms to 1 s.
     */
    public static PeerTransportOptions defaults() {
        return new PeerTransportOptions(4_096, 32 << 20, 256 << 10, 64, 1_000, 10, 1_000);
    }

    /** A copy with another outbound queue bound. */
    public PeerTransportOptions withMaxQueuedMessagesPerPeer(int messages) {
        return new PeerTransportOptions(messages, maxFrameBytes, maxBatchBytes, maxInboundConnections, connectTimeoutMs,
                minReconnectBackoffMs, maxReconnectBackoffMs);
    }

    /** A copy with another frame size limit. */
    public PeerTransportOptions withMaxFrameBytes(int bytes) {
        return new PeerTransportOptions(maxQueuedMessagesPerPeer, bytes, maxBatchBytes, maxInboundConnections,
                connectTimeoutMs, minReconnectBackoffMs, maxReconnectBackoffMs);
    }

    private static void requireIn(long value, long min, long max, String name) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be in [" + min + ", " + max + "], was " + value);
        }
    }
}
