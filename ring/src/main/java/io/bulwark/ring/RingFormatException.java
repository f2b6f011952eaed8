package io.bulwark.ring;

/**
 * Thrown when a serialized ring is malformed, corrupt (checksum mismatch), or names an unknown hasher or format version.
 */
public class RingFormatException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message saying what was wrong and what is allowed. */
    public RingFormatException(String message) {
        super(message);
    }
}
