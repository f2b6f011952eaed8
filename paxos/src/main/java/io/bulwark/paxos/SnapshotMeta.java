package io.bulwark.paxos;

/**
 * Describes a saved snapshot of the applied state: it covers every slot up to {@code index}, its encoded
 * form is {@code totalBytes} long with checksum {@code crc32c}, and {@code membership} is the group's
 * membership after {@code index}. Immutable.
 */
public record SnapshotMeta(long index, long totalBytes, int crc32c, Membership membership) {

    public SnapshotMeta {
        if (index < 1) {
            throw new IllegalArgumentException("a snapshot covers at least slot 1, index was " + index);
        }
        if (totalBytes < 0) {
            throw new IllegalArgumentException("snapshot size must not be negative, was " + totalBytes);
        }
    }
}
