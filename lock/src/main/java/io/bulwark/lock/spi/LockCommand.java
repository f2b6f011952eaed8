package io.bulwark.lock.spi;

import io.bulwark.lock.LockName;

/**
 * A request to a lock backend, and the input of {@link io.bulwark.lock.state.LockStateMachine}.
 *
 * <p>Durations are relative ({@code ...Nanos}): the backend measures them on its own clock from the moment
 * it processes the command, because client and backend clocks share no origin. Immutable; thread-safe.
 */
public sealed interface LockCommand permits AcquireRequest, RenewRequest, ReleaseRequest, AbandonRequest {

    /** The lock the command is about. */
    LockName name();

    /** The request or lease the command is about. */
    OwnerId owner();
}
