package io.bulwark.client;

import io.bulwark.client.protocol.Wire;
import io.bulwark.paxos.Codec;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.ProposeResult;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * The admin requests that move replicas between nodes, for the rebalancer and operators' tools; not for
 * applications. Each call goes to one node and waits for its answer (up to 30 s).
 *
 * <p>Thread-safety: thread-safe.
 */
public final class ClusterAdmin {

    private final BulwarkClient client;

    public ClusterAdmin(BulwarkClient client) {
        this.client = Objects.requireNonNull(client, "client");
    }

    /** Starts a replica of {@code partition} on {@code node}, on new storage stamped {@code incarnation}. Idempotent. */
    public void addReplica(int node, int partition, Membership membership, long incarnation) {
        check(node, client.adminCall(node, id -> Wire.addReplicaRequest(id, partition, incarnation,
                Codec.encode(membership))));
    }

    /** What a membership proposal did: the result, and the membership proposed if it was queued. */
    public record Proposal(ProposeResult result, Membership proposed) {
    }

    /**
     * Asks {@code leader}'s replica of {@code partition} to propose its membership with {@code learner} added as a
     * learner on storage {@code incarnation} (the leader promotes it to voter once it has caught up).
     */
    public Proposal addLearner(int leader, int partition, int learner, long incarnation) {
        return propose(leader, partition, learner, incarnation, Wire.ADD_LEARNER);
    }

    /** Asks {@code leader}'s replica of {@code partition} to propose its membership without {@code member}. */
    public Proposal removeMember(int leader, int partition, int member) {
        return propose(leader, partition, member, 0, Wire.REMOVE_MEMBER);
    }

    private Proposal propose(int leader, int partition, int node, long incarnation, byte change) {
        Wire.Response r = client.adminCall(leader, id -> Wire.proposeMembershipRequest(id, partition, node, incarnation,
                change));
        if (r.status() == Wire.NOT_HOSTED || r.status() == Wire.NOT_LEADER || r.status() == Wire.UNAVAILABLE) {
            return new Proposal(ProposeResult.NOT_LEADER, null);
        }
        check(leader, r);
        ProposeResult result = ProposeResult.values()[r.body()[0]];
        Membership proposed = r.body().length > 1
                ? Codec.decodeMembership(java.util.Arrays.copyOfRange(r.body(), 1, r.body().length)) : null;
        return new Proposal(result, proposed);
    }

    /** Stops {@code node}'s replica of {@code partition} for good. Idempotent. */
    public void removeReplica(int node, int partition) {
        check(node, client.adminCall(node, id -> Wire.removeReplicaRequest(id, partition)));
    }

    /** Replaces the cluster definition of the node listening at {@code clientAddress}. */
    public void setDefinition(InetSocketAddress clientAddress, String definition) {
        try (NodeConnection c = NodeConnection.open(-1, clientAddress, client.connectTimeoutMs())) {
            check(-1, BulwarkClient.adminCall(c, id -> Wire.setDefinitionRequest(id, definition)));
        } catch (IOException e) {
            throw new UnavailableException(e.getMessage(), e);
        }
    }

    /** Lets admin calls reach these nodes even while the topology does not list them (joining or leaving). */
    public void knowMembers(java.util.Collection<io.bulwark.client.protocol.Topology.Member> members) {
        members.forEach(client::knowMember);
    }

    /**
     * Reads one of the cluster's own records: a reserved key ({@link BulwarkClient#isReserved}) in the metadata
     * group (or, in a cluster without one, in the key's partition). Linearizable; null if absent.
     */
    public byte[] getMetadata(byte[] key) {
        return BulwarkClient.join(client.getMetadataAsync(key));
    }

    /**
     * Compare-and-set of one of the cluster's own records (see {@link #getMetadata}): how the cluster keeps its
     * definition. Not for application data: only reserved keys are accepted.
     *
     * @throws InvalidRequestException if the key is not reserved or the value is over
     *                                 {@link BulwarkClient#MAX_RESERVED_VALUE_BYTES}
     */
    public boolean compareAndSetMetadata(byte[] key, byte[] expected, byte[] value) {
        return BulwarkClient.join(client.compareAndSetMetadataAsync(key, expected, value));
    }

    /** Makes the client fetch the topology again soon (after the definition changed). */
    public void refreshTopology() {
        client.refreshTopology();
    }

    private static void check(int node, Wire.Response r) {
        if (r.status() == Wire.BAD_REQUEST) {
            throw new InvalidRequestException("node " + node + ": " + r.message());
        }
        if (r.status() != Wire.OK) {
            throw new UnavailableException("node " + node + ": " + r.message());
        }
    }
}
