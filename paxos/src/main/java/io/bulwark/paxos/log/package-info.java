/**
 * The durable half of a Paxos replica: the segmented write-ahead log
 * ({@link io.bulwark.paxos.log.SegmentedLog}) and snapshot files
 * ({@link io.bulwark.paxos.log.SnapshotStore}), both written only through
 * {@link io.bulwark.core.storage.FileStore} so that the simulator's disk can lose, tear and flip them.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>A record is durable once a {@code sync()} that started after its {@code append()} has returned.
 *       After any crash, every such record is recovered intact and in order.</li>
 *   <li>Recovery never invents or reorders records: what it returns is a prefix of what was appended.</li>
 *   <li>Recovery truncates a damaged tail only when it can show the damaged bytes were never synced.
 *       Anything else is a {@link io.bulwark.paxos.log.CorruptLogException}: the replica stops and is
 *       rebuilt from its peers, because continuing could silently drop a write that was acknowledged.</li>
 *   <li>A failed fsync is fatal ({@link io.bulwark.paxos.log.LogFailedException}); it is never retried.</li>
 * </ul>
 *
 * <p>Everything here is single-threaded: the driver that owns the replica owns its log.
 */
package io.bulwark.paxos.log;
