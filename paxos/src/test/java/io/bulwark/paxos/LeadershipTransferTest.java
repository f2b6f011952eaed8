package io.bulwark.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Replica#transferLeadership}: a leader hands over to a caught-up voter without an election timeout. */
class LeadershipTransferTest {

    private static int other(int a, int b) {
        return 6 - a - b;
    }

    /** Commits commands {@code from..to-1}, then runs a heartbeat round so the leader knows who has them all. */
    private static void commit(TestGroup g, int leader, int from, int to) {
        for (int i = from; i < to; i++) {
            assertThat(g.get(leader).propose(TestGroup.command(1, i, "v" + i))).isEqualTo(ProposeResult.QUEUED);
            g.drain(leader);
            g.deliverAll();
        }
        g.run(ReplicaOptions.defaults().heartbeatTicks());
    }

    @Test
    void theSuccessorLeadsWithoutWaitingForAnElectionTimeoutAndNothingChosenIsLost() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        commit(g, leader, 1, 6);
        long chosenBefore = g.chosen.size();
        int successor = leader == 1 ? 2 : 1;

        assertThat(g.get(leader).transferLeadership(successor)).isTrue();
        g.drain(leader);
        assertThat(g.get(leader).role()).isEqualTo(Role.FOLLOWER);
        assertThat(g.get(leader).leaderHint()).isEqualTo(successor);
        // No tick at all: only the handoff and the successor's phase 1.
        g.deliverAll();
        assertThat(g.get(successor).role()).isEqualTo(Role.LEADER);
        assertThat(g.get(leader).role()).isEqualTo(Role.FOLLOWER);

        commit(g, successor, 6, 9);
        g.run(5);
        // TestGroup checks agreement on every chosen slot; every command is still there, in order.
        List<String> payloads = new ArrayList<>();
        for (Entry e : g.committed.get(other(leader, successor))) {
            if (e.value() instanceof Value.Batch b) {
                b.commands().forEach(c -> payloads.add(new String(c.payload(), java.nio.charset.StandardCharsets.UTF_8)));
            }
        }
        assertThat(payloads).containsExactly("v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8");
        assertThat(g.chosen.size()).isGreaterThan((int) chosenBefore);
    }

    @Test
    void aSuccessorThatIsBehindOrSilentIsRefusedAndNothingChanges() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        int lagging = leader == 1 ? 2 : 1;
        g.isolated.add(lagging);
        commit(g, leader, 1, 4);
        assertThat(g.get(leader).transferLeadership(lagging)).as("behind the chosen prefix").isFalse();
        assertThat(g.get(leader).role()).isEqualTo(Role.LEADER);

        g.isolated.clear();
        g.run(3);
        assertThat(g.get(leader).transferLeadership(lagging)).as("caught up and heard from").isTrue();
        g.drain(leader);
        g.deliverAll();
        int successor = lagging;
        assertThat(g.get(successor).role()).isEqualTo(Role.LEADER);

        int quiet = other(leader, successor);
        g.crash(quiet);
        g.tick(successor, ReplicaOptions.defaults().heartbeatTicks() * 3);
        assertThat(g.get(successor).transferLeadership(quiet)).as("not heard from lately").isFalse();
        assertThat(g.get(successor).transferLeadership(successor)).as("itself").isFalse();
        assertThat(g.get(successor).transferLeadership(9)).as("not a member").isFalse();
        assertThat(g.get(leader).transferLeadership(successor)).as("not the leader").isFalse();
        assertThat(g.get(successor).role()).isEqualTo(Role.LEADER);
    }

    @Test
    void theOthersSpareTheSuccessorOnlyAndAStaleHandoffChangesNothing() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        commit(g, leader, 1, 3);
        int successor = leader == 1 ? 2 : 1;
        int third = other(leader, successor);

        assertThat(g.get(leader).transferLeadership(successor)).isTrue();
        g.drain(leader);
        List<Message> handoffs = new ArrayList<>(g.inFlight.stream().filter(m -> m instanceof Message.Handoff).toList());
        assertThat(handoffs).hasSize(2);
        Message toThird = handoffs.stream().filter(m -> m.to() == third).findFirst().orElseThrow();

        // The old leader goes down right after sending the handoffs, before the successor's Prepare reaches it:
        // the third replica's promise, given although it heard the old leader a moment ago, is what lets the
        // successor win.
        g.inFlight.removeAll(handoffs);
        g.crash(leader);
        handoffs.forEach(g::deliver);
        g.deliverAll();
        assertThat(g.get(successor).role()).isEqualTo(Role.LEADER);

        // Another candidate is still refused by a replica that heard a leader lately.
        Replica t = g.get(third);
        Ballot high = new Ballot(t.promised().round() + 5, leader);
        g.inFlight.clear();
        g.deliver(new Message.Prepare(leader, third, high, t.chosenIndex()));
        assertThat(t.promised()).isNotEqualTo(high);
        assertThat(g.inFlight).anyMatch(m -> m instanceof Message.Reject r && r.rejected().equals(high));

        // The handoff again, late: it names the old ballot, so neither the new leader nor its followers react.
        Ballot current = g.get(successor).promised();
        g.deliver(toThird);
        g.deliver(new Message.Handoff(leader, successor, ((Message.Handoff) toThird).ballot(), successor));
        assertThat(g.get(successor).role()).isEqualTo(Role.LEADER);
        assertThat(g.get(successor).promised()).isEqualTo(current);
        assertThat(t.leaderHint()).isEqualTo(successor);
        g.run(3);
        assertThat(g.get(successor).role()).isEqualTo(Role.LEADER);
    }

    @Test
    void aSnapshotCompletedFromADeposedLeaderIsStillInstalled() {
        // The driver stores a snapshot before the replica hears of it; if the replica refused it because its
        // sender was deposed meanwhile, the next leader's older snapshot would find a newer one on the disk.
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        int behind = leader == 1 ? 2 : 1;
        g.isolated.add(behind);
        commit(g, leader, 1, 6);
        g.compact(leader);
        SnapshotMeta snapshot = g.snapshots.get(leader);
        Replica r = g.get(behind);
        assertThat(r.chosenIndex()).isLessThan(snapshot.index());
        g.isolated.clear();
        g.inFlight.clear();

        // The lagging replica promises a newer ballot (the leader it knew went quiet), then the old leader's
        // completed snapshot arrives.
        g.tick(behind, ReplicaOptions.defaults().electionTimeoutTicks() * 3);
        g.inFlight.clear();
        Ballot newer = new Ballot(r.promised().round() + 5, other(leader, behind));
        g.deliver(new Message.Prepare(newer.nodeId(), behind, newer, r.chosenIndex()));
        assertThat(r.promised()).isEqualTo(newer);
        Ballot old = g.get(leader).promised();
        g.deliver(new Message.InstallSnapshot(leader, behind, old, snapshot.index(), snapshot.totalBytes(),
                snapshot.crc32c(), 0, new byte[(int) snapshot.totalBytes()]));

        assertThat(r.chosenIndex()).isEqualTo(snapshot.index());
        assertThat(g.snapshots.get(behind)).isEqualTo(snapshot);
        assertThat(r.promised()).isEqualTo(newer);
        assertThat(g.inFlight).anyMatch(m -> m instanceof Message.Reject x && x.to() == leader);
    }
}
