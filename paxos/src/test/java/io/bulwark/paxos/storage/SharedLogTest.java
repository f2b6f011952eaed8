package io.bulwark.paxos.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.storage.LocalFileStore;
import io.bulwark.paxos.Ballot;
import io.bulwark.paxos.Codec;
import io.bulwark.paxos.Command;
import io.bulwark.paxos.Entry;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Ready;
import io.bulwark.paxos.Recovered;
import io.bulwark.paxos.Value;
import io.bulwark.paxos.log.LogOptions;
import io.bulwark.paxos.log.SnapshotStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SharedLogTest {

    @TempDir
    Path dir;

    private static Ready ready(long id, Ballot promise, List<Entry> entries, long chosen) {
        return new Ready(id, promise, entries, chosen, true, List.of(), List.of(), List.of(), List.of(), List.of(),
                List.of(), null);
    }

    private static Entry entry(long slot, Ballot b, String payload) {
        return new Entry(slot, b, new Value.Batch(List.of(new Command(7, slot, payload.getBytes()))), false);
    }

    private SharedLog open() throws Exception {
        return SharedLog.open(LocalFileStore.open(dir), LogOptions.defaults());
    }

    @Test
    void groupsInterleavedInOneLogRecoverSeparately() throws Exception {
        Ballot b1 = new Ballot(3, 1);
        Ballot b2 = new Ballot(5, 2);
        try (SharedLog log = open()) {
            SharedLog.Group a = log.group(0, 0);
            SharedLog.Group b = log.group(9, 4);
            a.write(ready(1, b1, List.of(entry(1, b1, "a1")), 0));
            b.write(ready(1, b2, List.of(entry(1, b2, "b1"), entry(2, b2, "b2")), 1));
            a.write(ready(2, null, List.of(entry(2, b1, "a2")), 2));
            log.sync();
        }
        try (SharedLog log = open()) {
            assertThat(log.recoveredGroups()).containsExactly(0, 9);
            Recovered a = log.group(0, 0).recovered();
            Recovered b = log.group(9, 0).recovered();
            assertThat(a.promised()).isEqualTo(b1);
            assertThat(a.entries()).extracting(Entry::slot).containsExactly(1L, 2L);
            assertThat(a.chosenIndex()).isEqualTo(2);
            assertThat(b.incarnation()).isEqualTo(4);
            assertThat(b.promised()).isEqualTo(b2);
            assertThat(b.entries()).extracting(Entry::slot).containsExactly(1L, 2L);
            assertThat(b.chosenIndex()).isEqualTo(1);
            Recovered fresh = log.group(3, 11).recovered();
            assertThat(fresh.isEmpty()).isTrue();
            assertThat(fresh.incarnation()).isEqualTo(11);
        }
    }

    @Test
    void aRemovedGroupIsNotRecoveredAndARecreatedOneStartsAfresh() throws Exception {
        io.bulwark.paxos.Membership m = io.bulwark.paxos.Membership.ofVoters(1, 2, 3).withLearner(4, 77);
        Ballot b = new Ballot(2, 1);
        try (SharedLog log = open()) {
            SharedLog.Group g = log.group(5, 77, m);
            g.write(ready(1, b, List.of(entry(1, b, "x")), 1));
            log.group(6, 0).write(ready(1, b, List.of(entry(1, b, "y")), 0));
            log.sync();
        }
        try (SharedLog log = open()) {
            assertThat(log.recordedMembership(5)).isEqualTo(m);
            SharedLog.Group g = log.group(5, 0);
            assertThat(g.initialMembership()).isEqualTo(m);
            assertThat(g.recovered().incarnation()).isEqualTo(77);
            log.removeGroup(5);
            g.write(ready(2, b, List.of(entry(2, b, "ignored")), 2)); // a Ready staged before the removal
            log.sync();
        }
        try (SharedLog log = open()) {
            assertThat(log.recoveredGroups()).containsExactly(6);
            SharedLog.Group again = log.group(5, 90, null);
            assertThat(again.recovered().isEmpty()).isTrue();
            assertThat(again.recovered().incarnation()).isEqualTo(90);
            again.write(ready(1, b, List.of(entry(1, b, "z")), 0));
            log.sync();
        }
        try (SharedLog log = open()) {
            Recovered r = log.group(5, 0).recovered();
            assertThat(r.incarnation()).isEqualTo(90);
            assertThat(r.entries()).hasSize(1);
        }
    }

    @Test
    void aViewIsHandedOutOnce() throws Exception {
        try (SharedLog log = open()) {
            log.group(1, 0);
            assertThatThrownBy(() -> log.group(1, 0)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aLaterLowerPromiseDoesNotLowerTheRecoveredOne() throws Exception {
        try (SharedLog log = open()) {
            SharedLog.Group g = log.group(2, 0);
            g.write(ready(1, new Ballot(9, 1), List.of(), 0));
            g.write(ready(2, new Ballot(4, 3), List.of(), 0));
            log.sync();
        }
        try (SharedLog log = open()) {
            assertThat(log.group(2, 0).recovered().promised()).isEqualTo(new Ballot(9, 1));
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Snapshots, checkpoints and compaction.

    /** Segments of 2 KiB: ~25 entry records each, so a few dozen writes span several segments. */
    private static final LogOptions SMALL = new LogOptions(2048, 1024, 0);
    private static final Membership MEMBERS = Membership.ofVoters(1, 2, 3);
    private static final Ballot B = new Ballot(2, 1);

    private SharedLog openSmall() throws Exception {
        return SharedLog.open(LocalFileStore.open(dir), SMALL);
    }

    /** Writes entries {@code from..to} of group {@code g}, chosen up to {@code to}. */
    private static void writeEntries(SharedLog.Group g, long from, long to) throws Exception {
        List<Entry> entries = new ArrayList<>();
        for (long slot = from; slot <= to; slot++) {
            entries.add(entry(slot, B, "g" + g.id() + "-" + slot));
        }
        g.write(ready(to, from == 1 ? B : null, entries, to));
    }

    /** What a state machine that has applied slots 1..index of group g holds, as bytes. */
    private static byte[] state(int group, long index) {
        return ("state of " + group + " through " + index).getBytes(StandardCharsets.UTF_8);
    }

    /** Saves a snapshot at {@code index} and checkpoints the group there, as a driver does. */
    private static void snapshotAndCheckpoint(SharedLog.Group g, long index, long lastWritten) throws Exception {
        g.snapshots().save(index, Codec.encode(MEMBERS), state(g.id(), index));
        List<Entry> live = new ArrayList<>();
        for (long slot = index + 1; slot <= lastWritten; slot++) {
            live.add(entry(slot, B, "g" + g.id() + "-" + slot).asChosen());
        }
        g.writeCheckpoint(index, B, live, lastWritten);
    }

    private List<String> files() throws Exception {
        try (Stream<Path> list = Files.list(dir)) {
            return list.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Path snapshotFile(int group, long index) throws Exception {
        String suffix = SnapshotStore.fileName(index);
        return files().stream().filter(n -> n.startsWith(String.format("g%010d-", group)) && n.endsWith(suffix))
                .map(dir::resolve).findFirst().orElseThrow(() -> new AssertionError("no snapshot " + index + " of "
                        + group + " in " + uncheckedFiles()));
    }

    private List<String> uncheckedFiles() {
        try {
            return files();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private void damage(Path file) throws Exception {
        byte[] b = Files.readAllBytes(file);
        b[b.length - 1] ^= 0x10;
        Files.write(file, b);
    }

    private static void assertEntries(Recovered r, long from, long to) {
        assertThat(r.entries()).extracting(Entry::slot).as("slots above the snapshot")
                .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(from, to).boxed().toList());
    }

    @Test
    void aCheckpointedGroupRecoversFromItsSnapshotAndOnlyTheRecordsAboveIt() throws Exception {
        try (SharedLog log = openSmall()) {
            SharedLog.Group g = log.group(4, 0, MEMBERS);
            writeEntries(g, 1, 10);
            snapshotAndCheckpoint(g, 6, 10);
            writeEntries(g, 11, 12);
            log.sync();
        }
        try (SharedLog log = openSmall()) {
            SharedLog.Group g = log.group(4, 0);
            Recovered r = g.recovered();
            assertThat(r.snapshot().index()).isEqualTo(6);
            assertThat(r.snapshot().membership()).isEqualTo(MEMBERS);
            assertThat(g.recoveredSnapshot().state()).isEqualTo(state(4, 6));
            assertEntries(r, 7, 12);
            assertThat(r.chosenIndex()).isEqualTo(12);
            assertThat(r.promised()).isEqualTo(B);
            assertThat(g.initialMembership()).isEqualTo(MEMBERS);
            g.releaseRecoveredSnapshot();
            assertThat(g.recoveredSnapshot()).isNull();
        }
    }

    @Test
    void aSegmentIsDeletedOnlyOnceEveryGroupHasCheckpointedPastIt() throws Exception {
        try (SharedLog log = openSmall()) {
            SharedLog.Group busy = log.group(1, 0, MEMBERS);
            SharedLog.Group quiet = log.group(2, 0, MEMBERS);
            writeEntries(quiet, 1, 2);
            for (long slot = 1; slot <= 100; slot += 10) {
                writeEntries(busy, slot, slot + 9);
                log.sync();
            }
            snapshotAndCheckpoint(busy, 50, 100);
            log.sync();
            snapshotAndCheckpoint(busy, 100, 100);
            log.sync();
            int segments = log.segmentNames().size();
            assertThat(segments).isGreaterThan(3);
            // The quiet group's creation and entries are in the first segment: nothing may go.
            assertThat(log.deleteCompactedSegments()).isZero();
            assertThat(log.groupsHoldingOldestSegment()).containsExactly(2);

            // A checkpoint that only moves the quiet group's records forward (it has no snapshot), twice: the
            // older of its two newest checkpoints is what it keeps.
            quiet.writeCheckpoint(0, B, List.of(entry(1, B, "g2-1").asChosen(), entry(2, B, "g2-2").asChosen()), 2);
            log.sync();
            assertThat(log.groupsHoldingOldestSegment()).containsExactly(2);
            quiet.writeCheckpoint(0, B, List.of(entry(1, B, "g2-1").asChosen(), entry(2, B, "g2-2").asChosen()), 2);
            log.sync();
            assertThat(log.deleteCompactedSegments()).isPositive();
            assertThat(log.segmentNames()).doesNotContain("wal-00000000000000000001.log");
            assertThat(log.segmentNames().size()).isLessThan(segments);
            writeEntries(busy, 101, 103);
            log.sync();
        }
        // Both groups' creation records are gone; their checkpoints say who they are.
        try (SharedLog log = openSmall()) {
            assertThat(log.recoveredGroups()).containsExactly(1, 2);
            assertThat(log.wasEmpty()).isFalse();
            SharedLog.Group busy = log.group(1, 0);
            assertThat(busy.recovered().snapshot().index()).isEqualTo(100);
            assertThat(busy.recoveredSnapshot().state()).isEqualTo(state(1, 100));
            assertEntries(busy.recovered(), 101, 103);
            assertThat(busy.initialMembership()).isEqualTo(MEMBERS);
            SharedLog.Group quiet = log.group(2, 0);
            assertThat(quiet.recovered().snapshot()).isNull();
            assertEntries(quiet.recovered(), 1, 2);
            assertThat(quiet.recovered().chosenIndex()).isEqualTo(2);
        }
    }

    @Test
    void aRemovedGroupKeepsNoSegmentAndItsSnapshotsAreDeleted() throws Exception {
        try (SharedLog log = openSmall()) {
            SharedLog.Group stays = log.group(1, 0, MEMBERS);
            SharedLog.Group leaves = log.group(2, 5, MEMBERS);
            writeEntries(leaves, 1, 20);
            snapshotAndCheckpoint(leaves, 20, 20);
            for (long slot = 1; slot <= 80; slot += 10) {
                writeEntries(stays, slot, slot + 9);
            }
            log.removeGroup(2);
            snapshotAndCheckpoint(stays, 40, 80);
            snapshotAndCheckpoint(stays, 80, 80);
            log.sync();
            assertThat(log.deleteCompactedSegments()).isPositive();
            assertThat(files()).anyMatch(n -> n.startsWith("g0000000002-0000000000000005-"));
        }
        try (SharedLog log = openSmall()) {
            assertThat(log.recoveredGroups()).containsExactly(1);
            // The removed group's snapshot was not discarded before the restart: open deletes it.
            assertThat(files()).noneMatch(n -> n.startsWith("g0000000002-"));
            assertThat(log.group(1, 0).recovered().snapshot().index()).isEqualTo(80);
        }
    }

    @Test
    void aDamagedNewestSnapshotFallsBackToTheOlderOneWhileTheLogStillReachesIt() throws Exception {
        try (SharedLog log = openSmall()) {
            SharedLog.Group g = log.group(3, 0, MEMBERS);
            writeEntries(g, 1, 30);
            snapshotAndCheckpoint(g, 10, 30);
            log.sync();
            writeEntries(g, 31, 60);
            snapshotAndCheckpoint(g, 40, 60);
            log.sync();
            log.deleteCompactedSegments();
        }
        damage(snapshotFile(3, 40));
        try (SharedLog log = openSmall()) {
            SharedLog.Group g = log.group(3, 0);
            assertThat(g.recovered().snapshot().index()).isEqualTo(10);
            assertThat(g.recoveredSnapshot().state()).isEqualTo(state(3, 10));
            assertEntries(g.recovered(), 11, 60);
            assertThat(g.recovered().chosenIndex()).isEqualTo(60);
            // Set aside for an operator, out of the way of the next save.
            assertThat(files()).anyMatch(n -> n.endsWith(SnapshotStore.fileName(40) + ".corrupt"));
            g.snapshots().save(45, Codec.encode(MEMBERS), state(3, 45));
        }
    }

    @Test
    void damagedSnapshotsWithoutTheLogBehindThemStopRecoveryWithAClearError() throws Exception {
        try (SharedLog log = openSmall()) {
            SharedLog.Group g = log.group(3, 0, MEMBERS);
            for (long index = 20; index <= 80; index += 20) {
                writeEntries(g, index - 19, index);
                snapshotAndCheckpoint(g, index, index);
                log.sync();
                log.deleteCompactedSegments();
            }
            assertThat(log.segmentNames()).doesNotContain("wal-00000000000000000001.log");
        }
        damage(snapshotFile(3, 80));
        damage(snapshotFile(3, 60));
        assertThatThrownBy(this::openSmall).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining("group 3").hasMessageContaining("compacted up to index 80")
                .hasMessageContaining("CRC32C").hasMessageContaining("rebuild");
    }

    @Test
    void snapshotsOfAnEarlierIncarnationAreNeverLoaded() throws Exception {
        try (SharedLog log = openSmall()) {
            SharedLog.Group g = log.group(6, 77, MEMBERS);
            writeEntries(g, 1, 5);
            g.snapshots().save(5, Codec.encode(MEMBERS), state(6, 5));
            log.removeGroup(6);
            SharedLog.Group again = log.group(6, 90, MEMBERS);
            assertThat(again.snapshots().latestIndex()).isEmpty();
            writeEntries(again, 1, 2);
            log.sync();
        }
        try (SharedLog log = openSmall()) {
            Recovered r = log.group(6, 0).recovered();
            assertThat(r.incarnation()).isEqualTo(90);
            assertThat(r.snapshot()).isNull();
            assertEntries(r, 1, 2);
            assertThat(files()).noneMatch(n -> n.startsWith("g0000000006-000000000000004d-"));
        }
    }

    @Test
    void snapshotFilesBesideAMissingLogAreRefused() throws Exception {
        try (SharedLog log = openSmall()) {
            SharedLog.Group g = log.group(1, 0, MEMBERS);
            writeEntries(g, 1, 3);
            snapshotAndCheckpoint(g, 3, 3);
            log.sync();
        }
        for (String name : files()) {
            if (name.startsWith("wal-")) {
                Files.delete(dir.resolve(name));
            }
        }
        assertThatThrownBy(this::openSmall).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining("log segments are missing");
    }

    @Test
    void recordsOfAGroupWithNeitherCreationNorCheckpointAreRefused() throws Exception {
        try (SharedLog log = openSmall()) {
            SharedLog.Group a = log.group(1, 0, MEMBERS);
            SharedLog.Group b = log.group(2, 0, MEMBERS);
            for (long slot = 1; slot <= 60; slot += 10) {
                writeEntries(a, slot, slot + 9);
                writeEntries(b, slot, slot + 9);
            }
            log.sync();
        }
        // Losing the first segment (with both creation records) is damage, not compaction.
        Files.delete(dir.resolve("wal-00000000000000000001.log"));
        assertThatThrownBy(this::openSmall).isInstanceOf(CorruptStorageException.class)
                .hasMessageContaining("neither its creation record nor a checkpoint");
    }

    @Test
    void oneEntryPerSlotIsRecoveredAndALaterUnchosenRecordDoesNotUnchooseIt() throws Exception {
        Ballot later = new Ballot(3, 2);
        try (SharedLog log = openSmall()) {
            SharedLog.Group g = log.group(1, 0, MEMBERS);
            g.write(ready(1, B, List.of(entry(1, B, "a"), entry(2, B, "b")), 0));
            g.write(ready(2, null, List.of(entry(1, B, "a").asChosen()), 1));
            // A stale unchosen copy of slot 1 after it was chosen (as a checkpoint might re-state it), and a
            // higher ballot's value for the unchosen slot 2.
            g.write(ready(3, later, List.of(entry(1, B, "a"), entry(2, later, "c")), 1));
            log.sync();
        }
        try (SharedLog log = openSmall()) {
            List<Entry> entries = log.group(1, 0).recovered().entries();
            assertThat(entries).containsExactly(entry(1, B, "a").asChosen(), entry(2, later, "c"));
        }
    }
}
