package io.bulwark.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.ring.Node;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Keeps the ring benchmarks compiling and working: runs {@link RingBench} in smoke mode (seconds, not a
 * measurement, per BENCHMARKING.md rule 6) and checks every row of the table came out with numbers, and
 * checks that the Ketama peer is the ring it claims to be, so the ratios compare against a fair peer.
 */
class RingBenchSmokeTest {

    private static final Pattern RATIO = Pattern.compile("\\d+\\.\\d{2}x");

    @Test
    void smokeRunPrintsEveryRowOfTheTable() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        int status = RingBench.run(out, true);

        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(status).as(text).isEqualTo(RingBench.OK);
        RingBench.Plan plan = RingBench.Plan.smoke();
        List<String> lookups = rows(text, "Lookup of a pre-hashed key");
        assertThat(lookups).as(text).hasSize(plan.lookupNodes().length);
        for (int i = 0; i < plan.lookupNodes().length; i++) {
            // Bulwark/Guava and Bulwark/TreeMap: both peers ran at this node count.
            assertThat(lookups.get(i)).startsWith(String.format("%6d |", plan.lookupNodes()[i]));
            assertThat(ratios(lookups.get(i))).as(lookups.get(i)).isEqualTo(2);
            assertThat(lookups.get(i)).contains("B/op");
        }
        List<String> replicas = rows(text, "replicas(key, 3) over 3 zones");
        assertThat(replicas).as(text).hasSize(plan.replicaNodes().length);
        for (int i = 0; i < plan.replicaNodes().length; i++) {
            assertThat(replicas.get(i)).startsWith(String.format("%6d |", plan.replicaNodes()[i]));
            assertThat(ratios(replicas.get(i))).as(replicas.get(i)).isEqualTo(1);
        }
        List<String> changes = rows(text, "Change cost:");
        assertThat(changes).as(text).hasSize(2);
        assertThat(changes.get(0)).startsWith(" add node");
        assertThat(changes.get(1)).startsWith(" remove node");
        assertThat(changes).allSatisfy(line -> assertThat(ratios(line)).as(line).isEqualTo(1));
        assertThat(text).contains("KiB per node");
        assertThat(text).contains(
                "lookup at 1000 nodes vs Guava consistentHash",
                "lookup at 1000 nodes vs Ketama TreeMap ring",
                "allocation per lookup",
                "replicas(key,3) with zones vs locate, 1000 nodes",
                "allocation per replicas(key,3)",
                "add node in a 1000-node ring",
                "remove node in a 1000-node ring",
                "memory per node at defaults");
        // Every goal was evaluated (pass or MISSED); none was left without a measurement.
        assertThat(text).containsPattern("goals: \\d+ passed, \\d+ missed, 0 not run");
    }

    @Test
    void ketamaRingHas160PointsPerNode() {
        KetamaTreeMapRing ring = KetamaTreeMapRing.of(BenchNodes.plain(100));

        // 16,000 points in 2^32 positions: a collision is a 3% event, and these fixed ids have none.
        assertThat(ring.pointCount()).isEqualTo(100 * KetamaTreeMapRing.POINTS_PER_NODE);
        assertThat(ring.pointsPerNode()).hasSize(100)
                .allSatisfy((id, points) -> assertThat(points).isEqualTo(KetamaTreeMapRing.POINTS_PER_NODE));
    }

    @Test
    void ketamaLocateIsTheFirstPointAtOrAfterTheKeyWrapping() {
        List<Node> nodes = BenchNodes.plain(20);
        KetamaTreeMapRing ring = KetamaTreeMapRing.of(nodes);
        TreeMap<Long, Node> reference = referencePoints(nodes);
        long[] positions = reference.keySet().stream().mapToLong(Long::longValue).toArray();
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            long key = random.nextLong();
            Node owner = ring.locate(key);
            assertThat(nodes).contains(owner);
            // Linear scan: the first point at or after the key's top 32 bits, else the first point.
            long position = key >>> 32;
            long expected = positions[0];
            for (long p : positions) {
                if (p >= position) {
                    expected = p;
                    break;
                }
            }
            assertThat(owner).isEqualTo(reference.get(expected));
        }
        // The wrap: a key past the last point belongs to the first point's node.
        assertThat(ring.locate(-1L)).isEqualTo(reference.firstEntry().getValue());
    }

    @Test
    void ketamaBalanceIsWhatA160PointRingGives() {
        int nodeCount = 100;
        KetamaTreeMapRing ring = KetamaTreeMapRing.of(BenchNodes.plain(nodeCount));
        Map<String, Integer> counts = new HashMap<>();
        long[] keys = PreHashedKeys.generate(1_000_000, 11);
        for (long key : keys) {
            counts.merge(ring.locate(key).id(), 1, Integer::sum);
        }
        double mean = keys.length / (double) nodeCount;
        int peak = counts.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
        // Every node owns keys; the largest owns clearly more than the mean (160 points: spread ~1/sqrt(160)),
        // but not absurdly more (which would mean positions are not spread over the whole ring).
        assertThat(counts).hasSize(nodeCount);
        assertThat(peak / mean).isBetween(1.05, 1.6);
    }

    @Test
    void ketamaChangesMoveOnlyTheChangedNodesKeys() {
        KetamaTreeMapRing before = KetamaTreeMapRing.of(BenchNodes.plain(50));
        KetamaTreeMapRing grown = before.with(Node.of("node-new"));
        KetamaTreeMapRing shrunk = before.without(BenchNodes.id(7));
        assertThat(grown.pointCount()).isEqualTo(51 * KetamaTreeMapRing.POINTS_PER_NODE);
        assertThat(shrunk.nodes()).extracting(Node::id).doesNotContain(BenchNodes.id(7));
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 100_000; i++) {
            long key = random.nextLong();
            Node owner = before.locate(key);
            Node afterAdd = grown.locate(key);
            assertThat(afterAdd.equals(owner) || afterAdd.id().equals("node-new")).isTrue();
            Node afterRemove = shrunk.locate(key);
            assertThat(afterRemove.equals(owner) || owner.id().equals(BenchNodes.id(7))).isTrue();
        }
    }

    @Test
    void ketamaRejectsWhatItCannotRepresent() {
        assertThatThrownBy(() -> KetamaTreeMapRing.of(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one node");
        assertThatThrownBy(() -> KetamaTreeMapRing.of(List.of(Node.of("a"), Node.of("a"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than once");
        assertThatThrownBy(() -> KetamaTreeMapRing.of(List.of(Node.of("a", 2.0))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("weight");
        assertThatThrownBy(() -> KetamaTreeMapRing.of(List.of(Node.of("a"))).without("b"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no node 'b'");
    }

    @Test
    void keysAreTheSameForEverySeededRun() {
        long[] a = PreHashedKeys.generate(1_000, PreHashedKeys.SEED);
        long[] b = PreHashedKeys.generate(1_000, PreHashedKeys.SEED);
        assertThat(a).isEqualTo(b);
        Set<Long> distinct = new HashSet<>();
        for (long k : a) {
            distinct.add(k);
        }
        assertThat(distinct).hasSize(1_000);
    }

    /** Ketama points computed independently with a fresh digest per node key (the spymemcached layout). */
    private static TreeMap<Long, Node> referencePoints(List<Node> nodes) {
        TreeMap<Long, Node> points = new TreeMap<>();
        for (Node node : nodes) {
            for (int i = 0; i < 40; i++) {
                byte[] d = md5(node.id() + "-" + i);
                for (int h = 0; h < 4; h++) {
                    long k = 0;
                    for (int b = 3; b >= 0; b--) {
                        k = (k << 8) | (d[h * 4 + b] & 0xFF);
                    }
                    points.put(k, node);
                }
            }
        }
        return points;
    }

    private static byte[] md5(String s) {
        try {
            return java.security.MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The data rows of the table whose title line starts with {@code title}: after the rule, up to a blank line. */
    private static List<String> rows(String text, String title) {
        List<String> lines = text.lines().toList();
        int at = 0;
        while (at < lines.size() && !lines.get(at).startsWith(title)) {
            at++;
        }
        assertThat(at).as("a table titled '%s' in%n%s", title, text).isLessThan(lines.size());
        // Title, column header, rule, then the rows.
        List<String> rows = new ArrayList<>();
        for (int i = at + 3; i < lines.size() && !lines.get(i).isBlank(); i++) {
            rows.add(lines.get(i));
        }
        return rows;
    }

    private static int ratios(String line) {
        Matcher m = RATIO.matcher(line);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
