package io.bulwark.ring;

/**
 * Thrown when a node is malformed: a null, empty or over-long id, a non-positive or non-finite weight, or a malformed zone.
 */
public class InvalidNodeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message saying what was wrong and what is allowed. */
    public InvalidNodeException(String message) {
        super(message);
    }
}
