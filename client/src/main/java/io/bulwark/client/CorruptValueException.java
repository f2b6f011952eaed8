package io.bulwark.client;

/** A stored or transmitted value failed its CRC32C check. The damaged data is never returned; the cluster's other replicas still hold good copies. */
public final class CorruptValueException extends BulwarkException {

    private static final long serialVersionUID = 1L;

    public CorruptValueException(String message) {
        super(message);
    }

    public CorruptValueException(String message, Throwable cause) {
        super(message, cause);
    }
}
