package io.bulwark.lock;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What a backend knows about one lock name at one moment: its kind, its holders and how many requests
 * wait. For operators and tests; by the time a caller reads it, it may be out of date, so never decide
 * whether to acquire from it.
 *
 * @param name    the lock name
 * @param kind    the kind while the name is in use; empty when nobody holds or waits for it
 * @param holders current holders, oldest grant first
 * @param waiting number of queued requests
 */
public record LockInfo(String name, Optional<LockKind> kind, List<Holder> holders, int waiting) {

    /** @throws IllegalArgumentException if a component is null or {@code waiting} is negative */
    public LockInfo {
        if (name == null || kind == null || holders == null || waiting < 0) {
            throw new IllegalArgumentException("LockInfo needs a name, a kind (possibly empty), a holder list "
                    + "and a non-negative waiter count");
        }
        holders = List.copyOf(holders);
    }

    /** An idle name: no holder, no waiter. */
    public static LockInfo idle(String name) {
        return new LockInfo(name, Optional.empty(), List.of(), 0);
    }

    /** True when nobody holds or waits for the name (the backend keeps nothing for it but its token floor). */
    public boolean isIdle() {
        return holders.isEmpty() && waiting == 0;
    }

    /**
     * One current holder.
     *
     * @param owner          the owner id of the lease (client id and sequence number)
     * @param mode           what it holds
     * @param fencingToken   the token of its grant
     * @param remainingLease how long the backend will keep the lease without a renewal, on the backend's clock
     */
    public record Holder(String owner, LockMode mode, long fencingToken, Duration remainingLease) {
    }
}
