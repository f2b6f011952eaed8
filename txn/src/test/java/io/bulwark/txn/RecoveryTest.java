package io.bulwark.txn;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Coordinator and recovery over three real partition state machines, with the coordinator stopping at each step. */
class RecoveryTest {

    private final Map<Integer, PartitionStateMachine> parts = new TreeMap<>();
    private long slot;

    RecoveryTest() {
        for (int i = 0; i < 3; i++) {
            parts.put(i, new PartitionStateMachine());
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int partitionOf(byte[] key) {
        return key[0] - 'a';
    }

    private TxnResult send(Commit.Request r) {
        return TxnResult.decode(parts.get(r.partition()).apply(++slot, r.command().encode()));
    }

    private Commit transfer(TxnId id) {
        TxnBuffer buf = new TxnBuffer();
        buf.recordRead(b("a1"), null, 0);
        buf.recordRead(b("c1"), null, 0);
        buf.write(b("c1"), b("c-new"));
        buf.write(b("a1"), b("a-new"));
        return buf.toCommit(id, 1_000, RecoveryTest::partitionOf);
    }

    private Recovery.Verdict recover(TxnId id, int home, Recovery.Mode mode, int foundAt) {
        Recovery rec = new Recovery(id, home, 1_000, mode, List.of(foundAt));
        List<Commit.Request> pending = new java.util.ArrayList<>(rec.start());
        while (!pending.isEmpty()) {
            Commit.Request r = pending.remove(0);
            pending.addAll(rec.onAnswer(r.partition(), send(r)));
        }
        if (rec.verdict() == Recovery.Verdict.COMMITTED || rec.verdict() == Recovery.Verdict.ABORTED) {
            for (Commit.Request r : rec.resolutions()) {
                send(r);
            }
        }
        return rec.verdict();
    }

    @Test
    void homeIsThePartitionOfTheFirstWriteAndCarriesTheParticipants() {
        Commit c = transfer(new TxnId(1, 1));
        assertThat(c.home()).isEqualTo(2);
        assertThat(c.participants()).containsExactly(0, 2);
        assertThat(c.prepares()).allSatisfy(r -> assertThat(((TxnCommand.Prepare) r.command()).carriesRecord())
                .isEqualTo(r.partition() == 2));
    }

    @Test
    void everyPrepareAnsweredYesCommitsAndResolutionAppliesEverywhere() {
        Commit c = transfer(new TxnId(1, 2));
        for (Commit.Request r : c.prepares()) {
            c.onPrepareAnswer(r.partition(), send(r));
        }
        assertThat(c.phase()).isEqualTo(Commit.Phase.COMMITTED);
        for (Commit.Request r : c.resolutions()) {
            send(r);
        }
        assertThat(parts.get(0).dumpForTests()).containsEntry("a1", "a-new");
        assertThat(parts.get(2).dumpForTests()).containsEntry("c1", "c-new");
    }

    @Test
    void aCoordinatorThatDiesAfterEveryPrepareIsCommittedByAnyHelper() {
        TxnId id = new TxnId(1, 3);
        Commit c = transfer(id);
        for (Commit.Request r : c.prepares()) {
            send(r);
        }
        // Nobody told the client; the transaction is nonetheless committed, and a reader blocked at partition 0
        // finds that out without disturbing anything.
        assertThat(recover(id, c.home(), Recovery.Mode.CHECK, 0)).isEqualTo(Recovery.Verdict.COMMITTED);
        assertThat(parts.get(0).dumpForTests()).containsEntry("a1", "a-new");
        assertThat(parts.get(2).dumpForTests()).containsEntry("c1", "c-new");
        assertThat(parts.get(0).lockedKeys() + parts.get(2).lockedKeys()).isZero();
    }

    @Test
    void aCoordinatorThatDiesBetweenPreparesIsPendingUntilForcedThenAborted() {
        TxnId id = new TxnId(1, 4);
        Commit c = transfer(id);
        Commit.Request home = c.prepareFor(2);
        Commit.Request other = c.prepareFor(0);
        send(home);
        assertThat(recover(id, 2, Recovery.Mode.CHECK, 2)).isEqualTo(Recovery.Verdict.PENDING);
        assertThat(recover(id, 2, Recovery.Mode.FORCE, 2)).isEqualTo(Recovery.Verdict.ABORTED);
        // The delayed prepare arrives after the fence and is refused: the transaction can never commit.
        assertThat(send(other)).isEqualTo(new TxnResult.Refused(TxnResult.Reason.ALREADY_ABORTED, null));
        assertThat(parts.get(2).lockedKeys()).isZero();
        assertThat(parts.get(2).dumpForTests()).doesNotContainKey("c1");
    }

    @Test
    void aCoordinatorThatDiesBeforeTheHomePrepareIsAbortedByAParticipantsSweeper() {
        TxnId id = new TxnId(1, 5);
        Commit c = transfer(id);
        send(c.prepareFor(0));
        // Partition 0's sweeper finds its intent overdue and forces the outcome from home, which never heard of it.
        assertThat(parts.get(0).overdue(2_000, 10)).hasSize(1);
        assertThat(recover(id, 2, Recovery.Mode.FORCE, 0)).isEqualTo(Recovery.Verdict.ABORTED);
        assertThat(parts.get(0).lockedKeys()).isZero();
        assertThat(send(c.prepareFor(2))).isEqualTo(new TxnResult.Refused(TxnResult.Reason.ALREADY_ABORTED, null));
    }

    @Test
    void aRefusalAbortsAndTheAbortReleasesTheOthers() {
        TxnId blocker = new TxnId(9, 9);
        send(new Commit.Request(0, new TxnCommand.Prepare(blocker, 0, 1_000, List.of(0, 1), List.of(),
                List.of(TxnCommand.Write.put(b("a1"), b("mine"))))));
        Commit c = transfer(new TxnId(1, 6));
        for (Commit.Request r : c.prepares()) {
            c.onPrepareAnswer(r.partition(), send(r));
        }
        assertThat(c.phase()).isEqualTo(Commit.Phase.ABORTED);
        assertThat(c.refusal().holder().txn()).isEqualTo(blocker);
        for (Commit.Request r : c.resolutions()) {
            send(r);
        }
        assertThat(parts.get(2).lockedKeys()).isZero();
        assertThat(parts.get(2).dumpForTests()).doesNotContainKey("c1");
    }

    @Test
    void aSingleParticipantCommitsInOneStepWithNothingLeftToResolve() {
        TxnBuffer buf = new TxnBuffer();
        buf.recordRead(b("a1"), null, 0);
        buf.write(b("a1"), b("one"));
        buf.write(b("a2"), b("two"));
        Commit c = buf.toCommit(new TxnId(2, 1), 1_000, RecoveryTest::partitionOf);
        assertThat(c.participants()).containsExactly(0);
        assertThat(c.onPrepareAnswer(0, send(c.prepares().get(0)))).isEqualTo(Commit.Phase.COMMITTED);
        assertThat(c.resolutions()).isEmpty();
        assertThat(parts.get(0).dumpForTests()).containsEntry("a1", "one").containsEntry("a2", "two");
        assertThat(parts.get(0).lockedKeys()).isZero();
        assertThat(parts.get(0).stateOf(new TxnId(2, 1))).isEqualTo(TxnState.COMMITTED);
        // A helper asking afterwards finds it committed; a duplicate prepare changes nothing.
        assertThat(recover(new TxnId(2, 1), 0, Recovery.Mode.FORCE, 0)).isEqualTo(Recovery.Verdict.COMMITTED);
        assertThat(send(c.prepares().get(0))).isInstanceOf(TxnResult.Prepared.class);
    }
}
