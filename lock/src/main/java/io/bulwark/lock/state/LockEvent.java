package io.bulwark.lock.state;

import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.RejectReason;

/**
 * Something that happened in a {@link LockStateMachine}, reported in a {@link Ready}. Times are on the
 * clock of whoever drives the machine. Immutable values with structural equality, so two runs can be
 * compared event by event.
 */
public sealed interface LockEvent {

    /** The lock the event is about. */
    LockName name();

    /** The request or lease the event is about. */
    OwnerId owner();

    /** {@code owner} was granted {@code mode}; its lease runs {@code leaseNanos} from {@code grantedAtNanos}. */
    record Granted(LockName name, OwnerId owner, LockMode mode, long fencingToken, long leaseNanos,
                   long grantedAtNanos) implements LockEvent {
    }

    /** {@code owner} could not be granted at once and waits behind {@code waitersAhead} earlier requests. */
    record Queued(LockName name, OwnerId owner, int waitersAhead) implements LockEvent {
    }

    /** {@code owner}'s wait ended without a grant (immediately, for a try); nothing remains of it. */
    record WaitElapsed(LockName name, OwnerId owner) implements LockEvent {
    }

    /** {@code owner}'s acquire was refused; nothing remains of it. */
    record Rejected(LockName name, OwnerId owner, RejectReason reason, String message) implements LockEvent {
    }

    /** {@code owner}'s lease now runs {@code leaseNanos} from {@code renewedAtNanos}. */
    record Renewed(LockName name, OwnerId owner, long leaseNanos, long renewedAtNanos) implements LockEvent {
    }

    /** {@code owner} released its lease. */
    record Released(LockName name, OwnerId owner, long fencingToken) implements LockEvent {
    }

    /** A renew or release named an owner that does not hold the lock; nothing changed. */
    record NotHeld(LockName name, OwnerId owner) implements LockEvent {
    }

    /** {@code owner}'s lease ran out on the machine's clock. */
    record Expired(LockName name, OwnerId owner, long fencingToken) implements LockEvent {
    }

    /** {@code owner} withdrew: it had been holding, waiting, or neither. */
    record Abandoned(LockName name, OwnerId owner, boolean wasHolding, boolean wasWaiting) implements LockEvent {
    }
}
