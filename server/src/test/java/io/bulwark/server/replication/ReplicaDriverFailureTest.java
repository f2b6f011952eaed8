package io.bulwark.server.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LogFile;
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
        ReplicaDriver driver = ReplicaDriver.start(config, store -> new FailingSyncStore(store, failSyncs));
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

    /** Delegates to a real store; once armed, every log fsync throws. */
    private record FailingSyncStore(FileStore delegate, AtomicBoolean fail) implements FileStore {
        @Override
        public List<String> list() throws IOException {
            return delegate.list();
        }

        @Override
        public boolean exists(String name) throws IOException {
            return delegate.exists(name);
        }

        @Override
        public LogFile open(String name) throws IOException {
            LogFile file = delegate.open(name);
            return new LogFile() {
                @Override
                public String name() {
                    return file.name();
                }

                @Override
                public long size() {
                    return file.size();
                }

                @Override
                public void append(byte[] data, int offset, int length) throws IOException {
                    file.append(data, offset, length);
                }

                @Override
                public int read(long position, byte[] dst, int offset, int length) throws IOException {
                    return file.read(position, dst, offset, length);
                }

                @Override
                public void sync() throws IOException {
                    if (fail.get()) {
                        throw new IOException("injected fsync failure");
                    }
                    file.sync();
                }

                @Override
                public void truncate(long size) throws IOException {
                    file.truncate(size);
                }

                @Override
                public void close() throws IOException {
                    file.close();
                }
            };
        }

        @Override
        public byte[] readAll(String name) throws IOException {
            return delegate.readAll(name);
        }

        @Override
        public void writeAtomically(String name, byte[] content) throws IOException {
            delegate.writeAtomically(name, content);
        }

        @Override
        public void rename(String from, String to) throws IOException {
            delegate.rename(from, to);
        }

        @Override
        public void delete(String name) throws IOException {
            delegate.delete(name);
        }
    }
}
