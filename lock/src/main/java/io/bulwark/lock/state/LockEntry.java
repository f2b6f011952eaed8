package io.bulwark.lock.state;

import io.bulwark.core.Invariants;
import io.bulwark.lock.LockKind;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.spi.OwnerId;
import java.util.LinkedHashMap;

/**
 * One lock name in use: its kind, holders in grant order and waiters in arrival order. Linked maps give
 * O(1) removal by owner and a deterministic iteration order, which grant order depends on. Owned by one
 * {@link LockStateMachine}; not thread-safe.
 */
final class LockEntry {

    /** A granted lease; {@code deadline} is its expiry and its key in the machine's deadline index. */
    record Holder(OwnerId owner, LockMode mode, long fencingToken, DeadlineKey deadline) {
    }

    /** A queued request; {@code deadline} is the end of its wait. */
    record Waiter(OwnerId owner, LockMode mode, long leaseNanos, DeadlineKey deadline) {
    }

    final LockName name;
    final LockKind kind;
    /** Semaphore capacity; 0 for other kinds. */
    final int capacity;
    final LinkedHashMap<OwnerId, Holder> holders = new LinkedHashMap<>();
    final LinkedHashMap<OwnerId, Waiter> waiters = new LinkedHashMap<>();
    private int permitsInUse;
    private int writers;

    LockEntry(LockName name, LockMode firstMode) {
        this.name = name;
        this.kind = firstMode.kind();
        this.capacity = firstMode instanceof LockMode.Semaphore semaphore ? semaphore.capacity() : 0;
    }

    /** Why {@code mode} cannot be used on this name while it is in use, or null if it can. */
    String conflictWith(LockMode mode) {
        if (mode.kind() != kind) {
            return "lock '" + name + "' is in use as " + kind + "; this request asked for " + mode.kind()
                    + ". A name keeps its kind while anyone holds or waits for it";
        }
        if (mode instanceof LockMode.Semaphore semaphore && semaphore.capacity() != capacity) {
            return "semaphore '" + name + "' is in use with capacity " + capacity + "; this request declared "
                    + "capacity " + semaphore.capacity() + ". Every user of a semaphore must declare the same capacity";
        }
        return null;
    }

    /** Whether {@code mode} is compatible with the current holders (ignoring the queue). */
    boolean canGrant(LockMode mode, int maxHolders) {
        if (holders.size() >= maxHolders) {
            return false;
        }
        // A switch expression over the enum: adding a kind without deciding its rule does not compile.
        return switch (kind) {
            case EXCLUSIVE, FAIR -> holders.isEmpty();
            case READ_WRITE -> mode instanceof LockMode.Write ? holders.isEmpty() : writers == 0;
            case SEMAPHORE -> permitsInUse + mode.permits() <= capacity;
        };
    }

    void addHolder(Holder holder) {
        holders.put(holder.owner(), holder);
        permitsInUse += holder.mode().permits();
        if (holder.mode() instanceof LockMode.Write) {
            writers++;
        }
        checkExclusion();
    }

    Holder removeHolder(OwnerId owner) {
        Holder holder = holders.remove(owner);
        Invariants.check(holder != null, "removing a holder that is not there: " + owner + " on " + name);
        permitsInUse -= holder.mode().permits();
        if (holder.mode() instanceof LockMode.Write) {
            writers--;
        }
        return holder;
    }

    boolean isIdle() {
        return holders.isEmpty() && waiters.isEmpty();
    }

    /** The safety property itself, checked on every grant; cheap enough to keep on everywhere. */
    private void checkExclusion() {
        boolean exclusive = switch (kind) {
            case EXCLUSIVE, FAIR -> holders.size() <= 1;
            case READ_WRITE -> writers == 0 || (writers == 1 && holders.size() == 1);
            case SEMAPHORE -> permitsInUse <= capacity;
        };
        Invariants.check(exclusive, "incompatible holders of " + kind + " lock " + name + ": " + holders.keySet());
    }
}
