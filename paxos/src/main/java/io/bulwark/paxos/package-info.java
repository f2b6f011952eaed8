/**
 * Multi-Paxos replication as a pure state machine.
 *
 * <p>{@link io.bulwark.paxos.Replica} is one replica of one group: it takes messages, ticks, proposals
 * and storage completions and returns a {@link io.bulwark.paxos.Ready} saying what to persist, what to
 * send and what was chosen. Drivers — the simulator in {@code io.bulwark.sim} and the server — own the
 * clock, the network and the disk. Chosen commands are applied through
 * {@link io.bulwark.paxos.ExactlyOnceStateMachine} to a user {@link io.bulwark.paxos.StateMachine} such as
 * the replicated key-value map in {@code io.bulwark.paxos.kv}.
 */
package io.bulwark.paxos;
