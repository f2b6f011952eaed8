package io.bulwark.client;

/** The transaction was used where its state does not allow it: after commit or rollback, committed twice, or past its deadline. Nothing was applied by the refused call. */
public class TransactionStateException extends BulwarkException {

    private static final long serialVersionUID = 1L;

    public TransactionStateException(String message) {
        super(message);
    }

    public TransactionStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
