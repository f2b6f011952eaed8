package io.bulwark.client;

/** The transaction lost a conflict with another one (a key it needs is held, or a key it read was written since) and was aborted, with nothing applied. Retryable: run it again. */
public class TransactionConflictException extends BulwarkException {

    private static final long serialVersionUID = 1L;

    public TransactionConflictException(String message) {
        super(message);
    }

    public TransactionConflictException(String message, Throwable cause) {
        super(message, cause);
    }
}
