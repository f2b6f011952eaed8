package io.bulwark.client;

/** The commit could not learn whether the transaction committed (its partitions were unreachable); it is committed everywhere or nowhere, and the cluster finishes it once the partitions answer. */
public class TransactionOutcomeUnknownException extends BulwarkException {

    private static final long serialVersionUID = 1L;

    public TransactionOutcomeUnknownException(String message) {
        super(message);
    }

    public TransactionOutcomeUnknownException(String message, Throwable cause) {
        super(message, cause);
    }
}
