package io.bulwark.server.replication;

/**
 * Counters of one {@link PeerTransport} since it started, read at one moment (each counter is exact; the
 * set is not an atomic snapshot). Immutable.
 *
 * @param messagesSent          messages written to a socket
 * @param messagesReceived      messages decoded and handed to the node
 * @param writeBatches          socket writes; {@code messagesSent / writeBatches} is the batching factor
 * @param droppedQueueFull      outbound messages dropped because a peer's queue was full
 * @param droppedUnsendable     outbound messages dropped because the peer was unreachable, unknown, the
 *                              connection failed under them, or they exceeded the frame limit
 * @param droppedBadChecksum    inbound frames whose payload failed its CRC32C (never delivered)
 * @param droppedMalformed      inbound frames with an intact CRC that did not decode, or were addressed to
 *                              another node (never delivered)
 * @param connectionsOpened     successful outbound connections
 * @param connectFailures       failed outbound connection attempts
 * @param connectionsRejected   inbound connections refused (bad preamble, over the limit, damaged framing)
 */
public record TransportStats(long messagesSent, long messagesReceived, long writeBatches, long droppedQueueFull,
                             long droppedUnsendable, long droppedBadChecksum, long droppedMalformed,
                             long connectionsOpened, long connectFailures, long connectionsRejected) {
}
