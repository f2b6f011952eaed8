package io.bulwark.txn;

/**
 * The participant SPI: what a kind of resource does for the transactions of one partition. The
 * {@link PartitionStateMachine} keeps the transaction records — states, fences, outcomes, retention, and the
 * participant list on the home record — and calls its resource to vote on a prepare, take and release the
 * locks, and apply a commit. The key-value map ({@link KvResource}) is the one resource today; another kind (a
 * lock table, a queue) implements this and carries its part of the work in the prepare.
 *
 * <p>Implementations are deterministic pure state machines, like the partition that drives them: no clock,
 * no threads, no I/O, no unordered iteration.
 */
public interface TxnResource {

    /**
     * The resource's vote on a prepare of a transaction not yet recorded here: checks everything the
     * transaction read is still current and nothing it needs is held by another, and if so takes its locks
     * and keeps what it will write. Returns null for yes; otherwise the refusal, having changed nothing.
     * {@code holder} of a {@link TxnResult.Reason#CONFLICT} refusal may be given with only its id; the partition
     * fills in where its record lives.
     */
    TxnResult.Refused prepare(TxnCommand.Prepare prepare);

    /** Applies (commit) or drops (abort) what {@code txn} prepared here, and releases its locks. */
    void resolve(TxnId txn, boolean commit);

    /** The resource's whole state, prepared transactions' holdings included. */
    byte[] snapshot();

    /** Replaces the whole state with a {@link #snapshot()} image. */
    void restore(byte[] image);
}
