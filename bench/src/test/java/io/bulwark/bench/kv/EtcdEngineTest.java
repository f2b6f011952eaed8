package io.bulwark.bench.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.etcd.jetcd.Client;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EtcdEngine} on a real three-member etcd cluster: reads and writes, a leader killed with SIGKILL and
 * restarted, and cleanup. Runs only where etcd is installed (Debian: {@code apt-get install -y etcd-server});
 * tests never install it, {@code bench kv} does.
 */
class EtcdEngineTest {

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    @Test
    void theJetcdVersionInReportsIsTheOneOnTheClassPath() {
        String jar = Client.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        assertThat(jar).as("update EtcdEngine.JETCD_VERSION with bench/pom.xml")
                .endsWith("jetcd-core-" + EtcdEngine.JETCD_VERSION + ".jar");
    }

    @Test
    void aRealClusterReadsWritesFailsOverAndCleansUp() throws Exception {
        assumeTrue(EtcdBinary.find() != null, "etcd is not installed here");
        Path runDirectory;
        try (EtcdEngine engine = EtcdEngine.start(EtcdCluster.Options.defaults().withParentDirectory(dir)
                .withProgress(QUIET))) {
            EtcdCluster cluster = engine.cluster();
            runDirectory = cluster.runDirectory();
            assertThat(engine.name()).startsWith("etcd 3.").endsWith("(jetcd " + EtcdEngine.JETCD_VERSION + ")");
            assertThat(cluster.clientEndpoints()).hasSize(EtcdCluster.MEMBERS);

            byte[] key = bytes("k");
            assertThat(engine.get(key).get()).isNull();
            engine.put(key, bytes("v1")).get();
            assertThat(engine.get(key).get()).isEqualTo(bytes("v1"));

            int leader = cluster.awaitLeader(Duration.ofSeconds(10));
            FailoverProbe.Result failover = FailoverProbe.run(engine, bytes("probe"), new FailoverProbe.Options(
                    Duration.ofMillis(5), Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(30), 4_000));

            assertThat(failover.killed().node()).isEqualTo(leader);
            assertThat(failover.killed().label()).startsWith("etcd member m" + leader + " (pid ");
            assertThat(failover.resumed()).as(failover.summary()).isTrue();
            assertThat(failover.resumeGapMs()).as(failover.summary()).isPositive().isLessThan(30_000);
            assertThat(failover.longestGapMs()).isPositive();
            // The killed member is back, and the data written before the kill survived it.
            assertThatThrownBy(cluster::restartKilled).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no etcd member is down");
            assertThat(engine.get(key).get()).isEqualTo(bytes("v1"));
            engine.put(key, bytes("v2")).get();
            assertThat(engine.get(key).get()).isEqualTo(bytes("v2"));
            try (var files = Files.list(runDirectory)) {
                assertThat(files).isNotEmpty();
            }
        }
        assertThat(runDirectory).doesNotExist();
        try (var left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
