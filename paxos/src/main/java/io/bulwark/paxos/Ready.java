package io.bulwark.paxos;

import java.util.ArrayList;
import java.util.List;

/**
 * Everything a {@link Replica} asks its driver to do after a batch of inputs, in this order:
 * <ol>
 *   <li>send {@link #sendNow()} (nothing in them depends on this replica's disk);</li>
 *   <li>persist {@link #promise()} (if not null), then {@link #entries()} in order, then
 *       {@link #chosenIndex()}; if {@link #mustSync()}, make them durable (one fsync: group commit);</li>
 *   <li>only then send {@link #sendAfterSync()}: promises and acceptances must never leave before what they
 *       promise is on disk ("save before send");</li>
 *   <li>call {@link Replica#persisted(long)} with {@link #id()} so the replica can count its own vote. It
 *       counts every earlier Ready as durable too, so report Readies in order and never report one while
 *       an earlier one is still waiting for its sync;</li>
 *   <li>restore the state machine from the installed snapshot if {@link #restoreSnapshot()} is set, apply
 *       {@link #committed()} in order, and answer {@link #reads()} once applied up to their index;</li>
 *   <li>send snapshot chunks for {@link #snapshotSends()}; fail the client requests of {@link #abandoned()}.</li>
 * </ol>
 * Immutable once built.
 */
public record Ready(long id, Ballot promise, List<Entry> entries, long chosenIndex, boolean mustSync,
                    List<Message> sendNow, List<Message> sendAfterSync, List<Entry> committed, List<ReadState> reads,
                    List<Command> abandoned, List<SnapshotSend> snapshotSends, SnapshotMeta restoreSnapshot) {

    /** The leader wants the driver to send its snapshot to {@code to}, starting at byte {@code offset}. */
    public record SnapshotSend(int to, Ballot ballot, SnapshotMeta snapshot, long offset) {
    }

    /** True if there is nothing to do. */
    public boolean isEmpty() {
        return promise == null && entries.isEmpty() && sendNow.isEmpty() && sendAfterSync.isEmpty()
                && committed.isEmpty() && reads.isEmpty() && abandoned.isEmpty() && snapshotSends.isEmpty()
                && restoreSnapshot == null;
    }

    /** Accumulates a Ready; package-private, used by {@link Replica} only. */
    static final class Builder {
        Ballot promise;
        final List<Entry> entries = new ArrayList<>();
        final List<Message> sendNow = new ArrayList<>();
        final List<Message> sendAfterSync = new ArrayList<>();
        final List<Entry> committed = new ArrayList<>();
        final List<ReadState> reads = new ArrayList<>();
        final List<Command> abandoned = new ArrayList<>();
        final List<SnapshotSend> snapshotSends = new ArrayList<>();
        SnapshotMeta restoreSnapshot;
        boolean needsSync;

        Ready build(long id, long chosenIndex) {
            boolean sync = needsSync || promise != null || !sendAfterSync.isEmpty();
            return new Ready(id, promise, List.copyOf(entries), chosenIndex, sync, List.copyOf(sendNow),
                    List.copyOf(sendAfterSync), List.copyOf(committed), List.copyOf(reads), List.copyOf(abandoned),
                    List.copyOf(snapshotSends), restoreSnapshot);
        }
    }
}
