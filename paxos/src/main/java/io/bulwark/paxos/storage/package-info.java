/**
 * Maps a Paxos replica's durable state onto the write-ahead log and snapshot files of
 * {@code io.bulwark.paxos.log}: {@link io.bulwark.paxos.storage.ReplicaStorage}.
 */
package io.bulwark.paxos.storage;
