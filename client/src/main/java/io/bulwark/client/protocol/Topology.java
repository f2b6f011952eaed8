package io.bulwark.client.protocol;

import io.bulwark.ring.KeyHasher;
import io.bulwark.ring.KeyHashers;
import java.net.InetSocketAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a client needs to route: the cluster's members, how many partitions there are, each partition's
 * replica set (node ids, placed by the ring) and the leader the answering node believes each has.
 * Keys map to partitions by {@link #partitionOf(byte[])}, the one function clients and nodes share.
 *
 * @param partitions        number of partitions, fixed at cluster creation
 * @param replicationFactor replicas per partition
 * @param members           every node, by id
 * @param replicas          {@code replicas[g]}: the node ids holding group {@code g}, primary first: partitions
 *                          {@code 0 .. partitions - 1}, then (clusters that have one) the metadata group
 *                          {@link #metadataGroup()}, which holds the cluster's own records
 * @param leaderHints       {@code leaderHints[g]}: the node believed to lead group {@code g}, or -1
 *
 * <p>Immutable (the arrays are not copied on access; do not modify them).
 */
public record Topology(int partitions, int replicationFactor, List<Member> members, int[][] replicas,
                       int[] leaderHints) {

    private static final KeyHasher HASHER = KeyHashers.defaultHasher();

    /** A node: its id, where clients and peers reach it, and its zone ("" if none). */
    public record Member(int id, String host, int clientPort, int peerPort, String zone) {
        public Member {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(zone, "zone");
        }

        public InetSocketAddress clientAddress() {
            return new InetSocketAddress(host, clientPort);
        }

        public InetSocketAddress peerAddress() {
            return new InetSocketAddress(host, peerPort);
        }
    }

    public Topology {
        members = List.copyOf(members);
        if ((replicas.length != partitions && replicas.length != partitions + 1) || leaderHints.length != replicas.length) {
            throw new IllegalArgumentException("replica sets and hints must cover the " + partitions
                    + " partitions, and the metadata group if there is one");
        }
    }

    /** Number of Paxos groups: the partitions, plus the metadata group if the cluster has one. */
    public int groups() {
        return replicas.length;
    }

    /** Whether the cluster has a metadata group (every cluster created since it was introduced does). */
    public boolean hasMetadataGroup() {
        return replicas.length == partitions + 1;
    }

    /** The id of the metadata group: one past the last partition (no key maps to it). */
    public int metadataGroup() {
        return partitions;
    }

    /** The partition of {@code key}: the top 32 bits of its 64-bit hash scaled to the partition count. */
    public static int partitionOf(byte[] key, int partitions) {
        return (int) (((HASHER.hash(key) >>> 32) * partitions) >>> 32);
    }

    /** The partition of {@code key} in this topology. */
    public int partitionOf(byte[] key) {
        return partitionOf(key, partitions);
    }

    /** The member with {@code id}, or null. */
    public Member member(int id) {
        for (Member m : members) {
            if (m.id() == id) {
                return m;
            }
        }
        return null;
    }

    /** A copy with one partition's leader hint changed. */
    public Topology withLeaderHint(int partition, int leader) {
        int[] hints = leaderHints.clone();
        hints[partition] = leader;
        return new Topology(partitions, replicationFactor, members, replicas, hints);
    }

    public byte[] encode() {
        int size = 12;
        for (Member m : members) {
            size += 4 + Wire.stringBytes(m.host()) + 8 + Wire.stringBytes(m.zone());
        }
        // Sized by the replica sets as they are: while a partition moves, it has one member more than the factor.
        for (int[] set : replicas) {
            size += 4 + 4 * set.length + 4;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(partitions).putInt(replicationFactor).putInt(members.size());
        for (Member m : members) {
            b.putInt(m.id());
            Wire.putString(b, m.host());
            b.putInt(m.clientPort()).putInt(m.peerPort());
            Wire.putString(b, m.zone());
        }
        for (int p = 0; p < replicas.length; p++) {
            b.putInt(replicas[p].length);
            for (int id : replicas[p]) {
                b.putInt(id);
            }
            b.putInt(leaderHints[p]);
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    /** Decodes {@link #encode()}; malformed → {@link IllegalArgumentException}. */
    public static Topology decode(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int partitions = b.getInt();
            int rf = b.getInt();
            int n = b.getInt();
            if (partitions < 1 || partitions > 1 << 20 || rf < 1 || n < 1 || n > 65_535) {
                throw new IllegalArgumentException("malformed topology header");
            }
            List<Member> members = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int id = b.getInt();
                String host = Wire.getString(b);
                int cp = b.getInt();
                int pp = b.getInt();
                members.add(new Member(id, host, cp, pp, Wire.getString(b)));
            }
            int[][] replicas = new int[partitions + 1][];
            int[] hints = new int[partitions + 1];
            int groups = 0;
            // The metadata group follows the partitions if the cluster has one.
            for (int p = 0; p < partitions || (p == partitions && b.remaining() >= 8); p++, groups++) {
                int count = b.getInt();
                if (count < 0 || count > n) {
                    throw new IllegalArgumentException("malformed replica set of " + count);
                }
                replicas[p] = new int[count];
                for (int i = 0; i < count; i++) {
                    replicas[p][i] = b.getInt();
                }
                hints[p] = b.getInt();
            }
            return new Topology(partitions, rf, members, Arrays.copyOf(replicas, groups), Arrays.copyOf(hints, groups));
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated topology of " + bytes.length + " bytes", e);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Topology t && t.partitions == partitions && t.replicationFactor == replicationFactor
                && t.members.equals(members) && Arrays.deepEquals(t.replicas, replicas)
                && Arrays.equals(t.leaderHints, leaderHints);
    }

    @Override
    public int hashCode() {
        return Objects.hash(partitions, replicationFactor, members, Arrays.deepHashCode(replicas),
                Arrays.hashCode(leaderHints));
    }

    @Override
    public String toString() {
        return "Topology[" + partitions + " partitions x " + replicationFactor + " replicas on " + members.size()
                + " nodes]";
    }
}
