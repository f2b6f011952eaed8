package io.bulwark.bench;

import com.google.common.hash.Hashing;
import io.bulwark.ring.HashRing;
import io.bulwark.ring.Node;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Lookup of one pre-hashed key: Bulwark's {@link HashRing#locate(long)} against Guava's
 * {@code Hashing.consistentHash(long, int)} (jump consistent hash, the real library) and a Ketama
 * {@code TreeMap} ring with 160 points per node ({@link KetamaTreeMapRing}), at 10 to 10,000 nodes.
 *
 * <p>Keys come from {@link PreHashedKeys}: 2<sup>20</sup> random longs from a seeded
 * {@link java.util.SplittableRandom}, read in order, so the lookup structures are probed at unpredictable
 * places as with real traffic, not replayed from L1 by a tiny key array. Every method returns the owning
 * {@link Node} so JMH's blackhole keeps the lookup alive; Guava's bucket number is turned into a node
 * through an array, the step every caller of {@code consistentHash} must also take.
 *
 * <p>Each implementation has its own state so a trial builds only the structure it measures (the
 * 10,000-node Bulwark ring at defaults holds 41 million points, hence the 2 GiB heap).
 *
 * <p>{@code -XX:+AlwaysPreTouch}: the Ketama lookup allocates 48 bytes per call (the boxed position and
 * the entry {@code ceilingEntry} returns), so without it the peer keeps paying first-touch page faults on
 * fresh heap during the measurement (on the 2-core VM it drifted from 110 to 300 ns/op at 10 nodes, and
 * measured 88 +/- 24 ns/op with pre-touch). Every benchmark runs with the same JVM flags.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class RingLookupBenchmark {

    /** Bulwark's default ring ({@link HashRing#of(java.util.Collection)}) over weight-1 nodes. */
    @State(Scope.Benchmark)
    public static class BulwarkRing {
        /** Number of nodes. */
        @Param({"10", "100", "1000", "10000"})
        public int nodes;
        HashRing ring;

        /** Builds the ring once per trial. */
        @Setup(Level.Trial)
        public void build() {
            ring = HashRing.of(BenchNodes.plain(nodes));
        }
    }

    /** Guava's jump hash needs no structure: only the bucket-to-node array. */
    @State(Scope.Benchmark)
    public static class GuavaBuckets {
        /** Number of nodes. */
        @Param({"10", "100", "1000", "10000"})
        public int nodes;
        Node[] buckets;

        /** Builds the bucket array once per trial. */
        @Setup(Level.Trial)
        public void build() {
            buckets = BenchNodes.plain(nodes).toArray(new Node[0]);
        }
    }

    /** The Ketama TreeMap ring over the same nodes. */
    @State(Scope.Benchmark)
    public static class KetamaRing {
        /** Number of nodes. */
        @Param({"10", "100", "1000", "10000"})
        public int nodes;
        KetamaTreeMapRing ring;

        /** Builds the ring once per trial. */
        @Setup(Level.Trial)
        public void build() {
            ring = KetamaTreeMapRing.of(BenchNodes.plain(nodes));
        }
    }

    /** Bulwark: {@code HashRing.locate(long)}. */
    @Benchmark
    public Node bulwarkRing(BulwarkRing state, PreHashedKeys keys) {
        return state.ring.locate(keys.next());
    }

    /** Guava: {@code Hashing.consistentHash(long, int)} and the bucket's node. */
    @Benchmark
    public Node guavaConsistentHash(GuavaBuckets state, PreHashedKeys keys) {
        Node[] buckets = state.buckets;
        return buckets[Hashing.consistentHash(keys.next(), buckets.length)];
    }

    /** Ketama: {@code TreeMap.ceilingEntry}, wrapping to {@code firstEntry}. */
    @Benchmark
    public Node ketamaTreeMap(KetamaRing state, PreHashedKeys keys) {
        return state.ring.locate(keys.next());
    }
}
