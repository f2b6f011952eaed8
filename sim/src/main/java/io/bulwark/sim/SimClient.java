package io.bulwark.sim;

import io.bulwark.core.RandomSource;
import io.bulwark.paxos.Replica;
import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.paxos.kv.KvResult;
import io.bulwark.sim.check.KvOperation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;

/**
 * A simulated client with one operation in flight: it sends to the replica it believes leads, follows
 * redirects, retries on timeouts at another replica with the same (client id, sequence number), and
 * records every operation in the history: completed with its result, failed (definitely not applied) or
 * indeterminate (may have been applied, at any time after it was invoked). Not thread-safe.
 */
final class SimClient implements SimNode.Requester {

    static final long TIMEOUT_US = 150 * Simulation.MS;
    static final int MAX_ATTEMPTS = 6;

    /** One logical operation; {@code sequence} numbers writes for exactly-once, reads carry 0. */
    record Op(int historyId, KvOperation operation, KvCommand command, long sequence, boolean viaReadIndex) {
    }

    /** A replica's answer: the state machine's result bytes, or a redirect, or "busy". */
    record Reply(byte[] result, boolean notLeader, int leaderHint) {
        static Reply done(byte[] r) {
            return new Reply(r, false, Replica.NO_NODE);
        }

        static Reply notLeader(int hint) {
            return new Reply(null, true, hint);
        }

        static Reply busy() {
            return new Reply(null, false, Replica.NO_NODE);
        }
    }

    final int id;
    private final Simulation sim;
    private final RandomSource random;
    private long nextSequence = 1;
    private long valueCounter;
    private int target;
    private Op current;
    private long attempt;
    private int attempts;
    /** True once some attempt may have reached a replica that queued the write. */
    private boolean mayHaveApplied;
    private boolean stopping;
    private ArrayDeque<String> auditKeys;
    private Runnable onAuditDone;

    SimClient(Simulation sim, int id, long seed) {
        this.sim = sim;
        this.id = id;
        this.random = RandomSource.seeded(seed);
        this.target = 1 + (int) random.nextLong(sim.config.replicas());
    }

    boolean busy() {
        return current != null;
    }

    void stopAfterCurrent() {
        stopping = true;
    }

    /** Makes this client the auditor: it reads every key once, in order, then runs {@code done}. */
    void audit(int keys, Runnable done) {
        auditKeys = new ArrayDeque<>();
        for (int k = 0; k < keys; k++) {
            auditKeys.add(key(k));
        }
        onAuditDone = done;
    }

    private static String key(int k) {
        return "k" + k;
    }

    /** Starts the next operation, unless stopping. */
    void next() {
        current = null;
        if (auditKeys != null) {
            if (auditKeys.isEmpty()) {
                onAuditDone.run();
                return;
            }
            String k = auditKeys.poll();
            begin(KvOperation.get(k), KvCommand.get(bytes(k)), 0, true);
            return;
        }
        if (stopping) {
            return;
        }
        String k = key((int) random.nextLong(sim.config.keys()));
        double p = random.nextDouble();
        String value = "v" + id + "." + (++valueCounter);
        if (p < 0.35) {
            boolean viaRead = random.nextDouble() < 0.7;
            begin(KvOperation.get(k), KvCommand.get(bytes(k)), viaRead ? 0 : nextSequence++, viaRead);
        } else if (p < 0.7) {
            begin(KvOperation.put(k, value), KvCommand.put(bytes(k), bytes(value)), nextSequence++, false);
        } else if (p < 0.8) {
            begin(KvOperation.delete(k), KvCommand.delete(bytes(k)), nextSequence++, false);
        } else {
            // Compare-and-set against a recent value of ours or absence; some succeed, many fail.
            String expected = random.nextDouble() < 0.3 || valueCounter < 2 ? null : "v" + id + "." + (valueCounter - 1);
            begin(KvOperation.cas(k, expected, value),
                    KvCommand.compareAndSet(bytes(k), expected == null ? null : bytes(expected), bytes(value)),
                    nextSequence++, false);
        }
    }

    private void begin(KvOperation op, KvCommand command, long sequence, boolean viaReadIndex) {
        int h = sim.history.invoke(id, op, sim.now());
        current = new Op(h, op, command, sequence, viaReadIndex);
        attempts = 0;
        mayHaveApplied = false;
        send();
    }

    private void send() {
        attempts++;
        long a = ++attempt;
        Op op = current;
        int to = target;
        if (!op.viaReadIndex()) {
            mayHaveApplied = true;
        }
        if (!sim.network.clientMessageLost()) {
            sim.after(sim.network.delayUs(), () -> {
                SimNode node = sim.nodes.get(to);
                if (node != null) {
                    node.request(this, id, a, op.viaReadIndex(), op.sequence(), op.command().encode());
                }
            });
        }
        sim.after(TIMEOUT_US, () -> {
            if (attempt == a && current == op) {
                retryElsewhere();
            }
        });
    }

    /** A replica answers attempt {@code a}; the reply travels back through the network. */
    @Override
    public void reply(long a, Reply r) {
        if (sim.network.clientMessageLost()) {
            return;
        }
        sim.after(sim.network.delayUs(), () -> receive(a, r));
    }

    private void receive(long a, Reply r) {
        if (a != attempt || current == null) {
            return;
        }
        if (r.result() != null) {
            Op done = current;
            sim.history.complete(done.historyId(), toCheckResult(KvResult.decode(r.result())), sim.now());
            current = null;
            sim.after(random.nextLong(2 * Simulation.MS), this::next);
            return;
        }
        if (r.notLeader() && r.leaderHint() != Replica.NO_NODE && r.leaderHint() != target) {
            target = r.leaderHint();
        } else {
            target = otherReplica();
        }
        if (attemptsExhausted()) {
            return;
        }
        long backoff = 1 + random.nextLong(r.notLeader() && r.leaderHint() != Replica.NO_NODE ? 1 : 20);
        long a2 = attempt;
        sim.after(backoff * Simulation.MS, () -> {
            if (attempt == a2 && current != null) {
                send();
            }
        });
    }

    private void retryElsewhere() {
        target = otherReplica();
        if (!attemptsExhausted()) {
            send();
        }
    }

    /** Gives up after too many attempts: the outcome is unknown if a write may have been queued. */
    private boolean attemptsExhausted() {
        if (attempts < MAX_ATTEMPTS || auditKeys != null) {
            return false;
        }
        Op op = current;
        if (op.viaReadIndex() || mayHaveApplied) {
            sim.history.indeterminate(op.historyId());
        } else {
            sim.history.fail(op.historyId());
        }
        current = null;
        sim.after(random.nextLong(5 * Simulation.MS), this::next);
        return true;
    }

    private int otherReplica() {
        List<Integer> ids = List.copyOf(sim.nodes.keySet());
        if (ids.size() == 1) {
            return ids.get(0);
        }
        int next;
        do {
            next = ids.get((int) random.nextLong(ids.size()));
        } while (next == target);
        return next;
    }

    private static io.bulwark.sim.check.KvResult toCheckResult(KvResult r) {
        if (r instanceof KvResult.Found f) {
            return io.bulwark.sim.check.KvResult.value(f.value() == null ? null : new String(f.value(), StandardCharsets.UTF_8));
        }
        if (r instanceof KvResult.CasOutcome c) {
            return io.bulwark.sim.check.KvResult.cas(c.succeeded());
        }
        if (r instanceof KvResult.Corrupt c) {
            throw new AssertionError("replica returned a corruption error in the simulator: " + c.detail());
        }
        return io.bulwark.sim.check.KvResult.ok();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
