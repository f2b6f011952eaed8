package io.bulwark.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.storage.SyncHookFileStore;
import io.bulwark.paxos.Membership;
import io.bulwark.paxos.Role;
import io.bulwark.paxos.kv.KvCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A single-voter group (it elects itself) on a real directory whose fsync can be made to fail. */
class ReplicaDriverFailureTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final AtomicBoolean failSyncs = new AtomicBoolean();

    private static byte[] put(String key) {
        return KvCommand.put(key.getBytes(StandardCharsets.UTF_8), new byte[] {1, 2, 3}).encode();
    }

    @Test
    void aFailedFsyncStopsTheDriverFailsPendingRequestsAndIsNeverRetried() throws Exception {
        ReplicaDriverConfig config = ReplicaDriverConfig.of(1, Membership.ofVoters(1), dir);
        ReplicaDriver driver = ReplicaDriver.start(config, store -> new SyncHookFileStore(store, name -> {
            if (failSyncs.get()) {
                throw new IOException("injected fsync failure");
            }
        }));
        try {
            driver.awaitStatus(s -> s.role() == Role.LEADER, DEADLINE);
            driver.submit(1, 1, put("a")).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            long fsyncsBefore = driver.metrics().fsyncs();

            failSyncs.set(true);
            CompletableFuture<byte[]> doomed = driver.submit(1, 2, put("b"));

            assertThatThrownBy(() -> doomed.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(ReplicaStoppedException.class)
                    .hasMessageContaining("fsync")
                    .hasRootCauseMessage("injected fsync failure");
            driver.awaitStatus(s -> !s.running(), DEADLINE);
            assertThat(driver.failure()).isPresent();
            // Exactly one attempt: the failed fsync was not retried.
            assertThat(driver.metrics().fsyncs()).isEqualTo(fsyncsBefore + 1);
            assertThatThrownBy(() -> driver.submit(1, 3, put("c")).get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS))
                    .cause().isInstanceOf(ReplicaStoppedException.class);
        } finally {
            driver.close();
        }

        // The directory is released and what was durable is still there.
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (ReplicaDriver again = ReplicaDriver.start(config.withApplyListener(
                (slot, command, duplicate) -> seen.add(command.clientId() + "#" + command.sequence())))) {
            again.awaitStatus(s -> s.role() == Role.LEADER, DEADLINE);
            assertThat(seen).startsWith("1#1");
        }
    }

    @Test
    void aDirectoryIsUsedByOneDriverAtATime() throws Exception {
        ReplicaDriverConfig config = ReplicaDriverConfig.of(1, Membership.ofVoters(1), dir);
        try (ReplicaDriver first = ReplicaDriver.start(config)) {
            assertThatThrownBy(() -> ReplicaDriver.start(config)).isInstanceOf(IOException.class)
                    .hasMessageContaining("in use");
            assertThat(first.isRunning()).isTrue();
        }
    }

    @Test
    void configurationErrorsSayWhatIsAllowed() {
        assertThatThrownBy(() -> ReplicaDriverConfig.of(4, Membership.ofVoters(1, 2, 3), dir))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a member");
        assertThatThrownBy(() -> ReplicaDriverConfig.of(1, Membership.ofVoters(1), dir).withTickMs(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tickMs must be in [1, 1000]");
        assertThatThrownBy(() -> ReplicaDriverConfig.of(1, Membership.ofVoters(1), dir)
                .withReplicaOptions(io.bulwark.paxos.ReplicaOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxFrameBytes");
        assertThatThrownBy(() -> ReplicaDriverConfig.of(1, Membership.ofVoters(1), dir)
                .withReplicaOptions(ReplicaDriverConfig.DEFAULT_REPLICA_OPTIONS.withLeaseReads(true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("leaseReads is not supported");
    }
}
