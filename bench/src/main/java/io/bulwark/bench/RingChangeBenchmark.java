package io.bulwark.bench;

import io.bulwark.ring.HashRing;
import io.bulwark.ring.Node;
import java.util.List;
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
 * The cost of a membership change: building the new ring when one node joins or leaves a 1,000-node
 * ring. Bulwark's {@link HashRing#with(Node)} / {@link HashRing#without(String)} merge the new node's
 * points into the existing sorted arrays; the Ketama peer rebuilds its whole {@code TreeMap}, as
 * spymemcached does. The goal (issue 2) is at most 5 ms per change for Bulwark.
 *
 * <p>Rings are immutable, so every invocation derives a fresh ring from the same prebuilt one; only the
 * construction of the new ring is measured, including the garbage it leaves (its arrays are allocated
 * and filled inside the measurement, which is the real cost of a change).
 *
 * <p>{@code -XX:+AlwaysPreTouch}: each change allocates about 21 MB, so without it the first few hundred
 * changes also pay the kernel for the heap's first-touch page faults, and the warm-up ends before that
 * does (iterations fell from 130 ms to 4 ms over the first eight seconds).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class RingChangeBenchmark {

    /** Prebuilt rings, the node that joins and the id of the node that leaves. */
    @State(Scope.Benchmark)
    public static class Rings {
        /** Number of nodes before the change. */
        @Param({"1000"})
        public int nodes;
        HashRing bulwark;
        KetamaTreeMapRing ketama;
        Node joining;
        String leavingId;

        /** Builds both rings once per trial. */
        @Setup(Level.Trial)
        public void build() {
            List<Node> members = BenchNodes.plain(nodes);
            bulwark = HashRing.of(members);
            ketama = KetamaTreeMapRing.of(members);
            joining = Node.of("node-joining");
            // A node from the middle of the id order, so the removal shifts half the node table.
            leavingId = BenchNodes.id(nodes / 2);
        }
    }

    /** Bulwark: one node joins. */
    @Benchmark
    public HashRing bulwarkWith(Rings rings) {
        return rings.bulwark.with(rings.joining);
    }

    /** Bulwark: one node leaves. */
    @Benchmark
    public HashRing bulwarkWithout(Rings rings) {
        return rings.bulwark.without(rings.leavingId);
    }

    /** Ketama peer: one node joins (full rebuild). */
    @Benchmark
    public KetamaTreeMapRing ketamaWith(Rings rings) {
        return rings.ketama.with(rings.joining);
    }

    /** Ketama peer: one node leaves (full rebuild). */
    @Benchmark
    public KetamaTreeMapRing ketamaWithout(Rings rings) {
        return rings.ketama.without(rings.leavingId);
    }
}
