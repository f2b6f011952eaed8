package io.bulwark.lock;

/**
 * The backend could not be reached, did not answer in time, lost its state, or was closed. A call that
 * fails this way never reports a lock as acquired; whatever it may have left on the backend is bounded
 * by the request's lease and wait deadlines and is withdrawn on a best-effort basis.
 */
public final class BackendUnavailableException extends LockException {

    /** @param message what could not be done and, where known, why */
    public BackendUnavailableException(String message) {
        super(message, null);
    }

    /**
     * @param message what could not be done
     * @param cause   the underlying failure (I/O error, timeout)
     */
    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
