package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link HashRing}: the golden placement of docs/RING_FORMAT.md, agreement with the naive
 * specification ({@link SpecRing}), incremental changes, the serialized form and ring-specific input
 * checks, on top of the {@link NodeLocatorContract}.
 */
class HashRingTest extends NodeLocatorContract<HashRing> {

    HashRingTest() {
        super((nodes, hasher) -> HashRing.of(new RingSettings(RingSettings.DEFAULT_VNODES, hasher), nodes),
                HashRing::with, HashRing::without);
    }

    static List<Node> nodes(int n) {
        List<Node> list = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            list.add(Node.of("node-" + i));
        }
        return list;
    }

    static HashRing ring(int n) {
        return HashRing.of(nodes(n));
    }

    @Test
    void goldenPlacementOfTheFiveNodeExampleRing() {
        // Published in docs/RING_FORMAT.md: a client in any language must reproduce these.
        HashRing ring = ring(5);
        assertThat(ring.fingerprint()).isEqualTo(0xEAA786ED9AC21581L);
        assertThat(ring.locate("item1").id()).isEqualTo("node-2");
        assertThat(ring.locate("item5").id()).isEqualTo("node-3");
        assertThat(ring.locate("user:1001").id()).isEqualTo("node-4");
        Node[] out = new Node[3];
        ring.replicas(XxHash64.INSTANCE.hash("order:42"), out, 3);
        assertThat(Arrays.stream(out).map(Node::id)).containsExactly("node-4", "node-5", "node-1");
        assertThat(Base64.getEncoder().encodeToString(ring.serialize())).isEqualTo(
                "QldSRwEBB3h4aDY0LzEAABAAFAAAAAUABm5vZGUtMT/wAAAAAAAA//8ABm5vZGUtMj/wAAAAAAAA//8ABm5vZGUtMz/wAAAAAAAA//8A"
                        + "Bm5vZGUtND/wAAAAAAAA//8ABm5vZGUtNT/wAAAAAAAA//8JvpAN");
    }

    @Test
    void goldenPointsAndPartitions() {
        long seed = XxHash64.INSTANCE.hash("node-1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThat(seed).isEqualTo(0x1664EE5E5C6B16A5L);
        assertThat(HashRing.pointPosition(seed, 0)).isEqualTo(0x5CF32AA3L);
        assertThat(HashRing.pointPosition(seed, 1)).isEqualTo(0x30272526L);
        assertThat(HashRing.pointPosition(seed, 2)).isEqualTo(0x14D1C9A3L);
        assertThat(HashRing.pointPosition(seed, 3)).isEqualTo(0x0511D9D1L);
        PartitionTable table = PartitionTable.of(ring(5), 64, 3);
        assertThat(table.replicas(0)).extracting(Node::id).containsExactly("node-3", "node-5", "node-4");
        assertThat(table.replicas(1)).extracting(Node::id).containsExactly("node-5", "node-3", "node-1");
        assertThat(table.partitionOf("user:1001")).isEqualTo(33);
    }

    @Test
    void agreesWithTheNaiveSpecificationOnEveryKey() {
        SplittableRandom random = new SplittableRandom(11);
        List<Node> nodes = List.of(Node.of("a", 1, "z1"), Node.of("b", 2.5, "z2"), Node.of("c", 0.5, "z1"),
                Node.of("d", 1, "z3"), Node.of("e", 1, null), Node.of("é-unicode", 1, "z2"));
        HashRing ring = HashRing.builder().vnodesPerWeight(64).addAll(nodes).build();
        SpecRing spec = new SpecRing(nodes, 64);
        HashRing fine = HashRing.builder().vnodesPerWeight(64).slotBits(24).addAll(nodes).build();
        SpecRing fineSpec = new SpecRing(nodes, 64, 24);
        Node[] out = new Node[4];
        for (int i = 0; i < 5_000; i++) {
            long key = random.nextLong();
            assertThat(ring.locate(key).id()).isEqualTo(spec.locate(key));
            ring.replicas(key, out, 4);
            assertThat(Arrays.stream(out).map(Node::id).toList()).isEqualTo(spec.replicas(key, 4));
            assertThat(fine.locate(key).id()).isEqualTo(fineSpec.locate(key));
        }
        // Keys exactly on point positions and at the ends of the hash space.
        for (long key : new long[] {0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE}) {
            assertThat(ring.locate(key).id()).isEqualTo(spec.locate(key));
        }
        for (int p : ring.pointPositions()) {
            long key = (long) p << 32;
            assertThat(ring.locate(key).id()).isEqualTo(spec.locate(key));
            assertThat(ring.locate(key + 0xFFFF_FFFFL).id()).isEqualTo(spec.locate(key + 0xFFFF_FFFFL));
        }
    }

    @Test
    void incrementalChangesEqualRebuildingFromScratch() {
        SplittableRandom random = new SplittableRandom(5);
        HashRing ring = HashRing.builder().vnodesPerWeight(300).build();
        List<Node> live = new ArrayList<>();
        for (int step = 0; step < 80; step++) {
            int op = live.isEmpty() ? 0 : random.nextInt(3);
            if (op == 0 || live.size() < 3) {
                Node n = Node.of("n" + step, 0.25 + random.nextInt(8) * 0.25, "z" + random.nextInt(3));
                ring = ring.with(n);
                live.add(n);
            } else if (op == 1) {
                Node gone = live.remove(random.nextInt(live.size()));
                ring = ring.without(gone.id());
            } else {
                int i = random.nextInt(live.size());
                Node re = live.get(i).withWeight(0.25 + random.nextInt(8) * 0.25);
                ring = ring.reweighted(re.id(), re.weight());
                live.set(i, re);
            }
            HashRing fresh = HashRing.of(ring.settings(), live);
            assertThat(ring.fingerprint()).isEqualTo(fresh.fingerprint());
            assertThat(ring.pointPositions()).isEqualTo(fresh.pointPositions());
            for (int k = 0; k < 200; k++) {
                long key = random.nextLong();
                assertThat(ring.locate(key)).isEqualTo(fresh.locate(key));
            }
        }
    }

    @Test
    void orderOfConstructionDoesNotMatter() {
        List<Node> a = nodes(20);
        List<Node> b = new ArrayList<>(a);
        java.util.Collections.reverse(b);
        assertThat(HashRing.of(a).fingerprint()).isEqualTo(HashRing.of(b).fingerprint());
        HashRing grown = HashRing.empty();
        for (Node n : b) {
            grown = grown.with(n);
        }
        assertThat(grown.fingerprint()).isEqualTo(HashRing.of(a).fingerprint());
        assertThat(grown.pointPositions()).isEqualTo(HashRing.of(a).pointPositions());
    }

    @Test
    void fingerprintCoversEverythingThatDecidesPlacement() {
        HashRing base = ring(5);
        assertThat(base.reweighted("node-1", 2).fingerprint()).isNotEqualTo(base.fingerprint());
        assertThat(base.without("node-1").with(Node.of("node-1", 1, "rack-a")).fingerprint())
                .isNotEqualTo(base.fingerprint());
        assertThat(HashRing.of(new RingSettings(4095, XxHash64.INSTANCE), nodes(5)).fingerprint())
                .isNotEqualTo(base.fingerprint());
        assertThat(HashRing.of(new RingSettings(4096, new XxHash64(1)), nodes(5)).fingerprint())
                .isNotEqualTo(base.fingerprint());
        assertThat(HashRing.of(new RingSettings(4096, 21, XxHash64.INSTANCE), nodes(5)).fingerprint())
                .isNotEqualTo(base.fingerprint());
        assertThat(base.reweighted("node-1", 1).fingerprint()).isEqualTo(base.fingerprint());
    }

    @Test
    void serializedFormRoundTripsAndDetectsCorruption() {
        HashRing ring = HashRing.builder().vnodesPerWeight(100).hasher(new XxHash64(9))
                .add(Node.of("α", 1.5, "eu-1")).add(Node.of("b", 0.5)).build();
        byte[] bytes = ring.serialize();
        HashRing back = HashRing.deserialize(bytes);
        assertThat(back.fingerprint()).isEqualTo(ring.fingerprint());
        assertThat(back.nodes()).isEqualTo(ring.nodes());
        for (int bit = 0; bit < bytes.length * 8; bit += 7) {
            byte[] flipped = bytes.clone();
            flipped[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThatThrownBy(() -> HashRing.deserialize(flipped)).isInstanceOf(RingFormatException.class);
        }
        assertThatThrownBy(() -> HashRing.deserialize(Arrays.copyOf(bytes, bytes.length - 1)))
                .isInstanceOf(RingFormatException.class);
        assertThatThrownBy(() -> HashRing.deserialize(new byte[3])).isInstanceOf(RingFormatException.class)
                .hasMessageContaining("too short");
        assertThatThrownBy(() -> HashRing.deserialize(null)).isInstanceOf(RingFormatException.class);
    }

    @Test
    void badInputGetsSpecificExceptionsThatSayWhatWasWrong() {
        assertThatThrownBy(() -> Node.of(null)).isInstanceOf(InvalidNodeException.class)
                .hasMessage("node id must not be null");
        assertThatThrownBy(() -> Node.of("")).isInstanceOf(InvalidNodeException.class)
                .hasMessage("node id must not be empty");
        assertThatThrownBy(() -> Node.of("x".repeat(256))).isInstanceOf(InvalidNodeException.class)
                .hasMessageContaining("at most 255 UTF-8 bytes");
        assertThatThrownBy(() -> Node.of("a\nb")).isInstanceOf(InvalidNodeException.class)
                .hasMessageContaining("control characters");
        for (double w : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 1001}) {
            assertThatThrownBy(() -> Node.of("n", w)).isInstanceOf(InvalidNodeException.class)
                    .hasMessageContaining("weight of node 'n' must be positive, finite");
        }
        assertThatThrownBy(() -> Node.of("n", 1, "")).isInstanceOf(InvalidNodeException.class)
                .hasMessageContaining("zone of node 'n' must not be empty");
        assertThatThrownBy(() -> ring(2).reweighted("node-1", -2)).isInstanceOf(InvalidNodeException.class);
        assertThatThrownBy(() -> HashRing.empty().locate(1L)).isInstanceOf(EmptyRingException.class)
                .hasMessage("the ring has no nodes; add a node before looking up keys");
        assertThatThrownBy(() -> new RingSettings(0, XxHash64.INSTANCE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("vnodesPerWeight must be between 1 and 65536, was 0");
        assertThatThrownBy(() -> new RingSettings(1, 15, XxHash64.INSTANCE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slotBits must be between 16 and 26");
    }

    @Test
    void nodesWithoutAZoneCountAsOneZoneTogether() {
        assertThat(HashRing.of(zonedNodes()).zoneCount()).isEqualTo(4);
        assertThat(ring(3).zoneCount()).isEqualTo(1);
        assertThat(HashRing.of(Node.of("a", 1, "z1"), Node.of("b"), Node.of("c", 1, "z1"), Node.of("d")).zoneCount())
                .isEqualTo(2);
    }

    @Test
    void holderPublishesWholeRingsToConcurrentReaders() throws Exception {
        RingHolder holder = new RingHolder(ring(3));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(2);
        Runnable reader = () -> {
            try {
                for (int i = 0; i < 20_000; i++) {
                    HashRing r = holder.get();
                    Node n = r.locate((long) i * 0x9E3779B97F4A7C15L);
                    if (!r.contains(n.id())) {
                        throw new AssertionError("snapshot returned a node it does not contain");
                    }
                }
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                done.countDown();
            }
        };
        new Thread(reader).start();
        new Thread(reader).start();
        for (int i = 0; i < 20; i++) {
            int x = i;
            holder.update(r -> r.with(Node.of("extra-" + x)));
        }
        assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(failure.get()).isNull();
        assertThat(holder.get().size()).isEqualTo(23);
    }

    @Test
    void sharesSumToOneAndFollowWeights() {
        HashRing ring = HashRing.of(Node.of("a", 1), Node.of("b", 2), Node.of("c", 3), Node.of("d", 4));
        double[] shares = ring.shares();
        double[] targets = ring.targetShares();
        assertThat(Arrays.stream(shares).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));
        for (int i = 0; i < shares.length; i++) {
            // 4096+ points a node: relative spread ~1/sqrt(4096 w); 4 sigma for w = 1 is 6%.
            assertThat(shares[i] / targets[i]).as(ring.nodes().get(i).id()).isBetween(0.94, 1.06);
        }
    }
}
