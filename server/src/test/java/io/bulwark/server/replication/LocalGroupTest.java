package io.bulwark.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.paxos.kv.KvResult;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real replicas in one process: loopback TCP on OS-chosen ports, logs fsynced on a temporary
 * directory. Every wait is a future or a status condition with a deadline.
 */
class LocalGroupTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private LocalGroup group;
    /** Node id → what its state machine applied, in order: "slot:client#sequence". */
    private final Map<Integer, List<String>> applied = new ConcurrentHashMap<>();

    @AfterEach
    void close() {
        if (group != null) {
            group.close();
        }
    }

    private LocalGroup startGroup() throws Exception {
        return LocalGroup.start(dir, 3, config -> {
            // A fresh list per start: a restarted replica replays its log from slot 1 into it.
            List<String> log = Collections.synchronizedList(new ArrayList<>());
            applied.put(config.nodeId(), log);
            return config.withApplyListener((slot, command, duplicate) ->
                    log.add(slot + ":" + command.clientId() + "#" + command.sequence() + (duplicate ? "(dup)" : "")));
        });
    }

    private static byte[] put(String key, String value) {
        return KvCommand.put(bytes(key), bytes(value)).encode();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String get(ReplicaDriver leader, String key) throws Exception {
        byte[] answer = leader.read(KvCommand.get(bytes(key)).encode()).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        byte[] value = ((KvResult.Found) KvResult.decode(answer)).value();
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /** Submits {@code perClient} puts for each client, all concurrently, and waits for every result. */
    private static void writeConcurrently(ReplicaDriver leader, int clients, int perClient, long firstSequence)
            throws Exception {
        List<CompletableFuture<byte[]>> results = new ArrayList<>();
        for (int c = 1; c <= clients; c++) {
            for (int i = 0; i < perClient; i++) {
                long seq = firstSequence + i;
                results.add(leader.submit(c, seq, put("key-" + c, "value-" + c + "-" + seq)));
            }
        }
        for (CompletableFuture<byte[]> r : results) {
            assertThat(KvResult.decode(r.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS))).isEqualTo(new KvResult.Ok());
        }
    }

    private void awaitAllApplied(long index) throws Exception {
        for (ReplicaDriver d : group.drivers()) {
            d.awaitStatus(s -> s.appliedIndex() >= index, DEADLINE);
        }
    }

    @Test
    void threeReplicasCommitAndEveryReplicaAppliesTheSameSequence() throws Exception {
        group = startGroup();
        ReplicaDriver leader = group.awaitLeader(DEADLINE);

        writeConcurrently(leader, 8, 40, 1);

        // The apply listener runs before a command's future completes, so the leader's list is complete now
        // (its published status may lag by one loop turn).
        long leaderApplied = lastSlot(applied.get(leader.nodeId()));
        awaitAllApplied(leaderApplied);
        List<String> reference = prefix(applied.get(leader.nodeId()), leaderApplied);
        assertThat(reference).hasSize(8 * 40);
        for (ReplicaDriver d : group.drivers()) {
            assertThat(prefix(applied.get(d.nodeId()), leaderApplied)).as("replica %d", d.nodeId()).isEqualTo(reference);
        }
        assertThat(get(leader, "key-3")).isEqualTo("value-3-40");
        DriverMetrics m = leader.metrics();
        assertThat(m.commandsApplied()).isEqualTo(320);
        assertThat(m.fsyncs()).isPositive();
        // 320 concurrent commands cannot each have had their own fsync.
        assertThat(m.groupCommits()).isLessThan(320);
    }

    @Test
    void aRetryWithTheSameSequenceIsAnsweredWithoutApplyingAgain() throws Exception {
        group = startGroup();
        ReplicaDriver leader = group.awaitLeader(DEADLINE);
        byte[] first = leader.submit(42, 1, put("k", "v1")).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        leader.submit(42, 2, put("k", "v2")).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);

        byte[] retry = leader.submit(42, 2, put("k", "v2")).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(KvResult.decode(retry)).isEqualTo(new KvResult.Ok());
        assertThatThrownBy(() -> leader.submit(42, 1, put("k", "v1")).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(StaleCommandException.class);
        assertThat(KvResult.decode(first)).isEqualTo(new KvResult.Ok());
        assertThat(leader.metrics().commandsApplied()).isEqualTo(2);
        assertThat(get(leader, "k")).isEqualTo("v2");
    }

    @Test
    void followersRefuseCommandsAndNameTheLeader() throws Exception {
        group = startGroup();
        ReplicaDriver leader = group.awaitLeader(DEADLINE);
        // The hint arrives with the leader's first heartbeat: wait for every follower to know it.
        for (ReplicaDriver d : group.drivers()) {
            d.awaitStatus(s -> s.leaderHint() == leader.nodeId(), DEADLINE);
        }
        ReplicaDriver follower = group.drivers().stream().filter(d -> d != leader).findFirst().orElseThrow();

        assertThatThrownBy(() -> follower.submit(1, 1, put("k", "v")).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOfSatisfying(NotLeaderException.class,
                        e -> assertThat(e.leaderHint()).isEqualTo(leader.nodeId()));
    }

    @Test
    void aNewLeaderIsElectedWhenTheLeaderStopsAndItCommits() throws Exception {
        group = startGroup();
        ReplicaDriver oldLeader = group.awaitLeader(DEADLINE);
        writeConcurrently(oldLeader, 2, 10, 1);
        int oldId = oldLeader.nodeId();

        long stoppedAt = System.nanoTime();
        group.stop(oldId);
        ReplicaDriver newLeader = group.awaitLeader(DEADLINE);
        long electedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stoppedAt);

        assertThat(newLeader.nodeId()).isNotEqualTo(oldId);
        // A follower campaigns after 30–60 ticks of 10 ms without the leader (and refuses other candidates for
        // 30 ticks after its last contact): about a second at worst, 3 s leaves room for a loaded machine.
        assertThat(electedMs).isLessThan(3_000);
        writeConcurrently(newLeader, 2, 10, 11);
        assertThat(get(newLeader, "key-1")).isEqualTo("value-1-20");
        assertThat(get(newLeader, "key-2")).isEqualTo("value-2-20");
    }

    @Test
    void aRestartedReplicaRecoversItsStateFromItsDirectory() throws Exception {
        group = startGroup();
        ReplicaDriver leader = group.awaitLeader(DEADLINE);
        writeConcurrently(leader, 4, 25, 1);
        long appliedBefore = lastSlot(applied.get(leader.nodeId()));
        awaitAllApplied(appliedBefore);
        List<String> before = prefix(applied.get(1), appliedBefore);
        group.close();

        // Replica 1 alone, no peers: what it applies now can only come from its own log.
        applied.clear();
        List<String> replay = Collections.synchronizedList(new ArrayList<>());
        ReplicaDriverConfig config = ReplicaDriverConfig.of(1, group.membership(), group.dataDirectory(1))
                .withApplyListener((slot, command, duplicate) ->
                        replay.add(slot + ":" + command.clientId() + "#" + command.sequence() + (duplicate ? "(dup)" : "")));
        try (ReplicaDriver alone = ReplicaDriver.start(config)) {
            alone.awaitStatus(s -> s.appliedIndex() >= appliedBefore, DEADLINE);
            assertThat(prefix(replay, appliedBefore)).isEqualTo(before);
        }

        // The whole group again on the same directories: state and exactly-once sessions survived.
        group = startGroup();
        ReplicaDriver again = group.awaitLeader(DEADLINE);
        assertThat(get(again, "key-4")).isEqualTo("value-4-25");
        assertThatThrownBy(() -> again.submit(4, 24, put("key-4", "old")).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                .hasCauseInstanceOf(StaleCommandException.class);
        writeConcurrently(again, 4, 5, 26);
        assertThat(get(again, "key-4")).isEqualTo("value-4-30");
    }

    @Test
    void restartingOneReplicaOnANewPortRejoinsTheGroup() throws Exception {
        group = startGroup();
        ReplicaDriver leader = group.awaitLeader(DEADLINE);
        int followerId = group.drivers().stream().filter(d -> d != leader).findFirst().orElseThrow().nodeId();
        group.stop(followerId);
        writeConcurrently(leader, 2, 10, 1);

        ReplicaDriver restarted = group.restart(followerId);
        long target = lastSlot(applied.get(leader.nodeId()));
        // It learns what it missed from the leader over the re-wired connections.
        restarted.awaitStatus(s -> s.appliedIndex() >= target, DEADLINE);
        assertThat(prefix(applied.get(followerId), target)).hasSize(20)
                .isEqualTo(prefix(applied.get(leader.nodeId()), target));
    }

    private static long lastSlot(List<String> log) {
        synchronized (log) {
            String last = log.get(log.size() - 1);
            return Long.parseLong(last.substring(0, last.indexOf(':')));
        }
    }

    private static List<String> prefix(List<String> log, long slots) {
        synchronized (log) {
            List<String> out = new ArrayList<>();
            for (String s : log) {
                if (Long.parseLong(s.substring(0, s.indexOf(':'))) <= slots) {
                    out.add(s);
                }
            }
            return out;
        }
    }
}
