package io.bulwark.txn;

/** What one partition knows of one transaction. */
public enum TxnState {
    /** No record: the transaction has not prepared here (and, absent a fence, still may). */
    NONE,
    /** Prepared here: its intents and read locks are held until it is resolved. */
    PREPARED,
    /** Committed here: its writes are applied and its locks released. */
    COMMITTED,
    /** Aborted here (a refused prepare, a fence, or a resolution): a later prepare is refused. */
    ABORTED,
    /**
     * The record was final and has been dropped after the retention period (or the transaction is older than
     * that and never prepared here): the partition no longer knows which way it went. Recovery never guesses
     * from this answer.
     */
    FORGOTTEN;

    /** Committed or aborted. */
    public boolean isFinal() {
        return this == COMMITTED || this == ABORTED;
    }
}
