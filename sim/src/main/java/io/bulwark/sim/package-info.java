/**
 * The deterministic simulator: one thread, virtual time, one seed. {@link io.bulwark.sim.Simulation} runs a
 * Paxos group of real {@link io.bulwark.paxos.Replica}s with their real write-ahead logs on simulated
 * disks ({@code io.bulwark.sim.disk}) over a simulated network, under a workload of KV clients and a
 * fault schedule, and checks agreement, durability and linearizability ({@code io.bulwark.sim.check}).
 * {@link io.bulwark.sim.Torture} runs many seeds.
 */
package io.bulwark.sim;
