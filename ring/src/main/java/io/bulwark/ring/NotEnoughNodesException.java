package io.bulwark.ring;

/**
 * Thrown when more distinct replicas are requested than the ring has nodes, or the request is not positive.
 */
public class NotEnoughNodesException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message saying what was wrong and what is allowed. */
    public NotEnoughNodesException(String message) {
        super(message);
    }
}
