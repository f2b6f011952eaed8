/**
 * The threaded driver of Multi-Paxos replicas: real sockets, real disks, real time.
 *
 * <ul>
 *   <li>{@link io.bulwark.server.replication.ReplicaHost} runs a node's replicas of many groups: one
 *       event-loop thread owns the replicas and state machines; a sync thread owns the shared log and turns
 *       every Ready produced during one fsync into the next group commit; a snapshot thread saves, ships and
 *       installs snapshots, after which the log is compacted. {@link io.bulwark.server.replication.ReplicaDriver}
 *       is the same with one group.</li>
 *   <li>{@link io.bulwark.server.replication.PeerTransport} carries {@link io.bulwark.paxos.Message}s between
 *       replicas over TCP, in CRC32C-checked frames, with bounded per-peer queues that drop when full.</li>
 *   <li>{@link io.bulwark.server.replication.LocalGroup} starts a whole group in one process, for tests,
 *       benchmarks and demos.</li>
 * </ul>
 *
 * <p>The protocol itself lives in {@code io.bulwark.paxos} and never sees a thread, a socket or a file;
 * everything here is what the simulator's {@code SimNode} does in virtual time, done with real threads.
 */
package io.bulwark.server.replication;
