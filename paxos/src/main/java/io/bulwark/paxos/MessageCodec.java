package io.bulwark.paxos;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire form of {@link Message}s: a type byte, sender, receiver, then the fields of that message type,
 * big-endian. Framing (length) and integrity (CRC32C) belong to the transport around these bytes.
 * Malformed input throws {@link IllegalArgumentException}, never a partial message. Stateless and
 * thread-safe.
 */
public final class MessageCodec {

    private static final int MAX_ENTRIES = 1 << 16;

    private MessageCodec() {
    }

    /** Encodes one message. */
    public static byte[] encode(Message m) {
        ByteBuffer b = ByteBuffer.allocate(size(m));
        b.put(type(m));
        b.putInt(m.from());
        b.putInt(m.to());
        if (m instanceof Message.PreVote v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.chosenIndex());
        } else if (m instanceof Message.PreVoteReply v) {
            Codec.putBallot(b, v.ballot());
            b.put((byte) (v.granted() ? 1 : 0));
        } else if (m instanceof Message.Prepare v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.chosenIndex());
        } else if (m instanceof Message.Promise v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.chosenIndex());
            b.putLong(v.incarnation());
            putEntries(b, v.entries());
        } else if (m instanceof Message.Reject v) {
            Codec.putBallot(b, v.rejected());
            Codec.putBallot(b, v.promised());
            b.putLong(v.chosenIndex());
        } else if (m instanceof Message.Accept v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.chosenIndex());
            putEntries(b, v.entries());
        } else if (m instanceof Message.Accepted v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.firstSlot());
            b.putLong(v.lastSlot());
            b.putLong(v.chosenIndex());
            b.putLong(v.incarnation());
        } else if (m instanceof Message.Heartbeat v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.chosenIndex());
            b.putLong(v.round());
        } else if (m instanceof Message.HeartbeatReply v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.chosenIndex());
            b.putLong(v.round());
            b.putLong(v.incarnation());
        } else if (m instanceof Message.Learn v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.chosenIndex());
            putEntries(b, v.entries());
        } else if (m instanceof Message.InstallSnapshot v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.index());
            b.putLong(v.totalBytes());
            b.putInt(v.crc32c());
            b.putLong(v.offset());
            b.putInt(v.chunk().length);
            b.put(v.chunk());
        } else if (m instanceof Message.SnapshotReply v) {
            Codec.putBallot(b, v.ballot());
            b.putLong(v.index());
            b.putLong(v.receivedBytes());
            b.putLong(v.chosenIndex());
        } else if (m instanceof Message.Handoff v) {
            Codec.putBallot(b, v.ballot());
            b.putInt(v.successor());
        }
        return b.position() == b.capacity() ? b.array() : java.util.Arrays.copyOf(b.array(), b.position());
    }

    /** Decodes what {@link #encode} produced. */
    public static Message decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            byte type = b.get();
            int from = b.getInt();
            int to = b.getInt();
            Message m = switch (type) {
                case 1 -> new Message.PreVote(from, to, Codec.getBallot(b), b.getLong());
                case 2 -> new Message.PreVoteReply(from, to, Codec.getBallot(b), b.get() == 1);
                case 3 -> new Message.Prepare(from, to, Codec.getBallot(b), b.getLong());
                case 4 -> {
                    Ballot ballot = Codec.getBallot(b);
                    long chosen = b.getLong();
                    long incarnation = b.getLong();
                    yield new Message.Promise(from, to, ballot, chosen, getEntries(b), incarnation);
                }
                case 5 -> new Message.Reject(from, to, Codec.getBallot(b), Codec.getBallot(b), b.getLong());
                case 6 -> {
                    Ballot ballot = Codec.getBallot(b);
                    long chosen = b.getLong();
                    yield new Message.Accept(from, to, ballot, getEntries(b), chosen);
                }
                case 7 -> new Message.Accepted(from, to, Codec.getBallot(b), b.getLong(), b.getLong(), b.getLong(),
                        b.getLong());
                case 8 -> new Message.Heartbeat(from, to, Codec.getBallot(b), b.getLong(), b.getLong());
                case 9 -> new Message.HeartbeatReply(from, to, Codec.getBallot(b), b.getLong(), b.getLong(), b.getLong());
                case 10 -> {
                    Ballot ballot = Codec.getBallot(b);
                    long chosen = b.getLong();
                    yield new Message.Learn(from, to, ballot, getEntries(b), chosen);
                }
                case 11 -> {
                    Ballot ballot = Codec.getBallot(b);
                    long index = b.getLong();
                    long total = b.getLong();
                    int crc = b.getInt();
                    long offset = b.getLong();
                    int n = b.getInt();
                    if (n < 0 || n > b.remaining()) {
                        throw new IllegalArgumentException("malformed snapshot chunk length " + n);
                    }
                    byte[] chunk = new byte[n];
                    b.get(chunk);
                    yield new Message.InstallSnapshot(from, to, ballot, index, total, crc, offset, chunk);
                }
                case 12 -> new Message.SnapshotReply(from, to, Codec.getBallot(b), b.getLong(), b.getLong(), b.getLong());
                case 13 -> new Message.Handoff(from, to, Codec.getBallot(b), b.getInt());
                default -> throw new IllegalArgumentException("unknown message type " + type);
            };
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("malformed message: " + b.remaining() + " trailing bytes");
            }
            return m;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("malformed message: truncated", e);
        }
    }

    private static byte type(Message m) {
        if (m instanceof Message.PreVote) {
            return 1;
        } else if (m instanceof Message.PreVoteReply) {
            return 2;
        } else if (m instanceof Message.Prepare) {
            return 3;
        } else if (m instanceof Message.Promise) {
            return 4;
        } else if (m instanceof Message.Reject) {
            return 5;
        } else if (m instanceof Message.Accept) {
            return 6;
        } else if (m instanceof Message.Accepted) {
            return 7;
        } else if (m instanceof Message.Heartbeat) {
            return 8;
        } else if (m instanceof Message.HeartbeatReply) {
            return 9;
        } else if (m instanceof Message.Learn) {
            return 10;
        } else if (m instanceof Message.InstallSnapshot) {
            return 11;
        } else if (m instanceof Message.Handoff) {
            return 13;
        }
        return 12;
    }

    private static int size(Message m) {
        int head = 1 + 4 + 4 + 12;
        if (m instanceof Message.Promise v) {
            return head + 8 + 8 + entriesSize(v.entries());
        } else if (m instanceof Message.Accept v) {
            return head + 8 + entriesSize(v.entries());
        } else if (m instanceof Message.Learn v) {
            return head + 8 + entriesSize(v.entries());
        } else if (m instanceof Message.InstallSnapshot v) {
            return head + 8 + 8 + 4 + 8 + 4 + v.chunk().length;
        }
        // The fixed-size messages: at most a second ballot and four longs.
        return head + 12 + 32;
    }

    private static int entriesSize(List<Entry> entries) {
        int size = 4;
        for (Entry e : entries) {
            size += Codec.encodedSize(e);
        }
        return size;
    }

    private static void putEntries(ByteBuffer b, List<Entry> entries) {
        b.putInt(entries.size());
        for (Entry e : entries) {
            b.putLong(e.slot());
            Codec.putBallot(b, e.ballot());
            b.put((byte) (e.chosen() ? 1 : 0));
            Codec.putValue(b, e.value());
        }
    }

    private static List<Entry> getEntries(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > MAX_ENTRIES) {
            throw new IllegalArgumentException("malformed message: " + n + " entries (limit " + MAX_ENTRIES + ")");
        }
        List<Entry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long slot = b.getLong();
            Ballot ballot = Codec.getBallot(b);
            boolean chosen = b.get() == 1;
            entries.add(new Entry(slot, ballot, Codec.getValue(b), chosen));
        }
        return entries;
    }
}
