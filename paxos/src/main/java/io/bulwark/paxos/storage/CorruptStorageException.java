package io.bulwark.paxos.storage;

import java.io.IOException;

/**
 * A replica's storage cannot be trusted as a whole: its identity record is damaged or missing beside a
 * log. Like a corrupt log, this is never repaired in place: the replica must be rebuilt from its peers on
 * new storage (a new incarnation).
 */
public final class CorruptStorageException extends IOException {

    private static final long serialVersionUID = 1L;

    public CorruptStorageException(String message) {
        super(message);
    }
}
