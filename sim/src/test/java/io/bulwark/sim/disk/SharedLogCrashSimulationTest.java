package io.bulwark.sim.disk;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.core.RandomSource;
import io.bulwark.paxos.Ballot;
import io.bulwark.paxos.Codec;
import io.bulwark.paxos.Command;
import io.bulwark.paxos.Entry;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.Recovered;
import io.bulwark.paxos.Value;
import io.bulwark.paxos.log.LogOptions;
import io.bulwark.paxos.storage.CorruptStorageException;
import io.bulwark.paxos.storage.SharedLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The node-wide shared log ({@link SharedLog}) on the simulated disk under seeded crashes, torn writes and
 * fsync failures, with several groups' records interleaved: for every group, what was synced survives, in
 * order, and nothing is invented or attributed to another group. With snapshots, checkpoints and segment
 * deletion on, the same holds for snapshot plus log, and a bit flipped in a snapshot file either falls back to
 * an older snapshot that the log still continues, or stops recovery with an error; never a silent gap. A
 * failure names its seed.
 */
class SharedLogCrashSimulationTest {

    static final int SEEDS = 300;

    /** What a group was given to write, in order, and how much of it a sync covered. */
    private static class Model {
        final long incarnation;
        final List<Entry> entries = new ArrayList<>();
        int syncedEntries;
        Ballot promised = Ballot.ZERO;
        Ballot syncedPromise = Ballot.ZERO;
        long chosen;
        long syncedChosen;
        boolean incarnationSynced;

        Model(long incarnation) {
            this.incarnation = incarnation;
        }
    }

    private static final class Coverage {
        int lostTails;
        int fsyncFailures;
        int recoveredEntries;
        int groupsCreatedLater;
    }

    @Test
    void everyGroupRecoversWhatWasSyncedAndNothingElse() throws IOException {
        Coverage coverage = new Coverage();
        for (long seed = 0; seed < SEEDS; seed++) {
            run(seed, coverage);
        }
        assertThat(coverage.lostTails).isGreaterThan(SEEDS / 2);
        assertThat(coverage.fsyncFailures).isGreaterThan(SEEDS / 10);
        assertThat(coverage.recoveredEntries).isGreaterThan(SEEDS * 20);
        assertThat(coverage.groupsCreatedLater).isGreaterThan(SEEDS / 2);
    }

    private static void run(long seed, Coverage coverage) throws IOException {
        RandomSource random = RandomSource.seeded(seed);
        SimulatedFileStore disk = new SimulatedFileStore();
        LogOptions options = new LogOptions(900, 400, (int) random.nextLong(3) * 128);
        Map<Integer, Model> models = new TreeMap<>();
        long readyId = 0;
        for (int life = 0; life < 4; life++) {
            String where = "seed " + seed + " life " + life;
            SharedLog log = SharedLog.open(disk, options);
            // Recovery: every group's state is a prefix of what it was given, at least its synced part.
            Map<Integer, SharedLog.Group> views = new TreeMap<>();
            for (Map.Entry<Integer, Model> e : List.copyOf(models.entrySet())) {
                int id = e.getKey();
                Model m = e.getValue();
                if (!log.recoveredGroups().contains(id)) {
                    assertThat(m.incarnationSynced).as(where + ": group " + id + " lost a synced incarnation").isFalse();
                    assertThat(m.syncedEntries).as(where + ": group " + id + " vanished with synced entries").isZero();
                    models.remove(id);
                    coverage.lostTails++;
                    continue;
                }
                SharedLog.Group g = log.group(id, 999);
                Recovered r = g.recovered();
                assertThat(r.incarnation()).as(where + ": group " + id + " incarnation").isEqualTo(m.incarnation);
                assertThat(r.entries().size()).as(where + ": group " + id + " lost synced entries")
                        .isGreaterThanOrEqualTo(m.syncedEntries).isLessThanOrEqualTo(m.entries.size());
                assertThat(r.entries()).as(where + ": group " + id + " entries are a prefix of what it wrote")
                        .isEqualTo(m.entries.subList(0, r.entries().size()));
                assertThat(r.promised().compareTo(m.syncedPromise)).as(where + ": promise went back").isGreaterThanOrEqualTo(0);
                assertThat(r.promised().compareTo(m.promised)).as(where + ": promise invented").isLessThanOrEqualTo(0);
                assertThat(r.chosenIndex()).as(where + ": chosen index").isBetween(m.syncedChosen, m.chosen);
                if (r.entries().size() < m.entries.size()) {
                    coverage.lostTails++;
                }
                coverage.recoveredEntries += r.entries().size();
                // What recovery kept is now the model; all of it is on disk, treat it as synced from here on.
                m.entries.subList(r.entries().size(), m.entries.size()).clear();
                m.syncedEntries = m.entries.size();
                m.promised = r.promised();
                m.syncedPromise = r.promised();
                m.chosen = r.chosenIndex();
                m.syncedChosen = r.chosenIndex();
                m.incarnationSynced = true;
                views.put(id, g);
            }
            // New groups appear in later lives too (a node taking on a partition).
            int newGroups = life == 0 ? 2 + (int) random.nextLong(3) : views.isEmpty() ? 1 : (int) random.nextLong(2);
            for (int i = 0; i < newGroups; i++) {
                int id = 10 * life + i;
                if (models.containsKey(id)) {
                    continue;
                }
                long incarnation = random.nextLong(1_000);
                models.put(id, new Model(incarnation));
                views.put(id, log.group(id, incarnation));
                if (life > 0) {
                    coverage.groupsCreatedLater++;
                }
            }
            // Write, sometimes sync, then crash.
            if (random.nextLong(4) == 0) {
                disk.failSyncAfter((int) random.nextLong(4));
            }
            int steps = 10 + (int) random.nextLong(40);
            boolean failed = false;
            for (int step = 0; step < steps && !failed; step++) {
                List<Integer> ids = new ArrayList<>(views.keySet());
                int id = ids.get((int) random.nextLong(ids.size()));
                Model m = models.get(id);
                // The model takes the write first: if it fails midway (a segment roll's fsync can fail inside
                // an append) any part of it may or may not be on disk, which "a prefix of what was given" covers.
                try {
                    writeRandom(random, id, m, views.get(id), ++readyId);
                } catch (IOException e) {
                    coverage.fsyncFailures++;
                    failed = true;
                }
                if (!failed && random.nextLong(3) == 0) {
                    try {
                        log.sync();
                        for (Model each : models.values()) {
                            each.syncedEntries = each.entries.size();
                            each.syncedPromise = each.promised;
                            each.syncedChosen = each.chosen;
                            each.incarnationSynced = true;
                        }
                    } catch (IOException e) {
                        coverage.fsyncFailures++;
                        failed = true; // the log is unusable: the node stops
                    }
                }
            }
            disk.clearSyncFailure();
            if (random.nextLong(2) == 0) {
                disk.crash(random);
            } else {
                disk.crashProcess();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // With snapshots and compaction.

    private static final Membership MEMBERS = Membership.ofVoters(1, 2, 3);

    /** A group as its driver knows it: what it wrote (slot = position + 1) and its durable snapshots. */
    private static final class SnapModel extends Model {
        /** Newest snapshot saved (durable at once: saves are atomic and synced). */
        long newestSnapshot;

        SnapModel(long incarnation) {
            super(incarnation);
        }

        /** The image of a state machine that applied slots 1..index: their digest. */
        byte[] state(long index) {
            long digest = 17;
            for (int i = 0; i < index; i++) {
                digest = digest * 31 + Arrays.hashCode(Codec.encode(entries.get(i)));
            }
            return ByteBuffer.allocate(16).putLong(index).putLong(digest).array();
        }
    }

    private static final class SnapCoverage {
        int snapshotsTaken;
        int segmentsDeleted;
        int recoveredFromSnapshot;
        int snapshotsDamaged;
        int fellBackToOlderSnapshot;
        int refusedToStart;
        int fsyncFailures;
        int lostTails;
    }

    @Test
    void withSnapshotsAndCompactionEveryGroupRecoversWhatWasSyncedOrRefusesToStart() throws IOException {
        SnapCoverage coverage = new SnapCoverage();
        for (long seed = 0; seed < SEEDS; seed++) {
            runWithSnapshots(seed, coverage);
        }
        assertThat(coverage.snapshotsTaken).isGreaterThan(SEEDS * 3);
        assertThat(coverage.segmentsDeleted).isGreaterThan(SEEDS);
        assertThat(coverage.recoveredFromSnapshot).isGreaterThan(SEEDS);
        assertThat(coverage.fellBackToOlderSnapshot).isGreaterThan(SEEDS / 20);
        // Both answers to a damaged snapshot happen: mostly a fallback, sometimes (both retained ones damaged, or
        // the log already compacted past the older) a refusal.
        assertThat(coverage.refusedToStart).isPositive().isLessThan(coverage.snapshotsDamaged / 10);
        assertThat(coverage.fsyncFailures).isGreaterThan(SEEDS / 10);
        assertThat(coverage.lostTails).isGreaterThan(SEEDS / 4);
    }

    private static void runWithSnapshots(long seed, SnapCoverage coverage) throws IOException {
        RandomSource random = RandomSource.seeded(seed);
        SimulatedFileStore disk = new SimulatedFileStore();
        LogOptions options = new LogOptions(900, 400, (int) random.nextLong(3) * 128);
        Map<Integer, SnapModel> models = new TreeMap<>();
        long readyId = 0;
        boolean damagedSinceOpen = false;
        for (int life = 0; life < 6; life++) {
            String where = "seed " + seed + " life " + life;
            SharedLog log;
            try {
                log = SharedLog.open(disk, options);
            } catch (CorruptStorageException e) {
                // Only a damaged snapshot whose log was compacted away may stop a node, and it must say so.
                assertThat(damagedSinceOpen).as(where + ": refused to start without damage: " + e.getMessage()).isTrue();
                assertThat(e.getMessage()).as(where).contains("no usable snapshot").contains("rebuild");
                coverage.refusedToStart++;
                return; // the operator rebuilds this node from its peers
            }
            damagedSinceOpen = false;
            Map<Integer, SharedLog.Group> views = new TreeMap<>();
            for (Map.Entry<Integer, SnapModel> e : List.copyOf(models.entrySet())) {
                int id = e.getKey();
                SnapModel m = e.getValue();
                if (!log.recoveredGroups().contains(id)) {
                    assertThat(m.incarnationSynced).as(where + ": group " + id + " lost a synced incarnation").isFalse();
                    assertThat(m.newestSnapshot).as(where + ": group " + id + " vanished with a snapshot").isZero();
                    models.remove(id);
                    continue;
                }
                SharedLog.Group g = log.group(id, 999);
                Recovered r = g.recovered();
                long base = r.snapshot() == null ? 0 : r.snapshot().index();
                assertThat(r.incarnation()).as(where + ": group " + id + " incarnation").isEqualTo(m.incarnation);
                if (base > 0) {
                    coverage.recoveredFromSnapshot++;
                    assertThat(base).as(where + ": group " + id + " snapshot beyond what it wrote")
                            .isLessThanOrEqualTo(m.entries.size());
                    assertThat(g.recoveredSnapshot().state()).as(where + ": group " + id + " snapshot state at " + base)
                            .isEqualTo(m.state(base));
                    if (base < m.newestSnapshot) {
                        coverage.fellBackToOlderSnapshot++;
                    }
                }
                int upTo = (int) base + r.entries().size();
                assertThat(upTo).as(where + ": group " + id + " lost synced entries (snapshot " + base + ")")
                        .isGreaterThanOrEqualTo(m.syncedEntries).isLessThanOrEqualTo(m.entries.size());
                assertThat(r.entries()).as(where + ": group " + id + " entries above the snapshot are what it wrote")
                        .isEqualTo(m.entries.subList((int) base, upTo));
                assertThat(r.promised().compareTo(m.syncedPromise)).as(where + ": promise went back").isGreaterThanOrEqualTo(0);
                assertThat(r.promised().compareTo(m.promised)).as(where + ": promise invented").isLessThanOrEqualTo(0);
                assertThat(r.chosenIndex()).as(where + ": chosen index").isBetween(Math.max(m.syncedChosen, base), m.chosen);
                if (upTo < m.entries.size()) {
                    coverage.lostTails++;
                }
                m.entries.subList(upTo, m.entries.size()).clear();
                m.syncedEntries = m.entries.size();
                m.promised = r.promised();
                m.syncedPromise = r.promised();
                m.chosen = r.chosenIndex();
                m.syncedChosen = r.chosenIndex();
                m.incarnationSynced = true;
                m.newestSnapshot = g.snapshots().latestIndex().orElse(0);
                assertThat(m.newestSnapshot).as(where + ": a snapshot newer than the recovered state is left")
                        .isLessThanOrEqualTo(m.entries.size());
                views.put(id, g);
            }
            int newGroups = life == 0 ? 2 + (int) random.nextLong(3) : views.isEmpty() ? 1 : (int) random.nextLong(2);
            for (int i = 0; i < newGroups; i++) {
                int id = 10 * life + i;
                if (models.containsKey(id)) {
                    continue;
                }
                long incarnation = random.nextLong(1_000);
                models.put(id, new SnapModel(incarnation));
                views.put(id, log.group(id, incarnation, MEMBERS));
            }
            if (random.nextLong(4) == 0) {
                disk.failSyncAfter((int) random.nextLong(6));
            }
            int steps = 20 + (int) random.nextLong(60);
            boolean failed = false;
            for (int step = 0; step < steps && !failed; step++) {
                List<Integer> ids = new ArrayList<>(views.keySet());
                int id = ids.get((int) random.nextLong(ids.size()));
                SnapModel m = models.get(id);
                SharedLog.Group view = views.get(id);
                try {
                    long firstSnapshotable = m.newestSnapshot + 1;
                    long lastSnapshotable = Math.min(m.chosen, m.entries.size());
                    if (random.nextLong(5) == 0 && m.incarnationSynced && firstSnapshotable <= lastSnapshotable) {
                        // A snapshot of the applied state, durable at once, then the checkpoint, as the host does.
                        long index = firstSnapshotable + random.nextLong(lastSnapshotable - firstSnapshotable + 1);
                        view.snapshots().save(index, Codec.encode(MEMBERS), m.state(index));
                        m.newestSnapshot = index;
                        coverage.snapshotsTaken++;
                        view.writeCheckpoint(index, m.promised, m.entries.subList((int) index, m.entries.size()),
                                m.chosen);
                    } else {
                        writeRandom(random, id, m, view, ++readyId);
                    }
                } catch (IOException e) {
                    coverage.fsyncFailures++;
                    failed = true; // a roll's fsync failed inside an append: the log is unusable
                }
                if (!failed && random.nextLong(3) == 0) {
                    try {
                        log.sync();
                        for (SnapModel each : models.values()) {
                            each.syncedEntries = each.entries.size();
                            each.syncedPromise = each.promised;
                            each.syncedChosen = each.chosen;
                            each.incarnationSynced = true;
                        }
                        coverage.segmentsDeleted += log.deleteCompactedSegments();
                    } catch (IOException e) {
                        coverage.fsyncFailures++;
                        failed = true;
                    }
                }
            }
            disk.clearSyncFailure();
            if (random.nextLong(2) == 0) {
                disk.crash(random);
            } else {
                disk.crashProcess();
            }
            if (random.nextLong(5) == 0) {
                List<String> snapshots = disk.durableNames().stream().filter(n -> n.endsWith(".snap")).toList();
                if (!snapshots.isEmpty()) {
                    String victim = snapshots.get((int) random.nextLong(snapshots.size()));
                    disk.flipBit(victim, random.nextLong(8L * disk.durableContent(victim).length));
                    coverage.snapshotsDamaged++;
                    damagedSinceOpen = true;
                }
            }
        }
    }

    /** A Ready with a random promise, a few entries and maybe a chosen prefix, the model taking it first. */
    private static void writeRandom(RandomSource random, int id, Model m, SharedLog.Group view, long readyId)
            throws IOException {
        Ballot promise = random.nextLong(5) == 0
                ? new Ballot(m.promised.round() + 1 + random.nextLong(3), (int) random.nextLong(5)) : null;
        Ballot b = promise != null ? promise : m.promised.equals(Ballot.ZERO) ? new Ballot(1, 1) : m.promised;
        List<Entry> entries = new ArrayList<>();
        for (int k = 0; k < random.nextLong(4); k++) {
            byte[] payload = new byte[(int) random.nextLong(60)];
            for (int j = 0; j < payload.length; j++) {
                payload[j] = (byte) random.nextLong();
            }
            long slot = m.entries.size() + entries.size() + 1;
            entries.add(new Entry(slot, b, new Value.Batch(List.of(new Command(id + 1, slot, payload))), false));
        }
        long chosen = random.nextLong(3) == 0 ? m.entries.size() + entries.size() : m.chosen;
        m.entries.addAll(entries);
        if (promise != null && promise.above(m.promised)) {
            m.promised = promise;
        }
        m.chosen = Math.max(m.chosen, chosen);
        view.write(new Ready(readyId, promise, entries, chosen, true, List.of(), List.of(), List.of(), List.of(),
                List.of(), List.of(), null));
    }
}
