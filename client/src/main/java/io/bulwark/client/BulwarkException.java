package io.bulwark.client;

/** A failed Bulwark client operation. Subclasses say what happened and whether retrying can help. */
public class BulwarkException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BulwarkException(String message) {
        super(message);
    }

    public BulwarkException(String message, Throwable cause) {
        super(message, cause);
    }
}
