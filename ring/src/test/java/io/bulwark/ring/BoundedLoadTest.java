package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

class BoundedLoadTest {

    @Property(tries = 50)
    void noNodeEverExceedsItsCap(@ForAll @LongRange(min = 0, max = 1_000_000) long seed,
            @ForAll @IntRange(min = 1, max = 40) int nodes, @ForAll @IntRange(min = 1, max = 20_000) int keys,
            @ForAll @DoubleRange(min = 0.01, max = 2.0) double epsilon, @ForAll boolean weighted) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Node> list = new ArrayList<>();
        for (int i = 0; i < nodes; i++) {
            list.add(Node.of("n" + i, weighted ? 0.5 + random.nextInt(4) : 1));
        }
        HashRing ring = HashRing.builder().vnodesPerWeight(64).addAll(list).build();
        long[] hashes = random.longs(keys).toArray();
        BoundedLoad.Assignment a = BoundedLoad.assign(ring, hashes, epsilon);
        int[] loads = a.loads();
        int[] caps = a.capacities();
        double totalWeight = list.stream().mapToDouble(Node::weight).sum();
        long placed = 0;
        for (int i = 0; i < loads.length; i++) {
            assertThat(loads[i]).isLessThanOrEqualTo(caps[i]);
            assertThat(caps[i]).isEqualTo(
                    (int) Math.ceil((1 + epsilon) * keys * ring.nodes().get(i).weight() / totalWeight));
            placed += loads[i];
        }
        assertThat(placed).isEqualTo(keys);
    }

    @Test
    void defaultEpsilonCapsAtOneAndAQuarterTimesTheMean() {
        HashRing ring = HashRing.builder().vnodesPerWeight(8).addAll(HashRingTest.nodes(50)).build();
        long[] hashes = new SplittableRandom(9).longs(100_000).toArray();
        BoundedLoad.Assignment a = BoundedLoad.assign(ring, hashes, BoundedLoad.DEFAULT_EPSILON);
        assertThat(a.maxLoad()).isLessThanOrEqualTo((int) Math.ceil(1.25 * 100_000 / 50));
        // With 8 points a node the plain ring is far less even: bounded load had work to do.
        assertThat(a.overflowed(hashes)).isPositive();
    }

    @Test
    void withRoomEveryKeyStaysAtItsNaturalOwner() {
        HashRing ring = HashRing.of(HashRingTest.nodes(5));
        long[] hashes = new SplittableRandom(4).longs(10_000).toArray();
        BoundedLoad.Assignment a = BoundedLoad.assign(ring, hashes, 10);
        assertThat(a.overflowed(hashes)).isZero();
        for (int k = 0; k < hashes.length; k++) {
            assertThat(a.ownerOf(k)).isEqualTo(ring.locate(hashes[k]));
        }
    }

    @Test
    void badInput() {
        HashRing ring = HashRing.of(HashRingTest.nodes(2));
        assertThatThrownBy(() -> BoundedLoad.assign(ring, new long[1], 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("epsilon must be positive and finite, was 0.0");
        assertThatThrownBy(() -> BoundedLoad.assign(HashRing.empty(), new long[1], 1))
                .isInstanceOf(EmptyRingException.class);
    }
}
