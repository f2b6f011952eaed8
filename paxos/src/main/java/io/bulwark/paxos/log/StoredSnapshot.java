package io.bulwark.paxos.log;

import java.util.Arrays;
import java.util.Objects;

/**
 * A snapshot as saved by {@link SnapshotStore}: the log index it covers, the replica's metadata
 * (membership, ballot, whatever the caller needs to restart) and the state machine's bytes.
 *
 * <p>Arrays are not copied (states can be large); treat them as read-only. {@link #equals} compares
 * contents. Immutable if callers honour that.
 *
 * @param index    the last log index whose effects the state includes, 0 or more
 * @param metadata caller-defined bytes stored beside the state
 * @param state    the serialized state machine
 */
public record StoredSnapshot(long index, byte[] metadata, byte[] state) {

    /** Checks the index and that both arrays are present. */
    public StoredSnapshot {
        if (index < 0) {
            throw new IllegalArgumentException("snapshot index must not be negative, was " + index);
        }
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(state, "state");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredSnapshot other && index == other.index
                && Arrays.equals(metadata, other.metadata) && Arrays.equals(state, other.state);
    }

    @Override
    public int hashCode() {
        return (Long.hashCode(index) * 31 + Arrays.hashCode(metadata)) * 31 + Arrays.hashCode(state);
    }

    @Override
    public String toString() {
        return "StoredSnapshot[index=" + index + ", metadataBytes=" + metadata.length + ", stateBytes="
                + state.length + "]";
    }
}
