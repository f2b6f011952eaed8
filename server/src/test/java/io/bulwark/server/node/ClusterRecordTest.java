package io.bulwark.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.client.protocol.Topology;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class ClusterRecordTest {

    private static ClusterSpec spec(int... ids) {
        List<Topology.Member> members = new java.util.ArrayList<>();
        for (int id : ids) {
            members.add(new Topology.Member(id, "127.0.0.1", 7100 + id, 7200 + id, id % 2 == 0 ? "zone-b" : ""));
        }
        return new ClusterSpec(16, 3, members);
    }

    @Test
    void aMoveRoundTripsThroughItsStoredFormAndEveryWriteGrowsTheVersion() {
        ClusterRecord first = ClusterRecord.first(spec(1, 2, 3), "node 1");
        ClusterRecord moving = first.moveTo(spec(1, 2, 3, 4), "operator", "node 4 joins");
        ClusterRecord stepped = moving.step("node 2", "partition 5: [1, 2, 3] -> [2, 3, 4]");
        ClusterRecord done = stepped.finished("node 2");
        for (ClusterRecord r : List.of(first, moving, stepped, done)) {
            assertThat(ClusterRecord.decode(r.encode())).isEqualTo(r);
        }
        assertThat(List.of(first.version(), moving.version(), stepped.version(), done.version()))
                .containsExactly(1L, 2L, 3L, 4L);
        assertThat(moving.moving()).isTrue();
        assertThat(moving.from()).isEqualTo(spec(1, 2, 3));
        assertThat(done.moving()).isFalse();
        assertThat(done.from()).isEqualTo(done.to()).isEqualTo(spec(1, 2, 3, 4));
        assertThat(done.reason()).isEqualTo("node 4 joins");
        assertThat(stepped.toString()).contains("moving [1, 2, 3] -> [1, 2, 3, 4]", "partition 5");
    }

    @Test
    void aReasonCannotBreakTheFormatAndGarbageIsRefused() {
        ClusterRecord r = ClusterRecord.first(spec(1, 2, 3), "node 1").moveTo(spec(1, 2, 3), "operator",
                "two\nlines [to]\n=");
        assertThat(ClusterRecord.decode(r.encode()).reason()).isEqualTo("two lines [to] =");
        assertThatThrownBy(() -> ClusterRecord.decode("hello".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a cluster record");
        String bad = new String(r.encode(), StandardCharsets.UTF_8).replace("state=moving", "state=dancing");
        assertThatThrownBy(() -> ClusterRecord.decode(bad.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dancing");
    }
}
