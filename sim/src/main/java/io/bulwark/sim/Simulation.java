package io.bulwark.sim;

import io.bulwark.core.RandomSource;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Message;
import io.bulwark.sim.check.History;
import io.bulwark.sim.check.LinearizabilityChecker;
import io.bulwark.sim.check.LinearizabilityResult;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One deterministic simulated run of a Paxos group under a workload and a fault schedule.
 *
 * <p>Everything happens on the calling thread, in virtual time (microseconds), from one seeded
 * {@link RandomSource}: the network ({@link SimNetwork}), the replicas' drivers and disks
 * ({@link SimNode}), the clients ({@link SimClient}) and the fault schedule. Events with equal times run
 * in the order they were scheduled, so the same seed always produces the same run, event for event.
 *
 * <p>Checks: agreement on every chosen entry as it is applied ({@link AgreementChecker}); the client
 * history for linearizability (which also catches lost acknowledged writes, since a final read of every
 * key after the faults must agree with them); and, after the quiet period, that every replica that
 * caught up holds the same state. Replica invariant failures are violations too.
 *
 * <p>Not thread-safe; one run per instance.
 */
public final class Simulation {

    /** Virtual microseconds per millisecond. */
    static final long MS = 1_000;

    final SimConfig config;
    final RandomSource random;
    /** The last events kept for a failure report; {@code -Dbulwark.sim.trace=N} keeps more when debugging a seed. */
    final TraceBuffer trace = new TraceBuffer(Integer.getInteger("bulwark.sim.trace", 400));
    final History history = new History();
    final AgreementChecker agreement = new AgreementChecker();
    final List<String> violations = new ArrayList<>();
    final List<String> faultTimeline = new ArrayList<>();
    /** How often each rare path ran: proof that a passing run exercised what it claims to. */
    final TreeMap<String, Long> coverage = new TreeMap<>();
    final TreeMap<Integer, SimNode> nodes = new TreeMap<>();
    final SimNetwork network;
    final List<SimClient> clients = new ArrayList<>();
    private final EventQueue queue;
    private final java.util.function.Supplier<io.bulwark.paxos.StateMachine> stateMachines;
    private boolean faultsOn = true;
    private boolean stopped;

    Simulation(SimConfig config) {
        this(config, new EventQueue(), io.bulwark.paxos.kv.KvStateMachine::new);
    }

    private Simulation(SimConfig config, EventQueue queue,
                       java.util.function.Supplier<io.bulwark.paxos.StateMachine> stateMachines) {
        this.config = config;
        this.random = RandomSource.seeded(config.seed());
        this.network = new SimNetwork(this);
        this.queue = queue;
        this.stateMachines = stateMachines;
    }

    /** A fresh state machine for a replica that starts or restarts. */
    io.bulwark.paxos.StateMachine newStateMachine() {
        return stateMachines.get();
    }

    /**
     * A Paxos group of {@code config.replicas()} simulated replicas, with its own network and fault schedule, living
     * in someone else's virtual time ({@code queue}) and replicating {@code stateMachines}: a building block for
     * simulations of systems made of many groups (the transaction simulator's partitions). The embedder sends
     * requests with {@link Group#request}, stops the faults with {@link Group#quiet}, and collects
     * {@link Group#violations}.
     */
    public static Group group(SimConfig config, EventQueue queue,
                              java.util.function.Supplier<io.bulwark.paxos.StateMachine> stateMachines) {
        Simulation sim = new Simulation(config, queue, stateMachines);
        int[] ids = new int[config.replicas()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i + 1;
        }
        Membership membership = Membership.ofVoters(ids);
        for (int id : ids) {
            sim.nodes.put(id, new SimNode(sim, id, membership, sim.random.nextLong()));
        }
        for (SimNode n : sim.nodes.values()) {
            n.start();
        }
        new FaultSchedule(sim).plan();
        return new Group(sim);
    }

    /** An embedded group; see {@link #group}. Not thread-safe. */
    public static final class Group {
        private final Simulation sim;

        private Group(Simulation sim) {
            this.sim = sim;
        }

        /** Replica ids, in order. */
        public List<Integer> replicas() {
            return List.copyOf(sim.nodes.keySet());
        }

        /** An answer to {@link #request}: the result bytes, or a redirect (hint {@code -1}: none), or busy. */
        public interface Answer {
            void accept(byte[] result, boolean notLeader, int leaderHint);
        }

        /**
         * Hands a request to replica {@code replica} as if it had arrived there: a write under the exactly-once
         * session {@code (clientId, sequence)}, or a query served after a read index. A replica that is down or
         * crashes before answering never answers.
         */
        public void request(int replica, long clientId, long sequence, boolean query, byte[] payload, Answer answer) {
            SimNode n = sim.nodes.get(replica);
            if (n == null) {
                return;
            }
            n.request((attempt, r) -> answer.accept(r.result(), r.notLeader(), r.leaderHint()), clientId, 0, query,
                    query ? 0 : sequence, payload);
        }

        /** Faults stop: partitions heal, crashed replicas restart. */
        public void quiet() {
            sim.beginQuiet();
        }

        /** The state machine of the up replica that applied the most (null if none is up). */
        public io.bulwark.paxos.StateMachine mostAppliedState() {
            SimNode best = null;
            for (SimNode n : sim.nodes.values()) {
                if (n.isUp() && (best == null || n.appliedIndex() > best.appliedIndex())) {
                    best = n;
                }
            }
            return best == null ? null : best.stateMachine();
        }

        /** Safety violations seen so far, replica convergence included once {@code checkConvergence} ran. */
        public List<String> violations() {
            return List.copyOf(sim.violations);
        }

        /** Checks that replicas which applied the same prefix hold the same state. */
        public void checkConvergence() {
            sim.checkConvergence();
        }

        /** How often each rare path ran in this group. */
        public java.util.SortedMap<String, Long> coverage() {
            return new TreeMap<>(sim.coverage);
        }

        /** One line per replica: up or down, role, chosen and applied index, leader hint (for failure reports). */
        public String describe() {
            return sim.describeReplicas();
        }

        /** The group's fault timeline. */
        public List<String> faults() {
            return List.copyOf(sim.faultTimeline);
        }
    }

    /** One line per replica: up or down, role, chosen and applied index, leader hint, membership. */
    String describeReplicas() {
        StringBuilder b = new StringBuilder();
        for (SimNode n : nodes.values()) {
            b.append("replica ").append(n.id).append(": ");
            if (!n.isUp()) {
                b.append(n.permanentlyDown() ? "down for good" : "down");
            } else {
                io.bulwark.paxos.Replica r = n.replica();
                b.append(r.role()).append(", chosen ").append(r.chosenIndex()).append(", applied ")
                        .append(n.appliedIndex()).append(", leader hint ").append(r.leaderHint())
                        .append(", incarnation ").append(Long.toHexString(r.incarnation()))
                        .append(", membership ").append(r.membership());
            }
            b.append("; ");
        }
        return b.toString();
    }

    /** Runs {@code config} to the end and checks it. */
    public static SimResult run(SimConfig config) {
        Simulation sim = new Simulation(config);
        return sim.execute();
    }

    long now() {
        return queue.now();
    }

    /** Schedules {@code action} after {@code delayUs}. */
    void after(long delayUs, Runnable action) {
        queue.after(delayUs, action);
    }

    boolean faultsOn() {
        return faultsOn;
    }

    /** Records a safety violation; the run stops at the next event. */
    void violation(String what) {
        violations.add(what);
        trace.add(queue.now(), "VIOLATION " + what);
        stopped = true;
    }

    void count(String probe) {
        coverage.merge(probe, 1L, Long::sum);
    }

    void fault(String what) {
        String line = String.format("%8.1f ms  %s", queue.now() / 1000.0, what);
        faultTimeline.add(line);
        trace.add(queue.now(), "FAULT " + what);
    }

    private SimResult execute() {
        int[] ids = new int[config.replicas()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i + 1;
        }
        Membership membership = Membership.ofVoters(ids);
        for (int id : ids) {
            nodes.put(id, new SimNode(this, id, membership, random.nextLong()));
        }
        for (SimNode n : nodes.values()) {
            n.start();
        }
        for (int c = 0; c < config.clients(); c++) {
            SimClient client = new SimClient(this, 100 + c, random.nextLong());
            clients.add(client);
            after(random.nextLong(20 * MS), client::next);
        }
        new FaultSchedule(this).plan();
        long quietAt = config.faultMs() * MS;
        long endAt = quietAt + config.quietMs() * MS;
        after(quietAt, this::beginQuiet);
        after(endAt, this::beginAudit);
        // Hard stop: the audit needs at most a few election timeouts once the group is healthy.
        long hardStop = endAt + 5_000 * MS;
        try {
            while (!queue.isEmpty() && !stopped) {
                if (queue.nextTime() > hardStop) {
                    violation("audit did not finish within 5 s of virtual time after faults stopped: the group "
                            + "did not recover (liveness); " + describeReplicas());
                    break;
                }
                queue.runNext();
            }
        } catch (AssertionError | RuntimeException e) {
            violation("replica or driver failed: " + e);
        }
        if (violations.isEmpty()) {
            checkHistory();
        }
        if (violations.isEmpty()) {
            checkConvergence();
        }
        return new SimResult(config.seed(), history.size(), queue.executed(), List.copyOf(violations),
                List.copyOf(faultTimeline), violations.isEmpty() ? List.of() : trace.lines(), agreement.slots(),
                auditDone, new TreeMap<>(coverage));
    }

    /** Faults stop: partitions heal, lost replicas restart, the network becomes reliable. */
    private void beginQuiet() {
        faultsOn = false;
        network.healAll();
        fault("faults stop; partitions healed");
        for (SimNode n : nodes.values()) {
            n.clearSyncFaults();
            if (!n.isUp() && !n.permanentlyDown()) {
                n.start();
                if (n.isUp()) {
                    fault("restart " + n.id + " (quiet period)");
                }
            }
        }
    }

    private boolean auditDone;

    /** Clients stop; then one auditor reads every key, sequentially, after everything else finished. */
    private void beginAudit() {
        for (SimClient c : clients) {
            c.stopAfterCurrent();
        }
        SimClient auditor = new SimClient(this, 99, random.nextLong());
        auditor.audit(config.keys(), () -> {
            auditDone = true;
            stopped = true;
        });
        clients.add(auditor);
        awaitClientsThenAudit(auditor);
    }

    private void awaitClientsThenAudit(SimClient auditor) {
        for (SimClient c : clients) {
            if (c != auditor && c.busy()) {
                after(5 * MS, () -> awaitClientsThenAudit(auditor));
                return;
            }
        }
        auditor.next();
    }

    private void checkHistory() {
        LinearizabilityResult result = LinearizabilityChecker.create().check(history);
        linearizability = result;
        if (!result.linearizable()) {
            if (result.violations().isEmpty()) {
                // UNKNOWN: the search budget ran out; not a proof of a bug, but never silently a pass.
                violations.add("linearizability check inconclusive (search budget exhausted) for keys "
                        + result.unknownKeys());
            } else {
                violations.add("history not linearizable:\n" + result.explanation());
            }
        }
    }

    private LinearizabilityResult linearizability;

    /** Replicas that applied the same prefix must hold byte-identical state. */
    private void checkConvergence() {
        TreeMap<Long, byte[]> byIndex = new TreeMap<>();
        TreeMap<Long, Integer> who = new TreeMap<>();
        for (SimNode n : nodes.values()) {
            if (!n.isUp()) {
                continue;
            }
            byte[] state = n.stateImage();
            byte[] previous = byIndex.putIfAbsent(n.appliedIndex(), state);
            if (previous != null && !java.util.Arrays.equals(previous, state)) {
                violations.add("replicas " + who.get(n.appliedIndex()) + " and " + n.id
                        + " applied the same " + n.appliedIndex() + " slots but hold different state");
            }
            who.putIfAbsent(n.appliedIndex(), n.id);
        }
    }

    /** A crashed replica restarts 50–600 ms later (or when faults stop, whichever is first). */
    void scheduleRestart(SimNode n) {
        long downMs = 50 + random.nextLong(550);
        after(downMs * MS, () -> {
            if (!n.isUp() && !n.permanentlyDown()) {
                n.start();
                if (n.isUp()) {
                    fault("restart " + n.id);
                }
            }
        });
    }

    /** A new node with a replica on fresh storage, started; it knows only the group's initial membership. */
    SimNode addNode(int id) {
        SimNode first = nodes.firstEntry().getValue();
        SimNode n = new SimNode(this, id, first.baseMembership(), random.nextLong());
        n.freshStorage();
        nodes.put(id, n);
        n.start();
        return n;
    }

    /** The up replica that believes it leads with the highest ballot, or null. */
    SimNode leader() {
        SimNode best = null;
        for (SimNode n : nodes.values()) {
            if (n.isUp() && n.replica().role() == io.bulwark.paxos.Role.LEADER
                    && (best == null || n.replica().chosenIndex() > best.replica().chosenIndex())) {
                best = n;
            }
        }
        return best;
    }

    /** Ids of replicas currently up. */
    TreeSet<Integer> upNodes() {
        TreeSet<Integer> up = new TreeSet<>();
        for (SimNode n : nodes.values()) {
            if (n.isUp()) {
                up.add(n.id);
            }
        }
        return up;
    }

    void deliver(Message m) {
        SimNode n = nodes.get(m.to());
        if (n != null) {
            n.deliver(m);
        }
    }
}
