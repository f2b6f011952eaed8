package io.bulwark.paxos;

/**
 * The application state a Paxos group replicates. Implementations must be deterministic: the same
 * commands applied in the same order to the same state produce the same results and the same state on
 * every replica (no clock, no randomness, no iteration of unordered collections).
 *
 * <p>Called by one driver thread only; implementations need not be thread-safe.
 */
public interface StateMachine {

    /** Applies one chosen command and returns the result to hand back to its client. */
    byte[] apply(long slot, byte[] command);

    /** Answers a read without changing state (served after a read index or lease confirmed it). */
    byte[] query(byte[] request);

    /** A self-contained image of the whole state. */
    byte[] snapshot();

    /** Replaces the whole state with a {@link #snapshot()} image. */
    void restore(byte[] snapshot);
}
