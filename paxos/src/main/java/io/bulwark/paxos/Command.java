package io.bulwark.paxos;

import java.util.Arrays;

/**
 * A client command to replicate: who sent it, its per-client sequence number, and opaque bytes.
 *
 * <p>{@code clientId} and {@code sequence} make commands exactly-once: a client numbers its commands
 * 1, 2, 3, ... and retries a command with the same number, and the replicated state machine
 * ({@link ExactlyOnceStateMachine}) applies each (client, sequence) at most once. Immutable as long as
 * callers do not mutate the payload array after handing it over.
 */
public record Command(long clientId, long sequence, byte[] payload) {

    public Command {
        if (sequence < 1) {
            throw new IllegalArgumentException("command sequence numbers start at 1, was " + sequence);
        }
        if (payload == null) {
            throw new IllegalArgumentException("command payload must not be null");
        }
    }

    /** Bytes this command takes in a batch: payload plus its two ids and length. */
    public int encodedSize() {
        return payload.length + 20;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Command c && c.clientId == clientId && c.sequence == sequence
                && Arrays.equals(c.payload, payload);
    }

    @Override
    public int hashCode() {
        return (Long.hashCode(clientId) * 31 + Long.hashCode(sequence)) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "cmd(" + clientId + "#" + sequence + ", " + payload.length + "B)";
    }
}
