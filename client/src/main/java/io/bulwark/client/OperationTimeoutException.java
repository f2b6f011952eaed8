package io.bulwark.client;

/** The operation did not complete within its timeout. A write that timed out may or may not have been applied; retrying it through the same client is not deduplicated (it is a new operation). */
public final class OperationTimeoutException extends BulwarkException {

    private static final long serialVersionUID = 1L;

    public OperationTimeoutException(String message) {
        super(message);
    }

    public OperationTimeoutException(String message, Throwable cause) {
        super(message, cause);
    }
}
