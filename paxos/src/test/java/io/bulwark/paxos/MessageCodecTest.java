package io.bulwark.paxos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class MessageCodecTest {

    private static final Ballot B = new Ballot(7, 2);
    private static final List<Entry> ENTRIES = List.of(
            new Entry(5, B, new Value.Batch(List.of(new Command(9, 1, new byte[] {1, 2, 3}))), false),
            new Entry(6, new Ballot(3, 1), Value.NOOP, true),
            new Entry(7, B, new Value.Reconfigure(Membership.ofVoters(1, 2, 3).withLearner(4, 0x5eedL)), false));

    static List<Message> everyKind() {
        return List.of(
                new Message.PreVote(1, 2, B, 10),
                new Message.PreVoteReply(2, 1, B, true),
                new Message.Prepare(1, 2, B, 10),
                new Message.Promise(2, 1, B, 9, ENTRIES, 77),
                new Message.Reject(2, 1, B, new Ballot(8, 3), 11),
                new Message.Accept(1, 2, B, ENTRIES, 4),
                new Message.Accepted(2, 1, B, 5, 7, 4, 0x5eedL),
                new Message.Heartbeat(1, 2, B, 4, 99),
                new Message.HeartbeatReply(2, 1, B, 4, 99, 0),
                new Message.Learn(1, 3, B, ENTRIES, 7),
                new Message.SnapshotReply(3, 1, B, 40, 4096, 12),
                new Message.Handoff(1, 3, B, 2));
    }

    @Test
    void everyMessageKindRoundTrips() {
        for (Message m : everyKind()) {
            assertThat(MessageCodec.decode(MessageCodec.encode(m))).as(m.toString()).isEqualTo(m);
        }
    }

    @Test
    void snapshotChunksRoundTripByContent() {
        Message.InstallSnapshot m = new Message.InstallSnapshot(1, 2, B, 40, 10_000, 0xCAFE, 4096, new byte[] {9, 8, 7});
        Message.InstallSnapshot back = (Message.InstallSnapshot) MessageCodec.decode(MessageCodec.encode(m));
        assertThat(back.chunk()).containsExactly(9, 8, 7);
        assertThat(back.offset()).isEqualTo(4096);
        assertThat(back.crc32c()).isEqualTo(0xCAFE);
    }

    @Test
    void truncatedOrTrailingBytesAreRejected() {
        byte[] good = MessageCodec.encode(new Message.Promise(2, 1, B, 9, ENTRIES, 77));
        for (int cut = 0; cut < good.length; cut++) {
            byte[] shorter = java.util.Arrays.copyOf(good, cut);
            assertThatThrownBy(() -> MessageCodec.decode(shorter)).isInstanceOf(IllegalArgumentException.class);
        }
        byte[] longer = java.util.Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> MessageCodec.decode(longer)).hasMessageContaining("trailing");
    }
}
