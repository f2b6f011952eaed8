package io.bulwark.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReplicaTest {

    @Test
    void aLearnerWhosePromotionIsPendingPromisesSoTheGroupCanElectWhenTheLeaderDies() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        int other = leader == 2 ? 3 : 2;
        int third = 6 - leader - other;
        g.addReplica(4, 44);
        Replica l = g.get(leader);
        assertThat(l.proposeMembership(l.membership().withLearner(4, 44))).isEqualTo(ProposeResult.QUEUED);
        // Run until the leader proposes promoting the caught-up learner; let that proposal reach one follower only,
        // then the leader dies before the promotion is chosen.
        java.util.function.Predicate<Message> promotion = m -> m instanceof Message.Accept a && a.entries().stream()
                .anyMatch(e -> e.value() instanceof Value.Reconfigure r && r.membership().isVoter(4));
        boolean proposed = false;
        for (int i = 0; i < 300 && !proposed; i++) {
            g.tickAll(1);
            for (int budget = 0; budget < 10_000 && !g.inFlight.isEmpty(); budget++) {
                Message m = g.inFlight.peek();
                if (promotion.test(m)) {
                    proposed = true;
                    break;
                }
                g.inFlight.poll();
                if (!g.down.contains(m.to())) {
                    g.deliver(m);
                }
            }
        }
        assertThat(proposed).as("the leader proposed the promotion").isTrue();
        for (Message m : List.copyOf(g.inFlight)) {
            if (promotion.test(m) && m.to() == other) {
                g.deliver(m);
            }
        }
        g.crash(leader);
        g.inFlight.clear();
        // The survivors: one accepted the promotion (so a quorum of the new membership is needed), the learner has
        // not learned it was promoted. Unless the learner promises, no candidate can ever win.
        int successor = g.awaitLeaderAmong(2_000, other, third, 4);
        assertThat(successor).as("a successor is elected").isPositive();
    }

    @Test
    void aLeaderThatRemovesItselfHandsOverAndTheGroupElectsASuccessor() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        g.addReplica(4, 44);
        Replica l = g.get(leader);
        assertThat(l.proposeMembership(l.membership().withLearner(4, 44))).isEqualTo(ProposeResult.QUEUED);
        for (int i = 0; i < 200 && !g.get(leader).membership().isVoter(4); i++) {
            g.run(1);
        }
        assertThat(g.get(leader).membership().isVoter(4)).as("the learner was promoted").isTrue();
        assertThat(l.proposeMembership(l.membership().without(leader))).isEqualTo(ProposeResult.QUEUED);
        for (int i = 0; i < 50 && g.get(leader).role() == Role.LEADER; i++) {
            g.deliverAll();
            g.tick(leader, 1);
        }
        assertThat(g.get(leader).role()).as("the removed leader stepped down").isNotEqualTo(Role.LEADER);
        int successor = g.awaitLeaderAmong(500, java.util.stream.IntStream.of(1, 2, 3, 4).filter(i -> i != leader).toArray());
        assertThat(successor).as("a successor among the remaining voters").isPositive();
        assertThat(g.get(successor).membership().isVoter(leader)).isFalse();
        assertThat(g.get(successor).propose(TestGroup.command(9, 1, "after"))).isEqualTo(ProposeResult.QUEUED);
    }

    /**
     * Found by the transaction simulator over real Paxos groups: a wiped replica was rebuilt (replaced by a
     * learner, voters down to two, then promoted back); the promotion was chosen and applied everywhere, but
     * the replicas had recorded that only without an fsync. Another replica then lost its disk while the other
     * two lost power: they came back knowing the promotion only as accepted, counted votes by the two-voter
     * membership (which needs the wiped replica) and never elected again. A chosen membership change is now
     * synced before it takes effect.
     */
    @Test
    void aChosenPromotionSurvivesAPowerLossSoTheGroupStillSurvivesTheNextLostDisk() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        int rebuilt = leader == 1 ? 2 : 1;
        int lost = 6 - leader - rebuilt;
        g.wipe(rebuilt, 22);
        for (int i = 0; i < 500 && !g.get(rebuilt).isVoter(); i++) {
            g.run(1);
        }
        assertThat(g.get(rebuilt).isVoter()).as("the wiped replica was rebuilt and promoted").isTrue();
        g.run(20);
        assertThat(g.get(leader).membership().voters()).containsExactly(1, 2, 3);

        g.powerLoss(leader);
        g.powerLoss(rebuilt);
        g.wipe(lost, 33);
        g.start(leader);
        g.start(rebuilt);
        int successor = g.awaitLeaderAmong(2_000, leader, rebuilt);
        assertThat(successor).as("two of three voters on intact disks elect a leader").isPositive();
        long target = g.get(successor).chosenIndex() + 1;
        assertThat(g.get(successor).propose(TestGroup.command(5, 1, "after"))).isEqualTo(ProposeResult.QUEUED);
        for (int i = 0; i < 100 && g.get(successor).chosenIndex() < target; i++) {
            g.run(1);
        }
        assertThat(g.get(successor).chosenIndex()).isGreaterThanOrEqualTo(target);
    }

    /**
     * Found by the simulator's placement changes: a move removed replica 3 and only 3 heard the removal was
     * chosen before the leader died. The survivors that can lead (2 and the newly added 4) are behind 3, which
     * answered their prepares with a longer chosen prefix — and a candidate steps aside for that — but 3 itself can
     * never lead any more: no election could succeed. A replica outside the voters now stays silent to a candidate
     * behind it and tells it the chosen entries it lacks instead.
     */
    @Test
    void aRemovedReplicaThatKnowsMoreDoesNotBlockTheElection() {
        removedReplicaKnowsMore(false);
    }

    /**
     * As above, but the removed replica has compacted its log past what the others lack, so it cannot tell them
     * the chosen entries: it sends its snapshot instead (the state after the chosen prefix is as much a fact as
     * the entries), from which they learn the membership that lets two of them elect.
     */
    @Test
    void aRemovedReplicaThatCompactedSendsItsSnapshotToTheReplicasBehindIt() {
        removedReplicaKnowsMore(true);
    }

    /**
     * 1 leads {1, 2, 3}, adds 4, promotes it and removes 3; the removal reaches 3 and 4 but not 2, only 3 hears it
     * was chosen (and, if {@code compacted}, compacts its log past it); then 1 dies. 2 or 4 must still lead.
     */
    private static void removedReplicaKnowsMore(boolean compacted) {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), true, 1, 2, 3);
        int leader = g.electLeader();
        assertThat(leader).isEqualTo(1);
        Replica l = g.get(1);
        g.addReplica(4, 44);
        assertThat(l.proposeMembership(l.membership().withLearner(4, 44))).isEqualTo(ProposeResult.QUEUED);
        for (int i = 0; i < 300 && !l.membership().isVoter(4, 44); i++) {
            g.run(1);
        }
        assertThat(l.membership().isVoter(4, 44)).as("4 was promoted").isTrue();
        g.run(5);

        // The removal of 3 is accepted by 1, 3 and 4 (a quorum of four), never reaches 2, and only 3 hears it was
        // chosen.
        assertThat(l.proposeMembership(l.membership().without(3))).isEqualTo(ProposeResult.QUEUED);
        g.drain(1);
        g.deliverAll(m -> m.to() != 2 && !(m.to() == 4 && m.from() == 1 && !(m instanceof Message.Accept)));
        assertThat(l.membership().contains(3)).as("the removal is chosen").isFalse();
        g.inFlight.clear();
        long removal = l.chosenIndex();
        g.deliver(new Message.Learn(1, 3, Ballot.ZERO, l.entriesAfter(g.get(3).chosenIndex()).stream()
                .filter(e -> e.slot() <= removal).toList(), removal));
        g.inFlight.clear();
        assertThat(g.get(3).membership().contains(3)).as("3 knows it was removed").isFalse();
        assertThat(g.get(2).membership().contains(3)).isTrue();
        assertThat(g.get(4).membership().contains(3)).isTrue();
        if (compacted) {
            g.compact(3);
        }
        g.crash(1);
        g.inFlight.clear();

        int successor = g.awaitLeaderAmong(2_000, 2, 4);
        assertThat(successor).as("2 or 4 leads (two of the three voters {1, 2, 4})").isPositive();
        assertThat(g.get(successor).membership().voters()).containsExactly(1, 2, 4);
    }

    /**
     * The other side of the lost-disk case: the leader knows the promotion is chosen, the rebuilt replica only
     * accepted it and still believes it is a learner. With the third disk lost and the leader restarted, the
     * leader needs the rebuilt replica's pre-vote and promise; a learner that refused pre-votes left the group
     * unable to elect.
     */
    @Test
    void aLearnerThatMissedItsOwnPromotionGrantsPreVotesSoTheGroupCanElect() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        int rebuilt = leader == 1 ? 2 : 1;
        int lost = 6 - leader - rebuilt;
        g.wipe(rebuilt, 22);
        java.util.function.Predicate<Message> promotion = m -> m instanceof Message.Accept a && a.entries().stream()
                .anyMatch(e -> e.value() instanceof Value.Reconfigure r && r.membership().isVoter(rebuilt));
        for (int i = 0; i < 500 && !g.get(leader).membership().isVoter(rebuilt, 22); i++) {
            g.tickAll(1);
            for (int budget = 0; budget < 10_000 && !g.inFlight.isEmpty(); budget++) {
                Message m = g.inFlight.poll();
                if (g.down.contains(m.to()) || g.isolated.contains(m.to()) || g.isolated.contains(m.from())) {
                    continue;
                }
                g.deliver(m);
                if (promotion.test(m) && m.to() == rebuilt) {
                    g.isolated.add(rebuilt); // it accepted its promotion and hears nothing more
                }
            }
        }
        assertThat(g.get(leader).membership().isVoter(rebuilt, 22)).as("the promotion is chosen").isTrue();
        assertThat(g.get(rebuilt).isVoter()).as("the rebuilt replica has not learned it").isFalse();

        g.powerLoss(leader);
        g.wipe(lost, 33);
        g.isolated.clear();
        g.start(leader);
        int successor = g.awaitLeaderAmong(2_000, leader, rebuilt);
        assertThat(successor).as("two of three voters on intact disks elect a leader").isPositive();
    }

    /**
     * Found by the transaction simulator over real Paxos groups: every read starts a heartbeat round at once,
     * which restarted the heartbeat timer that retransmission rode on; with a read every tick, a lost accept was
     * never sent again, the chosen prefix stopped at its slot, later slots filled the window and every new
     * command was refused as busy — with the whole group up and connected.
     */
    @Test
    void aLostAcceptIsRetransmittedEvenWhenReadsKeepStartingHeartbeatRounds() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        Replica l = g.get(leader);
        long target = l.chosenIndex() + 1;
        assertThat(l.propose(TestGroup.command(7, 1, "lost"))).isEqualTo(ProposeResult.QUEUED);
        g.drain(leader);
        assertThat(g.inFlight.removeIf(m -> m instanceof Message.Accept)).as("the accepts were sent").isTrue();
        for (int i = 0; i < 100 && l.chosenIndex() < target; i++) {
            l.read(1_000 + i);
            g.drain(leader);
            g.tick(leader, 1);
            g.deliverAll();
        }
        assertThat(l.chosenIndex()).as("the slot whose accepts were lost is chosen").isGreaterThanOrEqualTo(target);
    }

    @Test
    void threeReplicasElectOneLeaderAndCommitInOrder() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        for (int i = 1; i <= 10; i++) {
            assertThat(g.get(leader).propose(TestGroup.command(7, i, "c" + i))).isEqualTo(ProposeResult.QUEUED);
            g.drain(leader);
            g.deliverAll();
        }
        g.tickAll(5);
        g.deliverAll();
        for (Replica r : g.replicas.values()) {
            assertThat(r.chosenIndex()).as("replica %d", r.id()).isEqualTo(g.get(leader).chosenIndex());
        }
        List<Command> applied = g.committed.get(leader).stream()
                .filter(e -> e.value() instanceof Value.Batch)
                .flatMap(e -> ((Value.Batch) e.value()).commands().stream()).toList();
        assertThat(applied).extracting(Command::sequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    }

    @Test
    void followersRefuseToProposeAndNameTheLeader() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        g.tickAll(3);
        g.deliverAll();
        int follower = leader == 1 ? 2 : 1;
        assertThat(g.get(follower).propose(TestGroup.command(1, 1, "x"))).isEqualTo(ProposeResult.NOT_LEADER);
        assertThat(g.get(follower).leaderHint()).isEqualTo(leader);
    }

    @Test
    void newLeaderRecoversAValueAcceptedOnlyByAMinorityBeforeTheCrash() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        int other1 = leader == 1 ? 2 : 1;
        int other2 = 6 - leader - other1;
        g.get(leader).propose(TestGroup.command(1, 1, "survivor"));
        g.drain(leader);
        // Only one follower sees the accept: the value may or may not be chosen; a new leader must recover it.
        g.deliverAll(m -> m.to() == other1 && m instanceof Message.Accept);
        g.crash(leader);
        g.inFlight.clear();
        int next = g.electLeader();
        assertThat(next).isNotEqualTo(leader);
        g.tickAll(5);
        g.deliverAll();
        boolean recovered = g.committed.get(next).stream().anyMatch(e -> e.value() instanceof Value.Batch b
                && new String(b.commands().get(0).payload()).equals("survivor"));
        assertThat(recovered).as("value accepted by %d recovered by leader %d", other1, next).isTrue();
        assertThat(g.get(other2).chosenIndex()).isEqualTo(g.get(next).chosenIndex());
    }

    @Test
    void readIndexConfirmsLeadershipWithAQuorumRound() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        g.tickAll(3);
        g.deliverAll();
        g.get(leader).read(42);
        g.drain(leader);
        assertThat(g.reads.get(leader)).isEmpty();
        g.deliverAll();
        assertThat(g.reads.get(leader)).singleElement().satisfies(r -> {
            assertThat(r.readId()).isEqualTo(42);
            assertThat(r.ok()).isTrue();
            assertThat(r.index()).isEqualTo(g.get(leader).chosenIndex());
        });
    }

    @Test
    void isolatedLeaderStepsDownAndCannotServeReads() {
        TestGroup g = new TestGroup(ReplicaOptions.defaults(), 1, 2, 3);
        int leader = g.electLeader();
        // Cut the leader off: nothing it sends arrives, nothing reaches it.
        for (int i = 0; i < 40; i++) {
            g.tick(leader, 1);
            g.inFlight.removeIf(m -> m.from() == leader || m.to() == leader);
        }
        assertThat(g.get(leader).role()).isNotEqualTo(Role.LEADER);
        g.get(leader).read(1);
        g.drain(leader);
        assertThat(g.reads.get(leader)).singleElement().satisfies(r -> assertThat(r.ok()).isFalse());
    }

    @Test
    void oversizedCommandIsRefusedNotQueued() {
        ReplicaOptions options = ReplicaOptions.defaults().withSizeLimits(4096, 1024);
        TestGroup g = new TestGroup(options, 1, 2, 3);
        int leader = g.electLeader();
        assertThat(g.get(leader).propose(new Command(1, 1, new byte[2000]))).isEqualTo(ProposeResult.TOO_LARGE);
    }
}
