/**
 * Serializable cross-partition transactions, as pure state machines (no clock, no threads, no I/O).
 *
 * <ul>
 *   <li>{@link io.bulwark.txn.PartitionStateMachine}: what each partition's Paxos group replicates — the
 *       key-value map plus write intents, read locks and transaction records. Plain reads and writes that meet
 *       a transaction's lock are answered {@code Locked}, never served stale or applied underneath it.</li>
 *   <li>{@link io.bulwark.txn.TxnBuffer} and {@link io.bulwark.txn.Commit}: the client's side — reads with
 *       versions, buffered writes, then every participant's prepare sent at once (parallel commit: the
 *       transaction is committed the moment every prepare is chosen, one consensus round on the critical
 *       path); intents are resolved afterwards.</li>
 *   <li>{@link io.bulwark.txn.Recovery}: what anyone who finds an unfinished transaction runs to learn, or
 *       force, its outcome from the replicated states alone.</li>
 * </ul>
 */
package io.bulwark.txn;
