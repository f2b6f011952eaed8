package io.bulwark.ring;

/**
 * Thrown when an operation names a node id that the ring does not contain.
 */
public class UnknownNodeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message saying what was wrong and what is allowed. */
    public UnknownNodeException(String message) {
        super(message);
    }
}
