package io.bulwark.client;

/** The request is invalid (a key that is empty or too long, a value over the size limit, a bad scan range) and was rejected without effect; retrying it cannot help. */
public final class InvalidRequestException extends BulwarkException {

    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String message) {
        super(message);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
