package io.bulwark.ring;

/**
 * Thrown when a lookup is made on a ring with no nodes.
 */
public class EmptyRingException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message saying what was wrong and what is allowed. */
    public EmptyRingException(String message) {
        super(message);
    }

    /** The exception for a key lookup on an empty locator; {@code locator} names it, e.g. "maglev hash". */
    static EmptyRingException forLookupOn(String locator) {
        return new EmptyRingException("the " + locator + " has no nodes; add a node before looking up keys");
    }
}
