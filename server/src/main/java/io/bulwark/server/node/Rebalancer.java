package io.bulwark.server.node;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.ClientOptions;
import io.bulwark.client.ClusterAdmin;
import io.bulwark.client.UnavailableException;
import io.bulwark.client.protocol.NodeStatus;
import io.bulwark.client.protocol.Topology;
import io.bulwark.paxos.ProposeResult;
import io.bulwark.ring.Node;
import io.bulwark.ring.PartitionMove;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Moves a cluster from one definition to the next (a node joined or is leaving): only the partitions whose
 * planned placement changes move ({@link ClusterSpec#withMembers}) — and the metadata group, first, if a node
 * holding one of its replicas leaves — one at a time, each by Paxos membership changes of its own group, one voter at a
 * time, so the partition keeps serving and never has fewer than its full replica count of voters:
 * <ol>
 *   <li>every node is given the new definition (so the newcomer's peers can reach it, and clients learn it);</li>
 *   <li>for each partition whose replica set changes, for each node it gains: the leader proposes the node as a
 *       learner on new storage, the node starts that replica, catches up from the leader's log and is promoted
 *       to voter by the leader;</li>
 *   <li>then, for each node it loses: the leader proposes the membership without it (a leader removing itself
 *       steps down once that is chosen), and the node's replica is stopped for good.</li>
 * </ol>
 * Every step checks the group's current membership first, so running the same move again after an
 * interruption resumes it. The move is one decision: it starts by claiming the cluster's {@link ClusterRecord}
 * (compare-and-set), records each partition moved, and ends by marking the record stable, so two changes never
 * run at once and a stalled move can be found and resumed by anyone. A node that is leaving may be dead: every partition still has a majority without
 * it, so its replicas are replaced all the same. A driver (it polls and waits); not thread-safe.
 */
public final class Rebalancer {

    private static final long STEP_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(25);

    /** What a rebalance did. */
    public record Result(int partitionsMoved, int replicasAdded, int replicasRemoved, long millis,
                         List<PartitionMove> moves) {
    }

    private final ClusterSpec from;
    private final ClusterSpec to;
    private final String mover;
    private final String reason;
    private final PrintStream progress;
    private final SecureRandom random = new SecureRandom();
    /** The cluster's record as this move last wrote it. */
    private ClusterRecord record;

    private Rebalancer(ClusterSpec from, ClusterSpec to, String mover, String reason, PrintStream progress) {
        this.from = from;
        this.to = to;
        this.mover = mover;
        this.reason = reason;
        this.progress = progress;
    }

    /**
     * Moves the cluster defined by {@code from} to {@code to}. Nodes only in {@code to} must be running (started
     * as joining); nodes only in {@code from} keep running until this returns, then hold no replica.
     *
     * @param progress where each step is reported, or null
     * @throws TimeoutException if a step does not complete within a minute (the cluster is left in a safe,
     *                          resumable state)
     */
    public static Result apply(ClusterSpec from, ClusterSpec to, PrintStream progress)
            throws TimeoutException, InterruptedException {
        return apply(from, to, "operator", describe(from, to), progress);
    }

    /**
     * As {@link #apply(ClusterSpec, ClusterSpec, PrintStream)}, recording who moves the cluster and why in its
     * {@link ClusterRecord}. The move first claims the record (from "stable at {@code from}", or resumes a move
     * between the same definitions); a cluster whose record says anything else is refused with
     * {@link IllegalStateException} and left untouched.
     */
    public static Result apply(ClusterSpec from, ClusterSpec to, String mover, String reason, PrintStream progress)
            throws TimeoutException, InterruptedException {
        if (from.partitions() != to.partitions() || from.replicationFactor() != to.replicationFactor()) {
            throw new IllegalArgumentException("partitions and replication factor are fixed for a cluster's life");
        }
        return new Rebalancer(from, to, mover, reason, progress).run();
    }

    /** "node 4 joins", "node 2 leaves", or both. */
    static String describe(ClusterSpec from, ClusterSpec to) {
        List<String> parts = new ArrayList<>();
        for (Topology.Member m : to.members()) {
            if (!isMember(from, m.id())) {
                parts.add("node " + m.id() + " joins");
            }
        }
        for (Topology.Member m : from.members()) {
            if (!isMember(to, m.id())) {
                parts.add("node " + m.id() + " leaves");
            }
        }
        return parts.isEmpty() ? "definition rewritten" : String.join(", ", parts);
    }

    /** Claims the cluster's record for this move, or refuses if the cluster is not where this move starts. */
    private ClusterRecord claim(BulwarkClient client) {
        for (int attempt = 0; attempt < 10; attempt++) {
            ClusterRecord r = ClusterRecord.read(client);
            ClusterRecord next;
            if (r == null) {
                next = ClusterRecord.first(from, mover).moveTo(to, mover, reason);
            } else if (r.moving()) {
                if (!r.from().equals(from) || !r.to().equals(to)) {
                    throw new IllegalStateException("the cluster is in the middle of another change: " + r
                            + "; let it finish (or run that change again to resume it) before this one");
                }
                next = r.step(mover, "resumed by " + mover);
            } else {
                if (!r.to().equals(from)) {
                    throw new IllegalStateException("the cluster's definition is no longer the one this change starts"
                            + " from: " + r + "; start again from the cluster's current definition");
                }
                next = r.moveTo(to, mover, reason);
            }
            if (ClusterRecord.replace(client, r, next)) {
                return next;
            }
        }
        throw new IllegalStateException("the cluster's record kept changing under this change; try again");
    }

    /** Records a step of the move (which also shows the move's owner is alive); fails if another took it over. */
    private void recordStep(BulwarkClient client, String what) {
        ClusterRecord next = record.step(mover, what);
        if (!ClusterRecord.replace(client, record, next)) {
            throw new IllegalStateException("another mover took this change over: " + ClusterRecord.read(client));
        }
        record = next;
    }

    private Result run() throws TimeoutException, InterruptedException {
        long start = System.nanoTime();
        Map<Integer, Topology.Member> everyone = new LinkedHashMap<>();
        from.members().forEach(m -> everyone.put(m.id(), m));
        to.members().forEach(m -> everyone.put(m.id(), m));
        List<InetSocketAddress> seeds = new ArrayList<>();
        everyone.values().forEach(m -> seeds.add(m.clientAddress()));
        List<PartitionMove> moves = from.table().diff(to.table());
        say("moving " + moves.size() + " of " + to.partitions() + " partitions (the planned placement), one at a time");
        int added = 0;
        int removed = 0;
        try (BulwarkClient bootstrap = BulwarkClient.connect(ClientOptions.of(seeds))) {
            record = claim(bootstrap);
            say("claimed the cluster's record: " + record);
            ClusterAdmin admin = new ClusterAdmin(bootstrap);
            for (Topology.Member m : everyone.values()) {
                try {
                    admin.setDefinition(m.clientAddress(), to.format());
                } catch (UnavailableException e) {
                    if (isMember(to, m.id())) {
                        throw e; // a node that stays or joins must take the new definition
                    }
                    say("node " + m.id() + " is leaving and does not answer (" + e.getMessage() + "); moving on without it");
                }
            }
        }
        try (BulwarkClient client = BulwarkClient.connect(ClientOptions.of(seeds))) {
            ClusterAdmin admin = new ClusterAdmin(client);
            admin.knowMembers(everyone.values());
            // The metadata group first: it moves only when one of its replicas' nodes leaves, and a leaving node
            // may already be dead, so its replacement comes before anything else.
            List<Integer> metaGains = new ArrayList<>(to.metadata());
            metaGains.removeAll(from.metadata());
            List<Integer> metaLosses = new ArrayList<>(from.metadata());
            metaLosses.removeAll(to.metadata());
            for (int node : metaGains) {
                addVoter(client, admin, to.metadataGroup(), node, everyone.keySet());
            }
            for (int node : metaLosses) {
                removeVoter(client, admin, to.metadataGroup(), node, everyone.keySet());
            }
            if (!metaGains.isEmpty() || !metaLosses.isEmpty()) {
                String step = "metadata group: " + from.metadata() + " -> " + to.metadata();
                recordStep(client, step);
                say(step);
            }
            for (PartitionMove move : moves) {
                List<Integer> gains = ids(move.added());
                List<Integer> losses = ids(move.removed());
                for (int node : gains) {
                    addVoter(client, admin, move.partition(), node, everyone.keySet());
                    added++;
                }
                for (int node : losses) {
                    removeVoter(client, admin, move.partition(), node, everyone.keySet());
                    removed++;
                }
                String step = "partition " + move.partition() + ": " + ids(move.from()) + " -> " + ids(move.to());
                recordStep(client, step);
                say(step);
            }
            ClusterRecord done = record.finished(mover);
            if (!ClusterRecord.replace(client, record, done)) {
                throw new IllegalStateException("another mover took this change over: " + ClusterRecord.read(client));
            }
            record = done;
        }
        return new Result(moves.size(), added, removed, (System.nanoTime() - start) / 1_000_000, moves);
    }

    private static boolean isMember(ClusterSpec spec, int id) {
        return spec.members().stream().anyMatch(m -> m.id() == id);
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(n -> Integer.parseInt(n.id())).toList();
    }

    /** The partition's leader and its view of the membership. */
    private record View(int leader, List<Integer> voters, List<Integer> learners) {
    }

    /** What the last {@link #view} saw of each node, for the timeout message. */
    private final Map<Integer, String> lastSeen = new java.util.TreeMap<>();

    private View view(BulwarkClient client, int partition, Iterable<Integer> nodes) {
        for (int node : nodes) {
            NodeStatus s;
            try {
                s = client.status(node);
            } catch (UnavailableException | io.bulwark.client.InvalidRequestException e) {
                lastSeen.put(node, "no answer: " + e.getMessage());
                continue;
            }
            lastSeen.put(node, s.partitions().stream().filter(r -> r.partition() == partition).findFirst()
                    .map(Object::toString).orElse("no replica"));
            for (NodeStatus.Replica r : s.partitions()) {
                if (r.partition() == partition && r.role().equals("LEADER")) {
                    return new View(node, r.voters(), r.learners());
                }
            }
        }
        return null;
    }

    private void addVoter(BulwarkClient client, ClusterAdmin admin, int partition, int node, Iterable<Integer> nodes)
            throws TimeoutException {
        long deadline = System.nanoTime() + STEP_TIMEOUT_NANOS;
        boolean replicaStarted = false;
        while (true) {
            View v = view(client, partition, nodes);
            if (v != null && v.voters().contains(node)) {
                return;
            }
            if (v != null && !v.learners().contains(node)) {
                long incarnation = 1 + (random.nextLong() >>> 1);
                ClusterAdmin.Proposal p = admin.addLearner(v.leader(), partition, node, incarnation);
                Long named = p.proposed() == null ? null : p.proposed().incarnationOf(node);
                if (p.result() == ProposeResult.QUEUED && named != null && named == incarnation) {
                    admin.addReplica(node, partition, p.proposed(), incarnation);
                    replicaStarted = true;
                }
            } else if (v != null && !replicaStarted && !hosts(client, node, partition)) {
                // A learner proposed by an interrupted earlier run whose replica was never started: only the
                // leader knows the incarnation it was named with, so take it out and add it again afresh.
                admin.removeMember(v.leader(), partition, node);
            }
            check(deadline, "partition " + partition + ": node " + node + " did not become a voter (last view " + v + ")");
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    private static boolean hosts(BulwarkClient client, int node, int partition) {
        try {
            return client.status(node).partitions().stream().anyMatch(r -> r.partition() == partition);
        } catch (UnavailableException | io.bulwark.client.InvalidRequestException e) {
            return false;
        }
    }

    private void removeVoter(BulwarkClient client, ClusterAdmin admin, int partition, int node, Iterable<Integer> nodes)
            throws TimeoutException {
        long deadline = System.nanoTime() + STEP_TIMEOUT_NANOS;
        while (true) {
            View v = view(client, partition, nodes);
            if (v != null && !v.voters().contains(node) && !v.learners().contains(node)
                    && knownByMajority(client, partition, v.voters(), node)) {
                try {
                    admin.removeReplica(node, partition);
                } catch (UnavailableException e) {
                    // A dead node being removed: its replica is no longer a member, whatever becomes of it.
                    say("node " + node + " does not answer; partition " + partition + " no longer counts it");
                }
                return;
            }
            ClusterAdmin.Proposal last = null;
            if (v != null) {
                last = admin.removeMember(v.leader(), partition, node);
            }
            check(deadline, "partition " + partition + ": node " + node + " was not removed (last view " + v
                    + ", last proposal " + last + ")");
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /**
     * True once a majority of {@code voters} report a membership without {@code removed}. Only then is the removed
     * replica stopped for good: were the leader to lose its disk before anyone else learned the removal, the
     * group would otherwise count a voter that no longer exists.
     */
    private static boolean knownByMajority(BulwarkClient client, int partition, List<Integer> voters, int removed) {
        int know = 0;
        for (int voter : voters) {
            try {
                for (NodeStatus.Replica r : client.status(voter).partitions()) {
                    if (r.partition() == partition && !r.voters().contains(removed) && !r.learners().contains(removed)) {
                        know++;
                    }
                }
            } catch (UnavailableException | io.bulwark.client.InvalidRequestException e) {
                // not answering: does not count
            }
        }
        return know >= voters.size() / 2 + 1;
    }

    private void check(long deadline, String what) throws TimeoutException {
        if (System.nanoTime() - deadline > 0) {
            throw new TimeoutException(what + " within " + TimeUnit.NANOSECONDS.toSeconds(STEP_TIMEOUT_NANOS)
                    + " s; the cluster is safe and the move can be run again to resume. Last seen: " + lastSeen);
        }
    }

    private void say(String line) {
        if (progress != null) {
            progress.println(line);
        }
    }
}
