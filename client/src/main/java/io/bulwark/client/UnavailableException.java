package io.bulwark.client;

/** No replica of the partition could serve the request before the deadline (nodes down, no leader elected yet, or the partition lost its majority). Retrying later may succeed; a write that failed this way may or may not have been applied. */
public final class UnavailableException extends BulwarkException {

    private static final long serialVersionUID = 1L;

    public UnavailableException(String message) {
        super(message);
    }

    public UnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
