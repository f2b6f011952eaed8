/**
 * Maps a Paxos replica's durable state onto the write-ahead log and snapshot files of
 * {@code io.bulwark.paxos.log}: {@link io.bulwark.paxos.storage.ReplicaStorage} for one replica on its own
 * log, {@link io.bulwark.paxos.storage.SharedLog} for every replica of a node on one log, with per-group
 * snapshots, checkpoints and segment deletion.
 */
package io.bulwark.paxos.storage;
