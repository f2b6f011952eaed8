package io.bulwark.paxos;

import io.bulwark.core.RandomSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * A hand-driven group of replicas for protocol tests: messages wait in a queue until the test delivers
 * them, persistence is instant, and every chosen entry is checked against every other replica's choice
 * for the same slot.
 */
final class TestGroup {

    final TreeMap<Integer, Replica> replicas = new TreeMap<>();
    final Deque<Message> inFlight = new ArrayDeque<>();
    final TreeMap<Long, Value> chosen = new TreeMap<>();
    final TreeMap<Integer, List<Entry>> committed = new TreeMap<>();
    final TreeMap<Integer, List<ReadState>> reads = new TreeMap<>();
    final TreeMap<Integer, Recovered> durable = new TreeMap<>();
    /** What each replica's disk holds as of its last fsync: a power loss keeps only this. */
    final TreeMap<Integer, Recovered> synced = new TreeMap<>();
    final TreeSet<Integer> down = new TreeSet<>();
    /** Replicas cut off from everyone: messages from or to them are lost on delivery. */
    final TreeSet<Integer> isolated = new TreeSet<>();
    final List<Message> trace = new ArrayList<>();
    private final ReplicaOptions options;
    private final Membership membership;
    private final boolean staggered;

    TestGroup(ReplicaOptions options, int... ids) {
        this(options, false, ids);
    }

    /**
     * With {@code staggered}, election timeouts are not random: the i-th replica listed waits
     * {@code electionTimeoutTicks + 3 * i} ticks, so scenarios can say who campaigns first.
     */
    TestGroup(ReplicaOptions options, boolean staggered, int... ids) {
        this.options = options;
        this.staggered = staggered;
        this.membership = Membership.ofVoters(ids);
        for (int id : ids) {
            durable.put(id, Recovered.empty());
            start(id);
        }
    }

    /** Snapshot each replica saved or installed (the "disk" keeps only its description here). */
    final TreeMap<Integer, SnapshotMeta> snapshots = new TreeMap<>();

    /** Adds a brand-new replica on fresh storage, knowing only the group's initial membership. */
    void addReplica(int id, long incarnation) {
        durable.put(id, Recovered.fresh(incarnation));
        start(id);
    }

    /** Wipes a replica's disk: it restarts empty, on a new incarnation. */
    void wipe(int id, long newIncarnation) {
        crash(id);
        snapshots.remove(id);
        durable.put(id, Recovered.fresh(newIncarnation));
        synced.put(id, durable.get(id));
        start(id);
    }

    /** The replica snapshots everything it has applied and drops its log up to there. */
    void compact(int id) {
        Replica r = replicas.get(id);
        long index = r.chosenIndex();
        SnapshotMeta meta = new SnapshotMeta(index, 64, 0, r.membershipAt(index));
        r.compacted(meta);
        snapshots.put(id, meta);
        Recovered d = durable.get(id);
        durable.put(id, new Recovered(d.incarnation(), d.promised(),
                d.entries().stream().filter(e -> e.slot() > index).toList(), d.chosenIndex(), meta));
    }

    void start(int id) {
        int rank = membership.voters().headSet(id).size();
        RandomSource random = staggered ? new RandomSource() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public long nextLong(long bound) {
                return Math.min(bound - 1, 3L * rank);
            }
        } : RandomSource.seeded(id);
        replicas.put(id, Replica.start(id, options, random, membership, durable.get(id)));
        committed.put(id, new ArrayList<>());
        reads.put(id, new ArrayList<>());
        down.remove(id);
        drain(id);
    }

    /**
     * A power loss: the replica stops and its disk keeps only what its last fsync covered (records written
     * without a sync, such as a chosen prefix learned from a heartbeat, are gone).
     */
    void powerLoss(int id) {
        crash(id);
        durable.put(id, synced.get(id));
    }

    /** Loses everything but what was persisted: promise and entries (our "disk" keeps all persisted records). */
    void crash(int id) {
        down.add(id);
        inFlight.removeIf(m -> m.to() == id || m.from() == id);
    }

    Replica get(int id) {
        return replicas.get(id);
    }

    void drain(int id) {
        Replica r = replicas.get(id);
        while (true) {
            Ready ready = r.ready();
            if (ready.isEmpty()) {
                return;
            }
            inFlight.addAll(ready.sendNow());
            Recovered d = durable.get(id);
            List<Entry> entries = new ArrayList<>(d.entries());
            entries.addAll(ready.entries());
            durable.put(id, new Recovered(d.incarnation(), ready.promise() != null ? ready.promise() : d.promised(), entries,
                    Math.max(d.chosenIndex(), ready.chosenIndex()), d.snapshot()));
            if (ready.mustSync() || !synced.containsKey(id)) {
                synced.put(id, durable.get(id));
            }
            inFlight.addAll(ready.sendAfterSync());
            r.persisted(ready.id());
            if (ready.restoreSnapshot() != null) {
                snapshots.put(id, ready.restoreSnapshot());
                Recovered dd = durable.get(id);
                durable.put(id, new Recovered(dd.incarnation(), dd.promised(), List.of(), dd.chosenIndex(),
                        ready.restoreSnapshot()));
                synced.put(id, durable.get(id));
            }
            for (Ready.SnapshotSend send : ready.snapshotSends()) {
                // The whole (pretend) snapshot in one chunk.
                SnapshotMeta m = send.snapshot();
                inFlight.add(new Message.InstallSnapshot(id, send.to(), send.ballot(), m.index(), m.totalBytes(),
                        m.crc32c(), 0, new byte[(int) m.totalBytes()]));
            }
            for (Entry e : ready.committed()) {
                Value previous = chosen.putIfAbsent(e.slot(), e.value());
                if (previous != null && !previous.equals(e.value())) {
                    throw new AssertionError("agreement violated at slot " + e.slot() + ": " + previous + " vs "
                            + e.value() + " (replica " + id + ")");
                }
                committed.get(id).add(e);
            }
            reads.get(id).addAll(ready.reads());
        }
    }

    void tick(int id, int times) {
        for (int i = 0; i < times; i++) {
            if (!down.contains(id)) {
                replicas.get(id).tick();
                drain(id);
            }
        }
    }

    void tickAll(int times) {
        for (int i = 0; i < times; i++) {
            for (int id : replicas.keySet()) {
                tick(id, 1);
            }
        }
    }

    /** Delivers queued messages (and those they cause) until none match, or the budget runs out. */
    int deliverAll(Predicate<Message> filter) {
        int delivered = 0;
        for (int budget = 100_000; budget > 0 && !inFlight.isEmpty(); budget--) {
            Message m = inFlight.poll();
            if (down.contains(m.to()) || !filter.test(m)) {
                continue;
            }
            if (isolated.contains(m.to()) || isolated.contains(m.from())) {
                continue;
            }
            trace.add(m);
            deliver(m);
            delivered++;
        }
        return delivered;
    }

    /** Hands one message to its replica; snapshot chunks are "written" whole and completed at once. */
    void deliver(Message m) {
        Replica r = replicas.get(m.to());
        if (m instanceof Message.InstallSnapshot s) {
            SnapshotMeta sent = snapshots.get(s.from());
            SnapshotMeta complete = sent != null && sent.index() == s.index() ? sent : null;
            r.snapshotReceived(s, complete == null ? 0 : s.totalBytes(), complete);
        } else {
            r.step(m);
        }
        drain(m.to());
    }

    int deliverAll() {
        return deliverAll(m -> true);
    }

    /** {@code rounds} times: tick every replica once, then deliver until quiet. */
    void run(int rounds) {
        for (int i = 0; i < rounds; i++) {
            tickAll(1);
            deliverAll();
        }
    }

    /** Runs up to {@code rounds} rounds until one of {@code candidates} leads; its id, or -1. */
    int awaitLeaderAmong(int rounds, int... candidates) {
        for (int round = 0; round < rounds; round++) {
            run(1);
            for (int id : candidates) {
                if (!down.contains(id) && replicas.get(id).role() == Role.LEADER) {
                    return id;
                }
            }
        }
        return -1;
    }

    /** Ticks every live replica one at a time, delivering everything, until some replica leads. */
    int electLeader() {
        for (int round = 0; round < 1000; round++) {
            for (Replica r : replicas.values()) {
                if (!down.contains(r.id()) && r.role() == Role.LEADER) {
                    deliverAll();
                    return r.id();
                }
            }
            tickAll(1);
            deliverAll();
        }
        throw new AssertionError("no leader elected");
    }

    static Command command(long client, long seq, String payload) {
        return new Command(client, seq, payload.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
