package io.bulwark.client.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopologyTest {

    private static List<Topology.Member> members(int n) {
        return java.util.stream.IntStream.rangeClosed(1, n)
                .mapToObj(i -> new Topology.Member(i, "127.0.0.1", 7100 + i, 7200 + i, "")).toList();
    }

    @Test
    void aPartitionMidMoveWithOneReplicaMoreThanTheFactorEncodesAndDecodes() {
        // While a partition moves to a joining node its group briefly has four members for a factor of three; the
        // encoder sized every set by the factor and a topology request failed with a buffer overflow.
        Topology t = new Topology(2, 3, members(4), new int[][] {{1, 2, 3, 4}, {2, 3, 1}}, new int[] {1, -1});
        assertThat(Topology.decode(t.encode())).isEqualTo(t);
    }

    @Test
    void theMetadataGroupFollowsThePartitionsAndATopologyWithoutOneStillDecodes() {
        Topology with = new Topology(2, 3, members(3), new int[][] {{1, 2, 3}, {2, 3, 1}, {3, 1, 2}},
                new int[] {1, 2, 3});
        Topology decoded = Topology.decode(with.encode());
        assertThat(decoded).isEqualTo(with);
        assertThat(decoded.hasMetadataGroup()).isTrue();
        assertThat(decoded.metadataGroup()).isEqualTo(2);
        assertThat(decoded.groups()).isEqualTo(3);
        assertThat(decoded.replicas()[decoded.metadataGroup()]).containsExactly(3, 1, 2);

        Topology without = new Topology(2, 3, members(3), new int[][] {{1, 2, 3}, {2, 3, 1}}, new int[] {1, 2});
        assertThat(Topology.decode(without.encode())).isEqualTo(without);
        assertThat(without.hasMetadataGroup()).isFalse();
        assertThat(without.groups()).isEqualTo(2);
    }
}
