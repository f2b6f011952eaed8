/**
 * {@code bulwark bench paxos}: end-to-end throughput and latency of Bulwark's Multi-Paxos replication
 * (three {@link io.bulwark.server.replication.ReplicaDriver}s over loopback TCP with fsynced logs), against the
 * raw single-writer fsync rate of the same disk, measured in the same run.
 *
 * <ul>
 *   <li>{@link io.bulwark.bench.paxos.PaxosBench}: options, the run, and the report (text table and JSON) with
 *       the group-commit goals.</li>
 *   <li>{@link io.bulwark.bench.paxos.Engine}: what the harness measures; {@link io.bulwark.bench.paxos.BulwarkEngine}
 *       is Bulwark's, and a peer with the same durability plugs in beside it.</li>
 * </ul>
 */
package io.bulwark.bench.paxos;
