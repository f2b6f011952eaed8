package io.bulwark.server.replication;

import io.bulwark.core.Checksums;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The byte layout of a peer connection: a 12-byte preamble ({@code u32 magic, u32 version, u32 sender id})
 * once per connection, then frames of {@code [u32 length][u32 CRC32C of payload][payload]}, big-endian.
 * Version 2: a peer payload is {@code [u32 group id][MessageCodec bytes]}, so one connection carries
 * every Paxos group two nodes share.
 *
 * <p>The preamble exists so that a stray client (a port scanner, a node of another cluster or version)
 * is cut off before its bytes are ever read as a length. The CRC covers only the payload: a damaged
 * length is caught by the {@code maxFrameBytes} bound, which closes the connection because the stream
 * can no longer be re-synchronised. Stateless and thread-safe.
 */
final class FrameCodec {

    /** "BWPX": Bulwark Paxos exchange. */
    static final int MAGIC = 0x42575058;
    static final int VERSION = 2;
    static final int PREAMBLE_BYTES = 12;
    static final int HEADER_BYTES = 8;

    private FrameCodec() {
    }

    /** Writes the preamble a connecting node sends first. */
    static ByteBuffer preamble(int senderId) {
        ByteBuffer b = ByteBuffer.allocate(PREAMBLE_BYTES);
        b.putInt(MAGIC).putInt(VERSION).putInt(senderId).flip();
        return b;
    }

    /** Appends one frame around {@code payload} to {@code out}, which must have room for it. */
    static void putFrame(ByteBuffer out, byte[] payload) {
        out.putInt(payload.length);
        out.putInt(Checksums.crc32c(payload));
        out.put(payload);
    }

    /** A whole frame around {@code payload}, for tests and one-off writes. */
    static byte[] frame(byte[] payload) {
        ByteBuffer b = ByteBuffer.allocate(HEADER_BYTES + payload.length);
        putFrame(b, payload);
        return b.array();
    }

    /** The byte stream broke the protocol (preamble or frame length): the connection must be dropped. */
    static final class DamagedStreamException extends IOException {
        DamagedStreamException(String message) {
            super(message);
        }
    }

    /**
     * Reads and checks the preamble.
     *
     * @return the sender's node id
     * @throws IOException if the stream ends or the magic or version is wrong
     */
    static int readPreamble(DataInputStream in) throws IOException {
        int magic = in.readInt();
        int version = in.readInt();
        int sender = in.readInt();
        if (magic != MAGIC) {
            throw new DamagedStreamException(String.format("not a Bulwark peer connection (magic 0x%08x, expected 0x%08x)",
                    magic, MAGIC));
        }
        if (version != VERSION) {
            throw new DamagedStreamException("peer speaks wire version " + version + ", this node speaks " + VERSION);
        }
        return sender;
    }

    /** One frame as read from the wire: its payload and whether the payload matched its CRC. */
    record Frame(byte[] payload, boolean intact) {
    }

    /**
     * Reads the next frame.
     *
     * @return the frame, or null at a clean end of stream (between frames)
     * @throws IOException if the stream ends inside a frame, or the length is outside
     *                     {@code [1, maxFrameBytes]} (the stream is then unusable)
     */
    static Frame readFrame(DataInputStream in, int maxFrameBytes) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        int length = (first << 24) | (in.readUnsignedByte() << 16) | (in.readUnsignedByte() << 8) | in.readUnsignedByte();
        if (length < 1 || length > maxFrameBytes) {
            throw new DamagedStreamException("frame length " + Integer.toUnsignedString(length) + " outside [1, " + maxFrameBytes
                    + "]: the stream is damaged or not framed by this protocol");
        }
        int crc = in.readInt();
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new EOFException("connection closed inside a frame of " + length + " bytes");
        }
        return new Frame(payload, Checksums.crc32c(payload) == crc);
    }
}
