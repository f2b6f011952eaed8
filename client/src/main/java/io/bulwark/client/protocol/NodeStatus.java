package io.bulwark.client.protocol;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * One node's view of the partitions it hosts, as reported by a {@link Wire#STATUS} request.
 *
 * @param nodeId     the answering node
 * @param uptimeMs   how long it has been running
 * @param partitions one line per hosted partition replica
 */
public record NodeStatus(int nodeId, long uptimeMs, List<Replica> partitions) {

    /**
     * One hosted replica.
     *
     * @param partition   partition number
     * @param role        "LEADER", "FOLLOWER", "CANDIDATE", ... or "STOPPED"
     * @param leaderHint  who it believes leads, or -1
     * @param chosenIndex highest slot it knows chosen
     * @param appliedIndex highest slot applied to its state machine
     * @param voters      the group's voters as this replica knows them
     * @param learners    the group's learners (replicas catching up before they vote)
     */
    public record Replica(int partition, String role, int leaderHint, long chosenIndex, long appliedIndex,
                          List<Integer> voters, List<Integer> learners) {
        public Replica {
            voters = List.copyOf(voters);
            learners = List.copyOf(learners);
        }
    }

    public NodeStatus {
        partitions = List.copyOf(partitions);
    }

    public byte[] encode() {
        int size = 16;
        for (Replica r : partitions) {
            size += 4 + Wire.stringBytes(r.role()) + 4 + 16 + 8 + 4 * (r.voters().size() + r.learners().size());
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(nodeId).putLong(uptimeMs).putInt(partitions.size());
        for (Replica r : partitions) {
            b.putInt(r.partition());
            Wire.putString(b, r.role());
            b.putInt(r.leaderHint()).putLong(r.chosenIndex()).putLong(r.appliedIndex());
            b.putInt(r.voters().size());
            r.voters().forEach(b::putInt);
            b.putInt(r.learners().size());
            r.learners().forEach(b::putInt);
        }
        return b.array();
    }

    private static List<Integer> ints(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > 65_535) {
            throw new IllegalArgumentException("malformed node list of " + n);
        }
        List<Integer> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(b.getInt());
        }
        return l;
    }

    public static NodeStatus decode(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            int node = b.getInt();
            long uptime = b.getLong();
            int n = b.getInt();
            if (n < 0 || n > bytes.length) {
                throw new IllegalArgumentException("malformed node status");
            }
            List<Replica> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int partition = b.getInt();
                String role = Wire.getString(b);
                int hint = b.getInt();
                long chosen = b.getLong();
                long applied = b.getLong();
                list.add(new Replica(partition, role, hint, chosen, applied, ints(b), ints(b)));
            }
            return new NodeStatus(node, uptime, list);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("truncated node status of " + bytes.length + " bytes", e);
        }
    }
}
