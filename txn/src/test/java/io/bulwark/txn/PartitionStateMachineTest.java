package io.bulwark.txn;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.paxos.kv.KvCommand;
import io.bulwark.paxos.kv.KvResult;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionStateMachineTest {

    private final PartitionStateMachine p = new PartitionStateMachine(60_000);
    private long slot;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private TxnResult run(TxnCommand c) {
        return TxnResult.decode(p.apply(++slot, c.encode()));
    }

    private KvResult kv(KvCommand c) {
        return KvResult.decode(p.apply(++slot, c.encode()));
    }

    private TxnResult.Value read(String key) {
        return (TxnResult.Value) TxnResult.decode(p.query(new TxnCommand.Read(b(key)).encode()));
    }

    private static TxnCommand.Prepare prepare(TxnId id, long deadline, List<TxnCommand.ReadCheck> reads,
                                              List<TxnCommand.Write> writes) {
        return new TxnCommand.Prepare(id, 0, deadline, List.of(0, 1), reads, writes);
    }

    @Test
    void aCommittedPrepareAppliesItsWritesAndReleasesItsLocks() {
        kv(KvCommand.put(b("a"), b("1")));
        long va = read("a").version();
        TxnId t = new TxnId(1, 1);
        assertThat(run(prepare(t, 1000, List.of(new TxnCommand.ReadCheck(b("a"), va)),
                List.of(TxnCommand.Write.put(b("a"), b("2")), TxnCommand.Write.put(b("b"), b("x"))))))
                .isInstanceOf(TxnResult.Prepared.class);
        // Intents are invisible and block plain reads and writes until resolved.
        assertThat(kv(KvCommand.get(b("a")))).isInstanceOf(KvResult.Locked.class);
        assertThat(kv(KvCommand.put(b("b"), b("y")))).isInstanceOf(KvResult.Locked.class);
        assertThat(TxnResult.decode(p.query(new TxnCommand.Read(b("a")).encode()))).isEqualTo(new TxnResult.Locked(t, 0, 1000));
        assertThat(run(new TxnCommand.Resolve(t, true, 1000))).isEqualTo(new TxnResult.Outcome(TxnState.COMMITTED, List.of(0, 1)));
        assertThat(p.dumpForTests()).containsEntry("a", "2").containsEntry("b", "x");
        assertThat(read("a").version()).isNotEqualTo(va);
        assertThat(p.lockedKeys()).isZero();
        assertThat(p.preparedCount()).isZero();
        // Resolving again, either way, changes nothing.
        assertThat(run(new TxnCommand.Resolve(t, false, 1000))).isEqualTo(new TxnResult.Outcome(TxnState.COMMITTED, List.of(0, 1)));
        assertThat(p.dumpForTests()).containsEntry("a", "2");
    }

    @Test
    void anAbortDropsTheIntentsAndAPrepareRetryAfterItIsRefused() {
        TxnId t = new TxnId(1, 2);
        TxnCommand.Prepare pr = prepare(t, 1000, List.of(), List.of(TxnCommand.Write.put(b("a"), b("9"))));
        assertThat(run(pr)).isInstanceOf(TxnResult.Prepared.class);
        assertThat(run(pr)).isInstanceOf(TxnResult.Prepared.class);
        assertThat(run(new TxnCommand.Resolve(t, false, 1000)).toString()).contains("ABORTED");
        assertThat(p.dumpForTests()).doesNotContainKey("a");
        assertThat(run(pr)).isEqualTo(new TxnResult.Refused(TxnResult.Reason.ALREADY_ABORTED, null));
        assertThat(kv(KvCommand.put(b("a"), b("free")))).isInstanceOf(KvResult.Ok.class);
    }

    @Test
    void conflictingAndStalePreparesAreRefusedAndRecordedAborted() {
        TxnId holder = new TxnId(2, 1);
        assertThat(run(prepare(holder, 500, List.of(new TxnCommand.ReadCheck(b("r"), 0)),
                List.of(TxnCommand.Write.put(b("w"), b("1")))))).isInstanceOf(TxnResult.Prepared.class);
        // Writing a key another transaction read is a conflict; so is reading or writing its intent.
        TxnId t1 = new TxnId(3, 1);
        TxnResult r1 = run(prepare(t1, 900, List.of(), List.of(TxnCommand.Write.put(b("r"), b("x")))));
        assertThat(r1).isEqualTo(new TxnResult.Refused(TxnResult.Reason.CONFLICT, new TxnResult.Locked(holder, 0, 500)));
        assertThat(p.stateOf(t1)).isEqualTo(TxnState.ABORTED);
        TxnId t2 = new TxnId(3, 2);
        assertThat(((TxnResult.Refused) run(prepare(t2, 900, List.of(new TxnCommand.ReadCheck(b("w"), 0)), List.of())))
                .reason()).isEqualTo(TxnResult.Reason.CONFLICT);
        // Two readers share a key.
        TxnId t3 = new TxnId(3, 3);
        assertThat(run(prepare(t3, 900, List.of(new TxnCommand.ReadCheck(b("r"), 0)),
                List.of(TxnCommand.Write.put(b("z"), b("1")))))).isInstanceOf(TxnResult.Prepared.class);
        // A read whose version moved on is stale.
        kv(KvCommand.put(b("s"), b("1")));
        TxnId t4 = new TxnId(3, 4);
        assertThat(((TxnResult.Refused) run(prepare(t4, 900, List.of(new TxnCommand.ReadCheck(b("s"), 0)),
                List.of(TxnCommand.Write.put(b("q"), b("1")))))).reason()).isEqualTo(TxnResult.Reason.STALE_READ);
        // Plain gets of a read-locked key are served; plain writes to it are not.
        assertThat(kv(KvCommand.get(b("r")))).isEqualTo(new KvResult.Found(null));
        assertThat(kv(KvCommand.delete(b("r")))).isInstanceOf(KvResult.Locked.class);
        assertThat(kv(KvCommand.scan(b("a"), null, 10))).isInstanceOf(KvResult.Locked.class);
        assertThat(kv(KvCommand.scan(b("a"), b("r"), 10))).isInstanceOf(KvResult.Entries.class);
    }

    @Test
    void aFenceBeforeThePrepareMakesTheLatePrepareFail() {
        TxnId t = new TxnId(4, 1);
        assertThat(run(new TxnCommand.Status(t, 100))).isEqualTo(new TxnResult.Outcome(TxnState.NONE, List.of()));
        assertThat(run(new TxnCommand.Fence(t, 100))).isEqualTo(new TxnResult.Outcome(TxnState.ABORTED, List.of()));
        assertThat(run(prepare(t, 100, List.of(), List.of(TxnCommand.Write.put(b("k"), b("v"))))))
                .isEqualTo(new TxnResult.Refused(TxnResult.Reason.ALREADY_ABORTED, null));
        assertThat(p.lockedKeys()).isZero();
        // A commit resolution for a transaction that never prepared changes nothing.
        TxnId u = new TxnId(4, 2);
        assertThat(run(new TxnCommand.Resolve(u, true, 100))).isEqualTo(new TxnResult.Outcome(TxnState.NONE, List.of()));
        assertThat(p.stateOf(u)).isEqualTo(TxnState.NONE);
    }

    @Test
    void aDamagedValueIsRefusedAtPrepare() {
        TxnId t = new TxnId(5, 1);
        TxnCommand.Write bad = new TxnCommand.Write(b("k"), b("value"), 12345);
        assertThat(((TxnResult.Refused) run(prepare(t, 100, List.of(), List.of(bad)))).reason())
                .isEqualTo(TxnResult.Reason.CORRUPT_VALUE);
    }

    @Test
    void finishedRecordsAreDroppedAfterRetentionAndLatePreparesRefused() {
        TxnId old = new TxnId(6, 1);
        TxnCommand.Prepare oldPrepare = prepare(old, 1_000, List.of(), List.of(TxnCommand.Write.put(b("o"), b("1"))));
        assertThat(run(new TxnCommand.Fence(old, 1_000)).toString()).contains("ABORTED");
        TxnId prepared = new TxnId(6, 2);
        assertThat(run(prepare(prepared, 1_000, List.of(), List.of(TxnCommand.Write.put(b("p"), b("1"))))))
                .isInstanceOf(TxnResult.Prepared.class);
        // A transaction with a deadline far later moves the horizon past the old ones.
        TxnId later = new TxnId(6, 3);
        assertThat(run(prepare(later, 100_000, List.of(), List.of(TxnCommand.Write.put(b("l"), b("1"))))))
                .isInstanceOf(TxnResult.Prepared.class);
        assertThat(p.stateOf(old)).isEqualTo(TxnState.NONE);
        assertThat(run(oldPrepare)).isEqualTo(new TxnResult.Refused(TxnResult.Reason.TOO_LATE, null));
        assertThat(run(new TxnCommand.Status(old, 1_000))).isEqualTo(new TxnResult.Outcome(TxnState.FORGOTTEN, List.of()));
        // A prepared record is never dropped: its locks stand until it is resolved.
        assertThat(p.stateOf(prepared)).isEqualTo(TxnState.PREPARED);
        assertThat(p.overdue(2_000, 10)).containsExactly(new PartitionStateMachine.Overdue(prepared, 0, 1_000));
    }

    @Test
    void aSnapshotRestoresValuesVersionsLocksAndRecords() {
        kv(KvCommand.put(b("a"), b("1")));
        TxnId t = new TxnId(7, 1);
        run(new TxnCommand.Prepare(t, 3, 5_000, List.of(), List.of(new TxnCommand.ReadCheck(b("a"), read("a").version())),
                List.of(TxnCommand.Write.put(b("b"), b("2")))));
        run(new TxnCommand.Fence(new TxnId(7, 2), 5_000));
        byte[] image = p.snapshot();
        PartitionStateMachine copy = new PartitionStateMachine(60_000);
        copy.restore(image);
        assertThat(copy.snapshot()).isEqualTo(image);
        assertThat(KvResult.decode(copy.apply(1, KvCommand.put(b("a"), b("x")).encode()))).isInstanceOf(KvResult.Locked.class);
        assertThat(copy.stateOf(new TxnId(7, 2))).isEqualTo(TxnState.ABORTED);
        assertThat(TxnResult.decode(copy.apply(2, new TxnCommand.Resolve(t, true, 5_000).encode())).toString()).contains("COMMITTED");
        assertThat(copy.dumpForTests()).containsEntry("b", "2");
        image[image.length - 3] ^= 1;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PartitionStateMachine().restore(image))
                .hasMessageContaining("checksum");
    }

    @Test
    void malformedCommandsFailAloneAndNeverStopTheGroup() {
        byte[] junk = {17, 0, 1};
        assertThat(TxnResult.decode(p.apply(1, junk))).isInstanceOf(TxnResult.Failed.class);
        assertThat(kv(KvCommand.put(b("a"), b("1")))).isInstanceOf(KvResult.Ok.class);
    }

    @Test
    void aRangeReadIsCheckedForPhantomsAndLockedAgainstWritersUntilResolved() {
        kv(KvCommand.put(b("r/1"), b("x")));
        TxnResult.Range seen = (TxnResult.Range) TxnResult.decode(p.query(new TxnCommand.RangeRead(b("r/"), b("r0"), 10).encode()));
        assertThat(seen.entries()).hasSize(1);
        List<TxnCommand.Versioned> versions = List.of(new TxnCommand.Versioned(b("r/1"), seen.entries().get(0).version()));
        TxnCommand.RangeCheck range = new TxnCommand.RangeCheck(b("r/"), b("r0"), versions);
        // A key appears in the range after the read: the prepare sees the phantom.
        kv(KvCommand.put(b("r/2"), b("phantom")));
        TxnId stale = new TxnId(8, 1);
        assertThat(((TxnResult.Refused) run(new TxnCommand.Prepare(stale, 0, 1_000, List.of(0, 1), List.of(),
                List.of(TxnCommand.Write.put(b("out"), b("1"))), List.of(range)))).reason())
                .isEqualTo(TxnResult.Reason.STALE_READ);
        kv(KvCommand.delete(b("r/2")));
        // Unchanged range: prepared, and now locked against writers (plain and transactional), not readers.
        TxnId t = new TxnId(8, 2);
        assertThat(run(new TxnCommand.Prepare(t, 0, 1_000, List.of(0, 1), List.of(),
                List.of(TxnCommand.Write.put(b("out"), b("1"))), List.of(range)))).isInstanceOf(TxnResult.Prepared.class);
        assertThat(kv(KvCommand.put(b("r/3"), b("y")))).isInstanceOf(KvResult.Locked.class);
        assertThat(kv(KvCommand.put(b("r0"), b("outside")))).isInstanceOf(KvResult.Ok.class);
        assertThat(((KvResult.Found) kv(KvCommand.get(b("r/1")))).value()).isEqualTo(b("x"));
        TxnId writer = new TxnId(8, 3);
        assertThat(((TxnResult.Refused) run(prepare(writer, 1_000, List.of(),
                List.of(TxnCommand.Write.put(b("r/4"), b("z")))))).holder().txn()).isEqualTo(t);
        // The lock survives a snapshot, and goes with the resolution.
        PartitionStateMachine copy = new PartitionStateMachine(60_000);
        copy.restore(p.snapshot());
        assertThat(KvResult.decode(copy.apply(1, KvCommand.put(b("r/3"), b("y")).encode()))).isInstanceOf(KvResult.Locked.class);
        run(new TxnCommand.Resolve(t, true, 1_000));
        assertThat(kv(KvCommand.put(b("r/3"), b("y")))).isInstanceOf(KvResult.Ok.class);
        assertThat(p.lockedKeys()).isZero();
    }

    @Test
    void aRangeReadMeetingAnIntentNamesItsHolder() {
        TxnId t = new TxnId(9, 1);
        run(prepare(t, 1_000, List.of(), List.of(TxnCommand.Write.put(b("s/1"), b("v")))));
        assertThat(TxnResult.decode(p.query(new TxnCommand.RangeRead(b("s/"), null, 10).encode())))
                .isEqualTo(new TxnResult.Locked(t, 0, 1_000));
        assertThat(TxnResult.decode(p.query(new TxnCommand.RangeRead(b("t/"), null, 10).encode())))
                .isInstanceOf(TxnResult.Range.class);
    }
}
