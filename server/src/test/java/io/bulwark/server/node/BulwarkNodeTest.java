package io.bulwark.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.client.BulwarkClient;
import io.bulwark.client.ClientOptions;
import io.bulwark.client.InvalidRequestException;
import io.bulwark.client.protocol.NodeStatus;
import io.bulwark.client.protocol.Topology;
import io.bulwark.paxos.kv.KvResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class BulwarkNodeTest extends LocalClusterTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void everyPartitionIsHostedByItsRingReplicaSetAndServesWritesAndReads() throws Exception {
        cluster = new LocalCluster(dir, 3, 8, 3);
        for (BulwarkNode n : cluster.nodes.values()) {
            assertThat(n.hostedPartitions()).hasSize(8); // 3 nodes, RF 3: every node holds every partition
        }
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            List<CompletableFuture<Void>> puts = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                puts.add(client.putAsync(b("key-" + i), b("value-" + i)));
            }
            CompletableFuture.allOf(puts.toArray(CompletableFuture[]::new)).join();
            for (int i = 0; i < 200; i++) {
                assertThat(client.get(b("key-" + i))).isEqualTo(b("value-" + i));
            }
            assertThat(client.get(b("absent"))).isNull();
            assertThat(client.compareAndSet(b("key-1"), b("wrong"), b("x"))).isFalse();
            assertThat(client.compareAndSet(b("key-1"), b("value-1"), b("x"))).isTrue();
            assertThat(client.get(b("key-1"))).isEqualTo(b("x"));
            client.delete(b("key-1"));
            assertThat(client.get(b("key-1"))).isNull();

            List<KvResult.KeyValue> all = client.scanAll(b("key-"), b("key-~"), 1_000);
            assertThat(all).hasSize(199);
            Set<Integer> partitions = new HashSet<>();
            for (int i = 0; i < 200; i++) {
                partitions.add(client.partitionOf(b("key-" + i)));
            }
            assertThat(partitions).hasSize(8);
        }
    }

    @Test
    void badInputIsRejectedWithClearErrors() throws Exception {
        cluster = new LocalCluster(dir, 3, 4, 3);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            assertThatThrownBy(() -> client.put(new byte[0], b("v"))).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("keys must be");
            assertThatThrownBy(() -> client.put(b("k"), new byte[BulwarkClient.MAX_VALUE_BYTES + 1]))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("exceeds");
            assertThatThrownBy(() -> client.put(b("k"), null)).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> client.scan(99, new byte[0], null, 10)).isInstanceOf(InvalidRequestException.class);
            assertThatThrownBy(() -> client.scan(0, new byte[0], null, 0)).isInstanceOf(InvalidRequestException.class);
        }
    }

    @Test
    void writesSurviveTheLossOfAnyOneNodeAndARestartCatchesUp() throws Exception {
        cluster = new LocalCluster(dir, 3, 4, 3);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            for (int i = 0; i < 50; i++) {
                client.put(b("a-" + i), b("1"));
            }
            Topology t = client.topology();
            int victim = t.leaderHints()[0] > 0 ? t.leaderHints()[0] : 1;
            cluster.stop(victim);
            for (int i = 0; i < 50; i++) {
                client.put(b("b-" + i), b("2"));
            }
            for (int i = 0; i < 50; i++) {
                assertThat(client.get(b("a-" + i))).isEqualTo(b("1"));
            }
            BulwarkNode back = cluster.start(victim);
            for (int p : back.hostedPartitions()) {
                long leaderChosen = 0;
                for (BulwarkNode n : cluster.nodes.values()) {
                    leaderChosen = Math.max(leaderChosen, n.replicas().status(p).chosenIndex());
                }
                long target = leaderChosen;
                back.replicas().awaitStatus(p, s -> s.appliedIndex() >= target, Duration.ofSeconds(20));
            }
            NodeStatus status = client.status(victim);
            assertThat(status.partitions()).as("4 partitions and the metadata group").hasSize(5);
        }
    }

    /** Bytes of the shared log's segment files in a node's data directory. */
    private static long logBytes(Path nodeDirectory) throws IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(nodeDirectory.resolve("replicas").resolve("wal"))) {
            long total = 0;
            for (Path p : files.filter(p -> p.getFileName().toString().startsWith("wal-")).toList()) {
                total += java.nio.file.Files.size(p);
            }
            return total;
        }
    }

    /** Waits until every node applied the same index of partition {@code p}, then checks their states are equal. */
    private void assertPartitionEqualEverywhere(int p) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            List<io.bulwark.server.replication.ReplicaHost.GroupImage> images = new ArrayList<>();
            for (BulwarkNode n : cluster.nodes.values()) {
                images.add(n.replicas().stateImage(p).get(10, java.util.concurrent.TimeUnit.SECONDS));
            }
            long max = images.stream().mapToLong(i -> i.appliedIndex()).max().orElseThrow();
            if (images.stream().allMatch(i -> i.appliedIndex() == max)) {
                for (var image : images) {
                    assertThat(image.image()).as("partition %d at index %d", p, max).isEqualTo(images.get(0).image());
                }
                return;
            }
            assertThat(System.nanoTime()).as("partition %d never applied the same index everywhere", p)
                    .isLessThan(deadline);
            for (BulwarkNode n : cluster.nodes.values()) {
                n.replicas().awaitStatus(p, s -> s.appliedIndex() >= max, Duration.ofSeconds(20));
            }
        }
    }

    @Test
    void partitionsCompactTheirLogsAndNodesRecoverAndCatchUpFromSnapshots() throws Exception {
        long segmentBytes = 96 << 10;
        cluster = new LocalCluster(dir, 3, 4, 3, c -> c.withLogSegmentBytes(segmentBytes).withSnapshots(
                io.bulwark.server.replication.SnapshotPolicy.defaults().withEverySlots(20).withChunkBytes(4096)));
        String pad = "v".repeat(300);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            for (int i = 0; i < 100; i++) {
                client.put(b("key-" + i), b(i + pad));
            }
            // Node 3 misses everything from here on; the others compact far past where it stopped.
            cluster.stop(3);
            for (int i = 100; i < 700; i++) {
                client.put(b("key-" + (i % 300)), b(i + pad));
            }
            long written = 700L * (pad.length() + 20);
            for (int id = 1; id <= 2; id++) {
                BulwarkNode n = cluster.nodes.get(id);
                assertThat(n.replicas().metrics().snapshotsTaken()).as("node %d snapshots", id).isGreaterThan(4 * 5);
                // The values alone were more than three segments; at least two whole segments are gone.
                assertThat(n.replicas().metrics().logSegmentsDeleted()).as("node %d segments deleted", id)
                        .isGreaterThanOrEqualTo(2);
                assertThat(n.replicas().logSegments()).as("node %d", id).doesNotContain("wal-00000000000000000001.log");
                assertThat(logBytes(dir.resolve("node-" + id))).as("node %d log bytes after compaction", id)
                        .isLessThan(written);
            }

            BulwarkNode back = cluster.start(3);
            long installed = 0;
            for (int p : back.hostedPartitions()) {
                assertPartitionEqualEverywhere(p);
                installed += back.replicas().status(p).snapshotsInstalled();
            }
            assertThat(installed).as("snapshots node 3 installed to catch up").isPositive();
            assertThat(back.replicas().metrics().snapshotsInstalled()).isEqualTo(installed);

            // A restarted node starts every partition from its own newest snapshot, then the log above it.
            cluster.stop(1);
            BulwarkNode again = cluster.start(1);
            for (int p : again.hostedPartitions()) {
                assertThat(again.replicas().status(p).snapshotIndex()).as("partition %d restored from a snapshot", p)
                        .isPositive();
            }
            for (int i = 400; i < 700; i++) {
                assertThat(client.get(b("key-" + (i % 300)))).isEqualTo(b(i + pad));
            }
            for (int p : again.hostedPartitions()) {
                assertPartitionEqualEverywhere(p);
            }
        }
    }

    @Test
    void theAdminEndpointReportsHealthStatusAndPrometheusMetrics() throws Exception {
        cluster = new LocalCluster(dir, 3, 4, 3);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            client.put(b("k"), b("v"));
            assertThat(client.get(b("k"))).isEqualTo(b("v"));
        }
        BulwarkNode node = cluster.nodes.get(1);
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String base = "http://127.0.0.1:" + node.adminAddress().getPort();
        java.net.http.HttpResponse<String> health = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(base + "/health")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"up\"");
        String status = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/status")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(status).contains("\"node\":1").contains("\"partition\":3").contains("\"groupCommits\"")
                .contains("\"snapshotIndex\":").contains("\"snapshotsInstalled\":").contains("\"segments\":");
        String metrics = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("bulwark_log_fsyncs_total").contains("bulwark_partitions_hosted 4.0")
                .contains("bulwark_snapshots_taken_total").contains("bulwark_snapshots_installed_total")
                .contains("bulwark_log_segments_deleted_total")
                .contains("bulwark_up 1.0");
        double total = 0;
        for (BulwarkNode n : cluster.nodes.values()) {
            String m = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:"
                    + n.adminAddress().getPort() + "/metrics")).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
            java.util.regex.Matcher c = java.util.regex.Pattern.compile("bulwark_client_writes_seconds_count (\\S+)")
                    .matcher(m);
            assertThat(c.find()).isTrue();
            total += Double.parseDouble(c.group(1));
        }
        assertThat(total).as("the write was timed where it arrived (redirects included)").isGreaterThanOrEqualTo(1);
    }

    @Test
    void aJoinResumesPastALearnerLeftBehindByAnInterruptedRun() throws Exception {
        cluster = new LocalCluster(dir, 3, 4, 3);
        java.util.List<Topology.Member> members = new java.util.ArrayList<>(cluster.spec.members());
        members.add(new Topology.Member(4, "127.0.0.1", LocalCluster.freePort(), LocalCluster.freePort(), ""));
        ClusterSpec four = cluster.spec.withMembers(members);
        BulwarkNode newcomer = BulwarkNode.start(NodeConfig.of(4, dir.resolve("node-4"), four).asJoining());
        cluster.nodes.put(4, newcomer);
        assertThat(newcomer.hostedPartitions()).isEmpty();
        java.util.List<io.bulwark.ring.PartitionMove> moves = cluster.spec.table().diff(four.table());
        int p = moves.get(0).partition();
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            client.put(b("before"), b("x"));
            // An earlier run proposed node 4 as a learner of p and died before starting its replica.
            io.bulwark.client.ClusterAdmin admin = new io.bulwark.client.ClusterAdmin(client);
            for (int id = 1; id <= 3; id++) {
                cluster.nodes.get(id).replicas().awaitStatus(p, s -> s.leaderHint() >= 0, Duration.ofSeconds(10));
            }
            int leader = cluster.nodes.get(1).replicas().status(p).leaderHint();
            assertThat(admin.addLearner(leader, p, 4, 12345).result()).isEqualTo(io.bulwark.paxos.ProposeResult.QUEUED);
        }
        Rebalancer.Result r = Rebalancer.apply(cluster.spec, four, null);
        assertThat(r.partitionsMoved()).isEqualTo(moves.size());
        java.util.Set<Integer> expected = new java.util.TreeSet<>();
        for (int q = 0; q < 4; q++) {
            if (four.table().replicas(q).stream().anyMatch(n -> n.id().equals("4"))) {
                expected.add(q);
            }
        }
        assertThat(newcomer.hostedPartitions()).containsExactlyElementsOf(expected);
        try (BulwarkClient client = BulwarkClient.connect(ClientOptions.of(java.util.List.of(
                four.member(4).clientAddress())))) {
            assertThat(client.get(b("before"))).isEqualTo(b("x"));
        }
    }

    @Test
    void aDataDirectoryRemembersItsNodeAndCluster() throws Exception {
        cluster = new LocalCluster(dir, 3, 2, 3);
        cluster.stop(2);
        assertThatThrownBy(() -> BulwarkNode.start(NodeConfig.of(1, dir.resolve("node-2"), cluster.spec)))
                .isInstanceOf(IOException.class).hasMessageContaining("belongs to node 2");
        ClusterSpec other = new ClusterSpec(3, 3, cluster.spec.members());
        assertThatThrownBy(() -> BulwarkNode.start(NodeConfig.of(2, dir.resolve("node-2"), other)))
                .isInstanceOf(IOException.class).hasMessageContaining("different cluster definition");
        BulwarkNode restarted = BulwarkNode.start(NodeConfig.of(2, dir.resolve("node-2"), null));
        cluster.nodes.put(2, restarted);
        assertThat(restarted.spec()).isEqualTo(cluster.spec);
    }
}
