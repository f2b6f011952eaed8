package io.bulwark.client.protocol;

import io.bulwark.core.Checksums;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The byte layout of a client connection to a Bulwark node, shared by the client and the server.
 *
 * <p>A connection starts with an 8-byte preamble from the client ({@code u32 magic "BWKV", u32 version}).
 * Both directions then carry frames {@code [u32 length][u32 CRC32C of payload][payload]}, big-endian. A
 * frame whose payload fails its CRC, or whose length is outside {@code [1, MAX_FRAME_BYTES]}, ends the
 * connection: requests are retried by the client, so dropping a connection is always safe.
 *
 * <p>Request payload: {@code [u64 request id][u8 type][body]}; the types are
 * <ul>
 *   <li>{@link #TOPOLOGY}: empty body; answered with {@link Topology#encode()}.</li>
 *   <li>{@link #WRITE}: {@code [u32 partition][u64 client id][u64 sequence][KvCommand bytes]}; replicated
 *       through the partition's Paxos group, at most once per (client id, sequence).</li>
 *   <li>{@link #READ}: {@code [u32 partition][KvCommand bytes]} (a get or scan), linearizable.</li>
 *   <li>{@link #STATUS}: empty body; answered with {@link NodeStatus#encode()}.</li>
 *   <li>Admin requests, used to move replicas between nodes (see the server's {@code Rebalancer}):
 *       {@link #ADD_REPLICA} {@code [u32 partition][u64 incarnation][membership]} starts a replica of the
 *       partition here, on new storage; {@link #PROPOSE_MEMBERSHIP} {@code [u32 partition][u64 node][u64
 *       incarnation][u8 change]} asks this node's replica to propose its membership with that node added as a
 *       learner ({@link #ADD_LEARNER}) or removed ({@link #REMOVE_MEMBER}), answered with the
 *       {@code ProposeResult} ordinal and, if queued, the membership proposed; {@link #REMOVE_REPLICA} {@code [u32 partition]} stops this node's replica for good;
 *       {@link #SET_DEFINITION} {@code [UTF-8 cluster definition]} replaces the node's cluster definition.</li>
 * </ul>
 * Response payload: {@code [u64 request id][u8 status][body]}: {@link #OK} with the answer (a
 * {@code KvResult} for reads and writes), or an error status with {@code [i32 leader hint][UTF-8 message]}.
 * Responses may come in any order; the request id pairs them.
 *
 * <p>Stateless and thread-safe.
 */
public final class Wire {

    /** "BWKV": Bulwark key-value. */
    public static final int MAGIC = 0x42574B56;
    public static final int VERSION = 1;
    public static final int PREAMBLE_BYTES = 8;
    public static final int HEADER_BYTES = 8;
    /** Largest frame either side accepts. */
    public static final int MAX_FRAME_BYTES = 16 << 20;

    public static final byte TOPOLOGY = 1;
    public static final byte WRITE = 2;
    public static final byte READ = 3;
    public static final byte STATUS = 4;
    public static final byte ADD_REPLICA = 5;
    public static final byte PROPOSE_MEMBERSHIP = 6;
    public static final byte REMOVE_REPLICA = 7;
    public static final byte SET_DEFINITION = 8;
    public static final byte ADD_LEARNER = 1;
    public static final byte REMOVE_MEMBER = 2;

    /** The request succeeded; the body is the answer. */
    public static final byte OK = 0;
    /** This replica does not lead the partition; the hint says who may ({@code -1}: unknown). */
    public static final byte NOT_LEADER = 1;
    /** This node holds no replica of the partition: the client's topology is stale. */
    public static final byte NOT_HOSTED = 2;
    /** The replica is overloaded: back off and retry. */
    public static final byte OVERLOADED = 3;
    /** The replica is stopped or failed: try another. */
    public static final byte UNAVAILABLE = 4;
    /** The request is malformed or invalid; retrying it cannot help. */
    public static final byte BAD_REQUEST = 5;
    /** A later command of this client session was already applied; this one's result is gone. */
    public static final byte STALE = 6;

    private Wire() {
    }

    /** The preamble a client sends first. */
    public static ByteBuffer preamble() {
        return ByteBuffer.allocate(PREAMBLE_BYTES).putInt(MAGIC).putInt(VERSION).flip();
    }

    /**
     * Reads and checks the preamble.
     *
     * @throws IOException if the stream ends or this is not a Bulwark client connection of this version
     */
    public static void readPreamble(DataInputStream in) throws IOException {
        int magic = in.readInt();
        int version = in.readInt();
        if (magic != MAGIC) {
            throw new IOException(String.format("not a Bulwark client connection (magic 0x%08x)", magic));
        }
        if (version != VERSION) {
            throw new IOException("client speaks wire version " + version + ", this node speaks " + VERSION);
        }
    }

    /** Appends one frame around {@code payload} to {@code out}, which must have room for it. */
    public static void putFrame(ByteBuffer out, byte[] payload) {
        out.putInt(payload.length).putInt(Checksums.crc32c(payload)).put(payload);
    }

    /**
     * Sends one request on a fresh blocking connection and returns the answer: for diagnostics and tests that must
     * get past the client's own checks (the client keeps pooled connections and never uses this).
     *
     * @throws IOException if the node cannot be reached or the connection ends before an answer
     */
    public static Response exchange(java.net.InetSocketAddress node, byte[] request) throws IOException {
        try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(node)) {
            ByteBuffer pre = preamble();
            while (pre.hasRemaining()) {
                ch.write(pre);
            }
            ByteBuffer frame = ByteBuffer.allocate(HEADER_BYTES + request.length);
            putFrame(frame, request);
            frame.flip();
            while (frame.hasRemaining()) {
                ch.write(frame);
            }
            byte[] answer = readFrame(new DataInputStream(java.nio.channels.Channels.newInputStream(ch)));
            if (answer == null) {
                throw new EOFException("node " + node + " closed the connection without answering");
            }
            return decodeResponse(answer);
        }
    }

    /**
     * Reads the next frame's payload, checked against its CRC.
     *
     * @return the payload, or null at a clean end of stream
     * @throws IOException if the stream ends inside a frame, the length is out of bounds or the CRC fails
     */
    public static byte[] readFrame(DataInputStream in) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        int length = (first << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        if (length < 1 || length > MAX_FRAME_BYTES) {
            throw new IOException("frame length " + Integer.toUnsignedString(length) + " outside [1, "
                    + MAX_FRAME_BYTES + "]: the stream is damaged");
        }
        int crc = in.readInt();
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new EOFException("connection closed inside a frame of " + length + " bytes");
        }
        if (Checksums.crc32c(payload) != crc) {
            throw new IOException("a frame of " + length + " bytes failed its CRC32C: the connection is damaged");
        }
        return payload;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Requests.

    /** A decoded request. {@code partition}, {@code clientId}, {@code sequence} are 0 where unused. */
    public record Request(long id, byte type, int partition, long clientId, long sequence, byte[] command) {
    }

    public static byte[] topologyRequest(long id) {
        return ByteBuffer.allocate(9).putLong(id).put(TOPOLOGY).array();
    }

    public static byte[] statusRequest(long id) {
        return ByteBuffer.allocate(9).putLong(id).put(STATUS).array();
    }

    public static byte[] writeRequest(long id, int partition, long clientId, long sequence, byte[] command) {
        return ByteBuffer.allocate(9 + 4 + 16 + command.length).putLong(id).put(WRITE).putInt(partition)
                .putLong(clientId).putLong(sequence).put(command).array();
    }

    public static byte[] addReplicaRequest(long id, int partition, long incarnation, byte[] membership) {
        return writeRequest(id, partition, incarnation, 0, membership, ADD_REPLICA);
    }

    public static byte[] proposeMembershipRequest(long id, int partition, int node, long incarnation, byte change) {
        return writeRequest(id, partition, node, incarnation, new byte[] {change}, PROPOSE_MEMBERSHIP);
    }

    public static byte[] removeReplicaRequest(long id, int partition) {
        return writeRequest(id, partition, 0, 0, new byte[0], REMOVE_REPLICA);
    }

    public static byte[] setDefinitionRequest(long id, String definition) {
        return writeRequest(id, 0, 0, 0, definition.getBytes(StandardCharsets.UTF_8), SET_DEFINITION);
    }

    private static byte[] writeRequest(long id, int partition, long a, long b, byte[] body, byte type) {
        return ByteBuffer.allocate(9 + 4 + 16 + body.length).putLong(id).put(type).putInt(partition)
                .putLong(a).putLong(b).put(body).array();
    }

    public static byte[] readRequest(long id, int partition, byte[] query) {
        return ByteBuffer.allocate(9 + 4 + query.length).putLong(id).put(READ).putInt(partition).put(query).array();
    }

    /** Decodes a request payload; malformed → {@link IllegalArgumentException}. */
    public static Request decodeRequest(byte[] payload) {
        if (payload.length < 9) {
            throw new IllegalArgumentException("request of " + payload.length + " bytes is too short");
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        long id = b.getLong();
        byte type = b.get();
        switch (type) {
            case TOPOLOGY, STATUS -> {
                return new Request(id, type, 0, 0, 0, null);
            }
            case WRITE, ADD_REPLICA, PROPOSE_MEMBERSHIP, REMOVE_REPLICA, SET_DEFINITION -> {
                if (b.remaining() < 20) {
                    throw new IllegalArgumentException("write request of " + payload.length + " bytes is too short");
                }
                int partition = b.getInt();
                long client = b.getLong();
                long seq = b.getLong();
                byte[] command = new byte[b.remaining()];
                b.get(command);
                return new Request(id, type, partition, client, seq, command);
            }
            case READ -> {
                if (b.remaining() < 4) {
                    throw new IllegalArgumentException("read request of " + payload.length + " bytes is too short");
                }
                int partition = b.getInt();
                byte[] query = new byte[b.remaining()];
                b.get(query);
                return new Request(id, type, partition, 0, 0, query);
            }
            default -> throw new IllegalArgumentException("unknown request type " + type);
        }
    }

    /** The request id of a payload that may be otherwise malformed, or -1 if even that is missing. */
    public static long requestIdOf(byte[] payload) {
        return payload.length >= 8 ? ByteBuffer.wrap(payload).getLong() : -1;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Responses.

    /** A decoded response: {@code body} for {@link #OK}; {@code leaderHint} and {@code message} otherwise. */
    public record Response(long id, byte status, byte[] body, int leaderHint, String message) {
    }

    public static byte[] okResponse(long id, byte[] body) {
        return ByteBuffer.allocate(9 + body.length).putLong(id).put(OK).put(body).array();
    }

    public static byte[] errorResponse(long id, byte status, int leaderHint, String message) {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(13 + m.length).putLong(id).put(status).putInt(leaderHint).put(m).array();
    }

    /** Decodes a response payload; malformed → {@link IllegalArgumentException}. */
    public static Response decodeResponse(byte[] payload) {
        if (payload.length < 9) {
            throw new IllegalArgumentException("response of " + payload.length + " bytes is too short");
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        long id = b.getLong();
        byte status = b.get();
        if (status == OK) {
            byte[] body = new byte[b.remaining()];
            b.get(body);
            return new Response(id, status, body, -1, null);
        }
        if (b.remaining() < 4) {
            throw new IllegalArgumentException("error response of " + payload.length + " bytes is too short");
        }
        int hint = b.getInt();
        String message = new String(payload, 13, payload.length - 13, StandardCharsets.UTF_8);
        return new Response(id, status, null, hint, message);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Helpers for the bodies.

    static void putString(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putShort((short) bytes.length).put(bytes);
    }

    static String getString(ByteBuffer b) {
        int len = Short.toUnsignedInt(b.getShort());
        byte[] bytes = new byte[len];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static int stringBytes(String s) {
        return 2 + s.getBytes(StandardCharsets.UTF_8).length;
    }
}
