package io.bulwark.server.replication;

/**
 * Counters of one {@link ReplicaDriver} since it started, read at one moment (each exact, the set not an
 * atomic snapshot). Immutable.
 *
 * @param fsyncs                file syncs of the replica's log and snapshot files: one per group commit, plus
 *                              those of segment rolls and idle sync markers
 * @param groupCommits          batches handed to the sync thread that required an fsync
 * @param readiesSynced         Readies covered by those group commits; {@code readiesSynced / groupCommits} is
 *                              how many Readies one fsync covered on average
 * @param slotsApplied          log slots applied (batches, no-ops, membership changes)
 * @param commandsApplied       client commands applied to the state machine, duplicates excluded
 * @param commandsProposed      client commands this replica accepted as leader
 * @param messagesDropped       inbound messages dropped because the event loop's inbox was full
 * @param syncNanosTotal        time spent in group-commit batches on the sync thread (writes and fsync)
 * @param snapshotsTaken        snapshots the groups took of their own state (saved durably)
 * @param snapshotsInstalled    snapshots installed from a leader by groups that had fallen behind its compacted log
 * @param logSegmentsDeleted    shared-log segment files deleted because every group had compacted past them
 */
public record DriverMetrics(long fsyncs, long groupCommits, long readiesSynced, long slotsApplied,
                            long commandsApplied, long commandsProposed, long messagesDropped, long syncNanosTotal,
                            long snapshotsTaken, long snapshotsInstalled, long logSegmentsDeleted) {

    /** Average Readies covered by one group commit, or 0 if none happened. */
    public double readiesPerGroupCommit() {
        return groupCommits == 0 ? 0 : (double) readiesSynced / groupCommits;
    }
}
