package io.bulwark.sim;

import io.bulwark.core.RandomSource;
import io.bulwark.paxos.Codec;
import io.bulwark.paxos.Command;
import io.bulwark.paxos.Entry;
import io.bulwark.paxos.ExactlyOnceStateMachine;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Message;
import io.bulwark.paxos.ProposeResult;
import io.bulwark.paxos.ReadState;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.Replica;
import io.bulwark.paxos.ReplicaOptions;
import io.bulwark.paxos.SnapshotMeta;
import io.bulwark.paxos.Value;
import io.bulwark.paxos.StateMachine;
import io.bulwark.paxos.log.CorruptLogException;
import io.bulwark.paxos.log.CorruptSnapshotException;
import io.bulwark.paxos.log.LogOptions;
import io.bulwark.paxos.log.SnapshotReceiver;
import io.bulwark.paxos.log.SnapshotSource;
import io.bulwark.paxos.log.StoredSnapshot;
import io.bulwark.paxos.storage.ReplicaStorage;
import io.bulwark.sim.disk.SimulatedFileStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The simulator's driver of one replica, doing what the server's driver does with real threads: feeds it
 * ticks and messages, persists each {@link Ready} to a simulated disk through the real
 * {@link ReplicaStorage} and write-ahead log, sends messages only after what they promise is synced,
 * applies chosen commands to the replicated KV state machine, answers clients, takes and ships snapshots.
 *
 * <p>A crash throws away everything in memory; the disk keeps what was synced (and, with torn writes on,
 * a random part of what was not). A restart builds a new replica from exactly what the disk recovered.
 * Not thread-safe.
 */
final class SimNode {

    /** Base tick: 10 ms of virtual time, so the default election timeout is 100–200 ms. */
    static final long TICK_US = 10 * Simulation.MS;
    /** Small chunks, so that transfers take several messages and can be cut off half-way. */
    static final int SNAPSHOT_CHUNK_BYTES = 128;

    final int id;
    private final Simulation sim;
    private final Membership membership;
    private final RandomSource random;
    private final long tickUs;
    private SimulatedFileStore disk = new SimulatedFileStore();
    private ReplicaStorage storage;
    private Replica replica;
    private ExactlyOnceStateMachine machine;
    private StateMachine inner;
    private boolean up;
    private String permanentReason;
    /** Incarnation for the next empty disk: the bootstrap one at first, a fresh one after any wipe. */
    private long incarnationIfNew = Membership.BOOTSTRAP_INCARNATION;
    /** Set from a wipe or a flipped bit until this replica is a voter on intact storage again. */
    private boolean storageAtRisk;
    private long incarnation;
    private long applied;
    private long lastSnapshot;
    private long nextReadId = 1;
    private SnapshotReceiver receiving;

    private record ClientKey(long clientId, long sequence) implements Comparable<ClientKey> {
        @Override
        public int compareTo(ClientKey o) {
            int c = Long.compare(clientId, o.clientId);
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }

    /** Whoever sent a request: it gets the answer (through the network, its own business). */
    interface Requester {
        void reply(long attempt, SimClient.Reply r);
    }

    private record Waiting(Requester client, long attempt) {
    }

    private record WaitingRead(Requester client, long attempt, byte[] query) {
    }

    private final TreeMap<ClientKey, Waiting> writes = new TreeMap<>();
    private final TreeMap<Long, WaitingRead> reads = new TreeMap<>();

    SimNode(Simulation sim, int id, Membership membership, long seed) {
        this.sim = sim;
        this.id = id;
        this.membership = membership;
        this.random = RandomSource.seeded(seed);
        // Clock skew: each replica's tick runs up to 4% fast or slow, inside the 10% drift bound the
        // lease assumes (worst ratio 1.04 / 0.96 < 1.1).
        long skew = sim.config.has(Fault.CLOCK_SKEW) ? random.nextLong(801) - 400 : 0;
        this.tickUs = TICK_US + TICK_US * skew / 10_000;
    }

    Membership baseMembership() {
        return membership;
    }

    boolean isUp() {
        return up;
    }

    boolean permanentlyDown() {
        return permanentReason != null;
    }

    long appliedIndex() {
        return applied;
    }

    Replica replica() {
        return replica;
    }

    SimulatedFileStore disk() {
        return disk;
    }

    byte[] stateImage() {
        return machine.snapshot();
    }

    /** The replicated state machine as this replica holds it (null while down). */
    StateMachine stateMachine() {
        return up ? inner : null;
    }

    private ReplicaOptions options() {
        return ReplicaOptions.defaults().withLeaseReads(sim.config.leaseReads());
    }

    private static LogOptions logOptions() {
        // Small segments, so compaction actually deletes files within a short run; no write buffer, so
        // every record reaches the simulated disk when written and a crash before the fsync can tear it.
        return LogOptions.defaults().withMaxRecordBytes(32 << 10).withMaxSegmentBytes(64 << 10).withWriteBufferBytes(0);
    }

    /** Starts (or restarts) from what the disk holds. */
    void start() {
        try {
            storage = ReplicaStorage.open(disk, logOptions(), incarnationIfNew);
        } catch (CorruptLogException | CorruptSnapshotException | io.bulwark.paxos.storage.CorruptStorageException e) {
            sim.count("corruption detected at start");
            // The replica refuses to start on damaged acknowledged data: exactly the guarantee. The
            // operator's answer is to rebuild it from its peers: empty disk, new incarnation.
            sim.fault("replica " + id + " refuses to start: " + e.getMessage());
            wipeDisk();
            sim.scheduleRestart(this);
            return;
        } catch (IOException e) {
            // Like a process that exits on a disk error at start-up: its supervisor restarts it later.
            sim.fault("replica " + id + " failed to start: " + e.getMessage());
            sim.scheduleRestart(this);
            return;
        }
        if (storage.recoveryReport().truncatedTail().isPresent()) {
            sim.count("torn tail truncated");
        }
        inner = sim.newStateMachine();
        machine = new ExactlyOnceStateMachine(inner, 10_000);
        applied = 0;
        lastSnapshot = 0;
        receiving = null;
        replica = Replica.start(id, options(), RandomSource.seeded(random.nextLong()), membership, storage.recovered());
        up = true;
        incarnation++;
        long inc = incarnation;
        sim.after(random.nextLong(tickUs), () -> tick(inc));
        drain();
    }

    /** Loses all volatile state; the disk keeps what was durable. */
    void crash(String why) {
        if (!up) {
            return;
        }
        up = false;
        incarnation++;
        awaitingSync.clear();
        syncInFlight = false;
        writes.clear();
        reads.clear();
        replica = null;
        storage = null;
        // An armed fsync failure belongs to the process that crashed, not to the next one.
        disk.clearSyncFailure();
        if (sim.config.has(Fault.TORN_WRITE) && sim.faultsOn()) {
            disk.crash(random);
        } else {
            disk = disk.durableCopy();
        }
        sim.fault("crash " + id + " (" + why + ")");
        sim.scheduleRestart(this);
    }

    /** Makes the first start of a node that joins later use storage of its own incarnation, as a new node does. */
    void freshStorage() {
        do {
            incarnationIfNew = random.nextLong();
        } while (incarnationIfNew == Membership.BOOTSTRAP_INCARNATION);
    }

    /** Stops this replica for good: it was removed from the group and its node decommissioned. */
    void decommission(String why) {
        permanentReason = why;
        crash(why);
    }

    /** Crashes this replica and throws its disk away; it restarts empty on a new incarnation. */
    void wipe() {
        crash("disk wiped");
        wipeDisk();
    }

    private void wipeDisk() {
        disk = new SimulatedFileStore();
        do {
            incarnationIfNew = random.nextLong();
        } while (incarnationIfNew == Membership.BOOTSTRAP_INCARNATION);
        storageAtRisk = true;
    }

    /** Marks that this replica's disk may have lost data it acknowledged (a flipped bit). */
    void markStorageAtRisk() {
        storageAtRisk = true;
    }

    /**
     * True while this replica may hold less than it acknowledged: wiped, or hit by a bit flip, and not yet
     * a voter again on intact storage. The fault schedule never lets a majority be in this state, which is
     * the limit of what any replication protocol can survive.
     */
    boolean storageAtRisk() {
        if (storageAtRisk && up && replica.isVoter() && incarnationIfNew == replica.incarnation()
                && replica.chosenIndex() > 0) {
            storageAtRisk = false;
            sim.count("replica rebuilt and promoted");
        }
        return storageAtRisk;
    }

    void clearSyncFaults() {
        disk.clearSyncFailure();
    }

    private void tick(long inc) {
        if (!up || inc != incarnation) {
            return;
        }
        replica.tick();
        drain();
        if (up && inc == incarnation) {
            sim.after(tickUs, () -> tick(inc));
        }
    }

    /** Asks this node's replica to hand leadership to {@code successor}; true if it stepped down for it. */
    boolean transferLeadership(int successor) {
        if (!up) {
            return false;
        }
        boolean handed = replica.transferLeadership(successor);
        drain();
        return handed;
    }

    void deliver(Message m) {
        if (!up) {
            return;
        }
        if (m instanceof Message.InstallSnapshot s) {
            receiveSnapshotChunk(s);
        } else {
            boolean wasLeader = replica.role() == io.bulwark.paxos.Role.LEADER;
            replica.step(m);
            if (!wasLeader && replica.role() == io.bulwark.paxos.Role.LEADER) {
                sim.count("leader elected");
            }
        }
        lyingAbout = m;
        drain();
        lyingAbout = null;
    }

    /** The message just delivered, which a lying acceptor answers yes to whatever its state says. */
    private Message lyingAbout;

    private void receiveSnapshotChunk(Message.InstallSnapshot s) {
        if (s.index() <= replica.chosenIndex()) {
            replica.snapshotReceived(s, s.totalBytes(), null);
            return;
        }
        try {
            if (receiving == null || receiving.index() != s.index()) {
                if (receiving != null) {
                    receiving.abort();
                }
                receiving = storage.beginReceive(s.index(), s.totalBytes(), s.crc32c());
                if (receiving.receivedBytes() > 0) {
                    sim.count("snapshot transfer resumed after restart");
                }
            } else if (s.offset() != receiving.receivedBytes()) {
                sim.count("snapshot chunk out of place, sender told where to resume");
            }
            if (s.offset() == receiving.receivedBytes()) {
                receiving.write(s.offset(), s.chunk());
            }
            long received = receiving.receivedBytes();
            SnapshotMeta done = null;
            if (received == s.totalBytes()) {
                StoredSnapshot stored = receiving.finish();
                receiving = null;
                sim.count("snapshot installed");
                done = new SnapshotMeta(stored.index(), s.totalBytes(), s.crc32c(),
                        Codec.decodeMembership(stored.metadata()));
            }
            replica.snapshotReceived(s, received, done);
        } catch (CorruptSnapshotException e) {
            // The assembled snapshot failed its checksum: start over from byte 0.
            receiving = null;
            replica.snapshotReceived(s, 0, null);
        } catch (IOException e) {
            crash("snapshot write failed: " + e.getMessage());
        }
    }

    /**
     * Client entry point: a write (a log command under the exactly-once session {@code (clientId, sequence)}) or,
     * {@code viaReadIndex}, a query answered after a read index (or lease) confirms this replica leads.
     */
    void request(Requester client, long clientId, long attempt, boolean viaReadIndex, long sequence, byte[] payload) {
        if (!up) {
            return;
        }
        if (viaReadIndex) {
            long readId = nextReadId++;
            reads.put(readId, new WaitingRead(client, attempt, payload));
            replica.read(readId);
        } else {
            Command c = new Command(clientId, sequence, payload);
            ProposeResult r = replica.propose(c);
            switch (r) {
                case QUEUED -> writes.put(new ClientKey(clientId, sequence), new Waiting(client, attempt));
                case NOT_LEADER -> client.reply(attempt, SimClient.Reply.notLeader(replica.leaderHint()));
                case BUSY, TOO_LARGE -> client.reply(attempt, SimClient.Reply.busy());
            }
        }
        drain();
    }

    /**
     * Runs the Ready loop until the replica has nothing more to say. Writes reach the disk at once; the
     * fsync takes 0.2–2 ms of virtual time, and Readies that arrive meanwhile share the next one (group
     * commit). A Ready's {@code sendAfterSync} messages and its {@code persisted} report wait for its
     * sync, and so do those of every later Ready, to keep them in order. A crash in that window loses or
     * tears the unsynced writes, as on a real disk.
     */
    private void drain() {
        while (up) {
            Ready ready = replica.ready();
            if (ready.isEmpty()) {
                return;
            }
            for (Message m : ready.sendNow()) {
                sim.network.send(lie(m));
            }
            try {
                storage.write(ready);
            } catch (IOException e) {
                crash("write failed: " + e.getMessage());
                return;
            }
            if (ready.mustSync() || !awaitingSync.isEmpty()) {
                awaitingSync.add(ready);
                scheduleSync();
            } else {
                replica.persisted(ready.id());
            }
            // Chosen entries, reads and snapshot transfers do not depend on this replica's own disk.
            if (ready.restoreSnapshot() != null) {
                restore(ready.restoreSnapshot());
            }
            for (Entry e : ready.committed()) {
                apply(e);
                if (!up) {
                    return;
                }
            }
            for (ReadState r : ready.reads()) {
                answerRead(r);
            }
            for (Command c : ready.abandoned()) {
                Waiting w = writes.remove(new ClientKey(c.clientId(), c.sequence()));
                if (w != null) {
                    w.client.reply(w.attempt, SimClient.Reply.notLeader(Replica.NO_NODE));
                }
            }
            for (Ready.SnapshotSend s : ready.snapshotSends()) {
                sendSnapshotChunk(s);
            }
            maybeSnapshot();
        }
    }

    private final java.util.ArrayDeque<Ready> awaitingSync = new java.util.ArrayDeque<>();
    private boolean syncInFlight;

    private void scheduleSync() {
        if (syncInFlight) {
            return;
        }
        syncInFlight = true;
        long inc = incarnation;
        sim.after(200 + random.nextLong(1_800), () -> completeSync(inc));
    }

    private void completeSync(long inc) {
        if (!up || inc != incarnation) {
            return;
        }
        syncInFlight = false;
        java.util.List<Ready> covered = new ArrayList<>(awaitingSync);
        awaitingSync.clear();
        try {
            storage.sync();
            // A marker after every sync lets recovery tell damaged synced data from a torn tail.
            storage.markIdle();
        } catch (IOException e) {
            sim.count("fsync failure stopped replica");
            crash("fsync failed: " + e.getMessage());
            return;
        }
        if (covered.size() > 1) {
            sim.count("group commit covered several readies");
        }
        for (Ready r : covered) {
            for (Message m : r.sendAfterSync()) {
                sim.network.send(lie(m));
            }
            replica.persisted(r.id());
        }
        drain();
    }

    /**
     * The deliberately broken acceptor of {@link SimConfig#lyingAcceptor()}: it skips the promise check —
     * grants every pre-vote, promises every candidate, accepts from stale leaders — and reports nothing it
     * accepted. A correct protocol cannot survive such a member; the checkers must notice.
     */
    private Message lie(Message m) {
        if (!sim.config.lyingAcceptor() || id != 1) {
            return m;
        }
        if (m instanceof Message.PreVoteReply r && !r.granted()) {
            return new Message.PreVoteReply(r.from(), r.to(), r.ballot(), true);
        }
        if (m instanceof Message.Promise p) {
            return new Message.Promise(p.from(), p.to(), p.ballot(), 0, List.of(), p.incarnation());
        }
        if (m instanceof Message.Reject r && lyingAbout != null && r.to() == lyingAbout.from()) {
            if (lyingAbout instanceof Message.Prepare p && r.rejected().equals(p.ballot())) {
                return new Message.Promise(id, r.to(), r.rejected(), 0, List.of(), replica.incarnation());
            }
            if (lyingAbout instanceof Message.Accept a && r.rejected().equals(a.ballot()) && !a.entries().isEmpty()) {
                return new Message.Accepted(id, r.to(), a.ballot(), a.entries().get(0).slot(),
                        a.entries().get(a.entries().size() - 1).slot(), 0, replica.incarnation());
            }
        }
        return m;
    }

    private void restore(SnapshotMeta meta) {
        try {
            StoredSnapshot s = storage.latestSnapshot().orElseThrow(() ->
                    new IllegalStateException("replica " + id + " was told to restore snapshot " + meta.index()
                            + " but storage has none"));
            if (s.index() != meta.index()) {
                throw new IllegalStateException("replica " + id + " restoring snapshot " + meta.index()
                        + " but the newest on disk is " + s.index());
            }
            machine.restore(s.state());
            applied = s.index();
            lastSnapshot = s.index();
            storage.compact(s.index(), replica.promised(), replica.entriesAfter(s.index()), replica.chosenIndex());
        } catch (IOException e) {
            crash("snapshot restore failed: " + e.getMessage());
        }
    }

    private void apply(Entry e) {
        String disagreement = sim.agreement.observe(id, e);
        if (disagreement != null) {
            sim.violation(disagreement);
        }
        if (e.slot() != applied + 1) {
            throw new AssertionError("replica " + id + " applied slot " + e.slot() + " after " + applied);
        }
        applied = e.slot();
        if (e.value() instanceof Value.Batch b) {
            for (Command c : b.commands()) {
                ExactlyOnceStateMachine.Applied a = machine.apply(e.slot(), c);
                if (a.duplicate()) {
                    sim.count("duplicate command not reapplied");
                }
                Waiting w = writes.remove(new ClientKey(c.clientId(), c.sequence()));
                if (w != null && a.result() != null) {
                    w.client.reply(w.attempt, SimClient.Reply.done(a.result()));
                }
            }
        }
    }

    private void answerRead(ReadState r) {
        WaitingRead w = reads.remove(r.readId());
        if (w == null) {
            return;
        }
        if (!r.ok()) {
            w.client.reply(w.attempt, SimClient.Reply.notLeader(replica.leaderHint()));
            return;
        }
        if (applied < r.index()) {
            throw new AssertionError("read ready at " + r.index() + " but replica " + id + " applied only " + applied);
        }
        w.client.reply(w.attempt, SimClient.Reply.done(inner.query(w.query)));
    }

    private void sendSnapshotChunk(Ready.SnapshotSend s) {
        try (SnapshotSource source = storage.openSnapshot(s.snapshot().index())) {
            int length = (int) Math.min(SNAPSHOT_CHUNK_BYTES, source.sizeBytes() - s.offset());
            byte[] chunk = new byte[Math.max(0, length)];
            int read = length <= 0 ? 0 : source.read(s.offset(), chunk, 0, length);
            if (read != length) {
                return;
            }
            sim.network.send(new Message.InstallSnapshot(id, s.to(), s.ballot(), source.index(), source.sizeBytes(),
                    source.crc32c(), s.offset(), chunk));
        } catch (IOException e) {
            // Superseded by a newer snapshot: the leader starts that one on its next attempt.
        }
    }

    private void maybeSnapshot() {
        int every = sim.config.snapshotEvery();
        if (!up || every <= 0 || applied - lastSnapshot < every || applied > replica.chosenIndex()) {
            return;
        }
        try {
            SnapshotMeta meta = storage.saveSnapshot(applied, replica.membershipAt(applied), machine.snapshot());
            replica.compacted(meta);
            storage.compact(applied, replica.promised(), replica.entriesAfter(applied), replica.chosenIndex());
            lastSnapshot = applied;
            sim.count("snapshot taken");
        } catch (IOException e) {
            crash("snapshot failed: " + e.getMessage());
        }
    }

    /** Arms an fsync failure on the next sync. */
    void failNextSync() {
        disk.failNextSync();
    }

    /** Flips one random bit in one random durable file (only while down). */
    String flipRandomBit() throws IOException {
        List<String> files = new ArrayList<>(disk.durableNames());
        if (files.isEmpty()) {
            return null;
        }
        String file = files.get((int) random.nextLong(files.size()));
        byte[] content = disk.durableContent(file);
        if (content.length == 0) {
            return null;
        }
        long bit = random.nextLong(content.length * 8L);
        disk.flipBit(file, bit);
        return file + " bit " + bit;
    }
}
