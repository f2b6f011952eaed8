package io.bulwark.bench;

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
 * {@code replicas(key, 3)} on a ring whose nodes are spread over {@value #ZONES} zones, against one
 * {@code locate} of the same key on the same ring: what a replicated write costs over a plain lookup.
 * The goal (issue 2) is at most 3 times the {@code locate} time, and no allocation (the replicas are
 * written into a buffer the caller owns).
 *
 * <p>Keys come from {@link PreHashedKeys} (2<sup>20</sup> seeded random longs, read in order).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class RingReplicasBenchmark {

    /** Zones the nodes are spread over, round-robin. */
    public static final int ZONES = 3;
    /** Copies per key. */
    public static final int REPLICAS = 3;

    /** A default ring over zoned nodes and the caller's replica buffer; one per benchmark thread. */
    @State(Scope.Thread)
    public static class ZonedRing {
        /** Number of nodes. */
        @Param({"100", "1000"})
        public int nodes;
        HashRing ring;
        final Node[] out = new Node[REPLICAS];

        /** Builds the ring once per trial. */
        @Setup(Level.Trial)
        public void build() {
            ring = HashRing.of(BenchNodes.zoned(nodes, ZONES));
        }
    }

    /** {@code replicas(key, out, 3)}: three distinct nodes in three distinct zones. */
    @Benchmark
    public Node replicas(ZonedRing state, PreHashedKeys keys) {
        Node[] out = state.out;
        state.ring.replicas(keys.next(), out, REPLICAS);
        // The buffer is reachable from the state, so the writes cannot be dropped; returning the last
        // copy also keeps the final step of the walk alive.
        return out[REPLICAS - 1];
    }

    /** One {@code locate(key)} on the same zoned ring. */
    @Benchmark
    public Node locate(ZonedRing state, PreHashedKeys keys) {
        return state.ring.locate(keys.next());
    }
}
