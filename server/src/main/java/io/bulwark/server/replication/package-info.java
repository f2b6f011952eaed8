/**
 * The threaded driver of Multi-Paxos replicas: real sockets, real disks, real time.
 *
 * <ul>
 *   <li>{@link io.bulwark.server.replication.ReplicaDriver} runs one {@link io.bulwark.paxos.Replica}: one
 *       event-loop thread owns the replica and the state machine; a sync thread owns the log and turns every
 *       Ready produced during one fsync into the next group commit.</li>
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
