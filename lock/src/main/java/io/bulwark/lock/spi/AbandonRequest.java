package io.bulwark.lock.spi;

import io.bulwark.lock.LockName;

/**
 * Withdraw whatever {@code owner} has on {@code name}: remove it from the queue if it waits, release its
 * lease if it was granted (including a grant that raced with the caller giving up), nothing if neither.
 * Clients send it when they stop waiting (timeout, cancellation, interruption, failure), so that a call
 * that did not return a lease leaves nothing behind.
 *
 * <p>A backend that can reorder an abandon before the acquire it follows must make the abandon win (for
 * example by remembering abandoned owner ids until the acquire's wait deadline).
 *
 * @param name  the lock
 * @param owner the request or lease
 */
public record AbandonRequest(LockName name, OwnerId owner) implements LockCommand {

    /** @throws IllegalArgumentException if a component is null */
    public AbandonRequest {
        if (name == null || owner == null) {
            throw new IllegalArgumentException("abandon request needs a name and an owner");
        }
    }
}
