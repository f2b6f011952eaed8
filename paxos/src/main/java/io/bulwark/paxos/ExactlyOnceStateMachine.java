package io.bulwark.paxos;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Applies chosen commands to a {@link StateMachine} at most once per (client id, sequence number).
 *
 * <p>A client numbers its commands 1, 2, 3, ... and has at most one in flight; when it times out it
 * retries the same command with the same number, possibly at another replica, and the retry may be
 * chosen in a second slot. The session table (client → last sequence applied and its result) is part of
 * the replicated state and of every snapshot, so every replica drops the same duplicates and answers a
 * retry with the original result. The table keeps the {@code maxSessions} most recently active clients;
 * a client evicted after being idle that long and then retrying an old command is the one case not
 * covered, and is why the bound should be far above the number of live clients.
 *
 * <p>Not thread-safe: driven by one replica's apply loop.
 */
public final class ExactlyOnceStateMachine {

    /** What applying one command produced. {@code duplicate} commands were not applied again. */
    public record Applied(Command command, byte[] result, boolean duplicate) {
    }

    private record Session(long sequence, byte[] result) {
    }

    private final StateMachine inner;
    private final int maxSessions;
    /** Access-ordered, so the eldest entry is the least recently active client; iteration order is deterministic. */
    private final LinkedHashMap<Long, Session> sessions;

    public ExactlyOnceStateMachine(StateMachine inner, int maxSessions) {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("maxSessions must be at least 1, was " + maxSessions);
        }
        this.inner = inner;
        this.maxSessions = maxSessions;
        this.sessions = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, Session> eldest) {
                return size() > ExactlyOnceStateMachine.this.maxSessions;
            }
        };
    }

    /** The wrapped state machine, for queries. */
    public StateMachine inner() {
        return inner;
    }

    /** Applies one command unless its (client, sequence) was applied before. */
    public Applied apply(long slot, Command command) {
        Session session = sessions.get(command.clientId());
        if (session != null && command.sequence() <= session.sequence()) {
            byte[] result = command.sequence() == session.sequence() ? session.result() : null;
            return new Applied(command, result, true);
        }
        byte[] result = inner.apply(slot, command.payload());
        sessions.put(command.clientId(), new Session(command.sequence(), result));
        return new Applied(command, result, false);
    }

    /** The last sequence number applied for {@code clientId}, or 0. */
    public long lastSequence(long clientId) {
        Session s = sessions.get(clientId);
        return s == null ? 0 : s.sequence();
    }

    /** Session table plus the inner state, in one image. */
    public byte[] snapshot() {
        byte[] state = inner.snapshot();
        int size = 4 + 4 + state.length;
        for (Session s : sessions.values()) {
            size += 8 + 8 + 4 + (s.result() == null ? 0 : s.result().length);
        }
        ByteBuffer buf = ByteBuffer.allocate(size);
        buf.putInt(sessions.size());
        // Eldest first, so that restoring by insertion reproduces the same eviction order.
        for (Iterator<Map.Entry<Long, Session>> it = sessions.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Session> e = it.next();
            buf.putLong(e.getKey());
            buf.putLong(e.getValue().sequence());
            byte[] r = e.getValue().result();
            buf.putInt(r == null ? -1 : r.length);
            if (r != null) {
                buf.put(r);
            }
        }
        buf.putInt(state.length);
        buf.put(state);
        return buf.array();
    }

    /** Replaces sessions and state with a {@link #snapshot()} image. */
    public void restore(byte[] image) {
        ByteBuffer buf = ByteBuffer.wrap(image);
        sessions.clear();
        int n = buf.getInt();
        for (int i = 0; i < n; i++) {
            long client = buf.getLong();
            long seq = buf.getLong();
            int len = buf.getInt();
            byte[] result = null;
            if (len >= 0) {
                result = new byte[len];
                buf.get(result);
            }
            sessions.put(client, new Session(seq, result));
        }
        byte[] state = new byte[buf.getInt()];
        buf.get(state);
        inner.restore(state);
    }
}
