package io.bulwark.paxos;

/**
 * A linearizable read became ready: once the local state machine has applied every slot up to
 * {@code index}, reading it returns a value at least as new as any write completed before the read began.
 *
 * @param readId  the caller's id from {@link Replica#read(long)}
 * @param index   apply up to here before serving the read
 * @param ok      false if the read could not be confirmed (leadership lost); retry at the leader
 */
public record ReadState(long readId, long index, boolean ok) {
}
