package io.bulwark.ring;

/**
 * Thrown when a node id is added to a ring that already contains it.
 */
public class DuplicateNodeException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message saying what was wrong and what is allowed. */
    public DuplicateNodeException(String message) {
        super(message);
    }
}
