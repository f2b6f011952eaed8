package io.bulwark.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.paxos.kv.KvResult;
import io.bulwark.paxos.log.LogOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots and log compaction of the shared-log host, with three real replicas in one process (loopback TCP,
 * fsynced files): the log shrinks, a restart recovers from snapshot plus log, and a replica that fell behind the
 * leader's compacted log catches up by installing the leader's snapshot.
 */
class SnapshotCompactionTest {

    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /** Small, so that a few hundred writes fill several segments and several snapshot intervals. */
    private static final long SEGMENT_BYTES = 96 << 10;
    private static final long SNAPSHOT_EVERY_SLOTS = 25;

    @TempDir
    Path dir;

    private LocalGroup group;

    @AfterEach
    void close() {
        if (group != null) {
            group.close();
        }
    }

    private LocalGroup startGroup() throws Exception {
        return LocalGroup.start(dir, 3, config -> config
                .withLogOptions(LogOptions.defaults().withMaxRecordBytes((int) SEGMENT_BYTES - 64)
                        .withMaxSegmentBytes(SEGMENT_BYTES))
                .withSnapshotPolicy(SnapshotPolicy.defaults().withEverySlots(SNAPSHOT_EVERY_SLOTS)
                        .withChunkBytes(4096)));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** One put per slot: each waits for the previous, so none share a batch. */
    private static void writeSequentially(ReplicaDriver leader, long client, int from, int to) throws Exception {
        for (int i = from; i <= to; i++) {
            byte[] value = bytes("value-" + i + "-" + "x".repeat(400));
            byte[] r = leader.submit(client, i, KvCommand.put(bytes("key-" + (i % 50)), value).encode())
                    .get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(KvResult.decode(r)).isEqualTo(new KvResult.Ok());
        }
    }

    private static String get(ReplicaDriver leader, String key) throws Exception {
        byte[] answer = leader.read(KvCommand.get(bytes(key)).encode()).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        byte[] value = ((KvResult.Found) KvResult.decode(answer)).value();
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    private static long logBytes(Path dataDirectory) throws Exception {
        try (Stream<Path> files = Files.list(dataDirectory.resolve(ReplicaHost.LOG_DIRECTORY))) {
            long total = 0;
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith("wal-")).toList()) {
                total += Files.size(p);
            }
            return total;
        }
    }

    /**
     * Waits until every running replica applied the same index, at least {@code index} (no writes are in flight,
     * but a leader's published status may lag its loop by a turn), then checks they all hold the same image.
     */
    private void assertSameStateEverywhere(long index) throws Exception {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        long target = index;
        while (true) {
            List<ReplicaHost.GroupImage> images = new java.util.ArrayList<>();
            for (ReplicaDriver d : group.drivers()) {
                long t = target;
                d.awaitStatus(s -> s.appliedIndex() >= t, DEADLINE);
                images.add(d.stateImage().get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS));
            }
            long max = images.stream().mapToLong(ReplicaHost.GroupImage::appliedIndex).max().orElseThrow();
            if (images.stream().allMatch(i -> i.appliedIndex() == max)) {
                for (ReplicaHost.GroupImage image : images) {
                    assertThat(image.image()).as("state at index %d", max).isEqualTo(images.get(0).image());
                }
                return;
            }
            assertThat(System.nanoTime()).as("replicas never applied the same index").isLessThan(deadline);
            target = max;
        }
    }

    @Test
    void theLogIsCompactedAndARestartRecoversFromSnapshotPlusLog() throws Exception {
        group = startGroup();
        ReplicaDriver leader = group.awaitLeader(DEADLINE);
        writeSequentially(leader, 7, 1, 400);
        long applied = leader.status().appliedIndex();
        assertSameStateEverywhere(applied);

        for (ReplicaDriver d : group.drivers()) {
            DriverMetrics m = d.metrics();
            assertThat(m.snapshotsTaken()).as("replica %d snapshots", d.nodeId()).isGreaterThanOrEqualTo(10);
            assertThat(m.logSegmentsDeleted()).as("replica %d deleted segments", d.nodeId()).isPositive();
            assertThat(d.status().snapshotIndex()).isGreaterThanOrEqualTo(applied - 2 * SNAPSHOT_EVERY_SLOTS);
            // 400 records of ~450 bytes were written, ~180 KB; what is left is at most the last two intervals'
            // worth plus a partly filled segment.
            assertThat(logBytes(group.dataDirectory(d.nodeId()))).as("replica %d log bytes", d.nodeId())
                    .isLessThan(3 * SEGMENT_BYTES);
        }
        group.close();

        // Every replica restarts from its own snapshot and the records above it.
        group = startGroup();
        ReplicaDriver again = group.awaitLeader(DEADLINE);
        for (ReplicaDriver d : group.drivers()) {
            d.awaitStatus(s -> s.appliedIndex() >= applied, DEADLINE);
        }
        for (int k = 0; k < 50; k++) {
            int last = 400 - ((400 - k) % 50 + 50) % 50;
            assertThat(get(again, "key-" + k)).startsWith("value-" + last + "-");
        }
        // The exactly-once sessions came back with the state: a stale retry is refused, not applied again.
        assertThatThrownBy(() -> again.submit(7, 399, KvCommand.put(bytes("key-0"), bytes("old")).encode())
                .get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).hasCauseInstanceOf(StaleCommandException.class);
        writeSequentially(again, 7, 401, 420);
        assertSameStateEverywhere(again.status().appliedIndex());
    }

    @Test
    void aFollowerBehindTheLeadersCompactedLogCatchesUpBySnapshotInstall() throws Exception {
        group = startGroup();
        ReplicaDriver leader = group.awaitLeader(DEADLINE);
        writeSequentially(leader, 9, 1, 30);
        int followerId = group.drivers().stream().filter(d -> d != leader).findFirst().orElseThrow().nodeId();
        long followerApplied = group.driver(followerId).awaitStatus(s -> s.appliedIndex() >= 30, DEADLINE)
                .appliedIndex();
        group.stop(followerId);

        // The other two go on and compact well past where the stopped one is.
        writeSequentially(leader, 9, 31, 300);
        assertThat(leader.status().snapshotIndex()).isGreaterThan(followerApplied + 2 * SNAPSHOT_EVERY_SLOTS);

        ReplicaDriver back = group.restart(followerId);
        long target = leader.status().appliedIndex();
        back.awaitStatus(s -> s.appliedIndex() >= target, DEADLINE);
        assertThat(back.status().snapshotsInstalled()).as("snapshots installed by the restarted follower").isPositive();
        assertThat(back.metrics().snapshotsInstalled()).isPositive();
        assertSameStateEverywhere(target);

        // The installed snapshot is durable: the follower restarts from it, and keeps up with new writes.
        back = group.restart(followerId);
        writeSequentially(group.awaitLeader(DEADLINE), 9, 301, 320);
        long end = group.awaitLeader(DEADLINE).status().appliedIndex();
        assertSameStateEverywhere(end);
        assertThat(back.status().snapshotIndex()).isGreaterThan(followerApplied);
    }

    @Test
    void withoutSnapshotsNothingIsCompacted() throws Exception {
        group = LocalGroup.start(dir, 3, config -> config
                .withLogOptions(LogOptions.defaults().withMaxRecordBytes((int) SEGMENT_BYTES - 64)
                        .withMaxSegmentBytes(SEGMENT_BYTES))
                .withSnapshotPolicy(SnapshotPolicy.never()));
        ReplicaDriver leader = group.awaitLeader(DEADLINE);
        writeSequentially(leader, 3, 1, 400);
        List<ReplicaDriver> drivers = group.drivers();
        for (ReplicaDriver d : drivers) {
            assertThat(d.metrics().snapshotsTaken()).isZero();
            assertThat(d.metrics().logSegmentsDeleted()).isZero();
        }
        // The contrast with the compacting run above: all ~180 KB of records are still there.
        assertThat(logBytes(group.dataDirectory(leader.nodeId()))).isGreaterThan(400L * 400);
    }
}
