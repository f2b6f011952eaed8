package io.bulwark.paxos;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary form of ballots, values, entries and memberships, shared by the log and the wire.
 *
 * <p>Big-endian, length-prefixed, versioned by a leading tag byte per value kind so that a new kind can
 * be added without misreading old records. Decoding rejects anything malformed with
 * {@link IllegalArgumentException}; integrity is the job of the CRC32C on every log record and message
 * around these bytes. Stateless and thread-safe.
 */
public final class Codec {

    private static final byte NOOP = 1;
    private static final byte BATCH = 2;
    private static final byte RECONFIGURE = 3;

    /** Hard limits that keep a corrupt length from allocating gigabytes. */
    private static final int MAX_COMMANDS = 1 << 20;
    private static final int MAX_MEMBERS = 1 << 10;

    private Codec() {
    }

    /** Encodes an entry. */
    public static byte[] encode(Entry entry) {
        ByteBuffer buf = ByteBuffer.allocate(encodedSize(entry));
        buf.putLong(entry.slot());
        putBallot(buf, entry.ballot());
        buf.put((byte) (entry.chosen() ? 1 : 0));
        putValue(buf, entry.value());
        return buf.array();
    }

    /** Decodes what {@link #encode(Entry)} produced. */
    public static Entry decodeEntry(byte[] bytes) {
        return read(bytes, buf -> {
            long slot = buf.getLong();
            Ballot ballot = getBallot(buf);
            boolean chosen = buf.get() == 1;
            return new Entry(slot, ballot, getValue(buf), chosen);
        });
    }

    /** Encodes a membership. */
    public static byte[] encode(Membership membership) {
        ByteBuffer buf = ByteBuffer.allocate(membershipSize(membership));
        putMembership(buf, membership);
        return buf.array();
    }

    /** Decodes what {@link #encode(Membership)} produced. */
    public static Membership decodeMembership(byte[] bytes) {
        return read(bytes, Codec::getMembership);
    }

    /** Encodes a ballot in 12 bytes. */
    public static byte[] encode(Ballot ballot) {
        ByteBuffer buf = ByteBuffer.allocate(12);
        putBallot(buf, ballot);
        return buf.array();
    }

    /** Decodes what {@link #encode(Ballot)} produced. */
    public static Ballot decodeBallot(byte[] bytes) {
        return read(bytes, Codec::getBallot);
    }

    static int encodedSize(Entry entry) {
        return 8 + 12 + 1 + valueSize(entry.value());
    }

    static int valueSize(Value value) {
        if (value instanceof Value.Batch b) {
            int size = 1 + 4;
            for (Command c : b.commands()) {
                size += 8 + 8 + 4 + c.payload().length;
            }
            return size;
        }
        if (value instanceof Value.Reconfigure r) {
            return 1 + membershipSize(r.membership());
        }
        return 1;
    }

    static void putBallot(ByteBuffer buf, Ballot ballot) {
        buf.putLong(ballot.round());
        buf.putInt(ballot.nodeId());
    }

    static Ballot getBallot(ByteBuffer buf) {
        return new Ballot(buf.getLong(), buf.getInt());
    }

    static void putValue(ByteBuffer buf, Value value) {
        if (value instanceof Value.Batch b) {
            buf.put(BATCH);
            buf.putInt(b.commands().size());
            for (Command c : b.commands()) {
                buf.putLong(c.clientId());
                buf.putLong(c.sequence());
                buf.putInt(c.payload().length);
                buf.put(c.payload());
            }
        } else if (value instanceof Value.Reconfigure r) {
            buf.put(RECONFIGURE);
            putMembership(buf, r.membership());
        } else {
            buf.put(NOOP);
        }
    }

    static Value getValue(ByteBuffer buf) {
        byte tag = buf.get();
        return switch (tag) {
            case NOOP -> Value.NOOP;
            case BATCH -> {
                int n = count(buf.getInt(), MAX_COMMANDS, "commands in a batch");
                List<Command> commands = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    long client = buf.getLong();
                    long seq = buf.getLong();
                    byte[] payload = new byte[count(buf.getInt(), buf.remaining(), "command payload bytes")];
                    buf.get(payload);
                    commands.add(new Command(client, seq, payload));
                }
                yield new Value.Batch(commands);
            }
            case RECONFIGURE -> new Value.Reconfigure(getMembership(buf));
            default -> throw new IllegalArgumentException("unknown value tag " + tag);
        };
    }

    static int membershipSize(Membership m) {
        return 8 + 12 * (m.voterIncarnations().size() + m.learnerIncarnations().size());
    }

    static void putMembership(ByteBuffer buf, Membership m) {
        putMembers(buf, m.voterIncarnations());
        putMembers(buf, m.learnerIncarnations());
    }

    private static void putMembers(ByteBuffer buf, java.util.SortedMap<Integer, Long> members) {
        buf.putInt(members.size());
        for (var e : members.entrySet()) {
            buf.putInt(e.getKey());
            buf.putLong(e.getValue());
        }
    }

    static Membership getMembership(ByteBuffer buf) {
        java.util.TreeMap<Integer, Long> voters = getMembers(buf, "voters");
        return new Membership(voters, getMembers(buf, "learners"));
    }

    private static java.util.TreeMap<Integer, Long> getMembers(ByteBuffer buf, String what) {
        java.util.TreeMap<Integer, Long> members = new java.util.TreeMap<>();
        int n = count(buf.getInt(), MAX_MEMBERS, what);
        for (int i = 0; i < n; i++) {
            members.put(buf.getInt(), buf.getLong());
        }
        return members;
    }

    private static int count(int n, int max, String what) {
        if (n < 0 || n > max) {
            throw new IllegalArgumentException("malformed: " + n + " " + what + " (limit " + max + ")");
        }
        return n;
    }

    private interface Reader<T> {
        T read(ByteBuffer buf);
    }

    private static <T> T read(byte[] bytes, Reader<T> reader) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        try {
            T value = reader.read(buf);
            if (buf.hasRemaining()) {
                throw new IllegalArgumentException("malformed: " + buf.remaining() + " trailing bytes");
            }
            return value;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("malformed: truncated after " + buf.position() + " bytes", e);
        }
    }
}
