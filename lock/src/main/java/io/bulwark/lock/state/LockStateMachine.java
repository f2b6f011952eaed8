package io.bulwark.lock.state;

import io.bulwark.core.Invariants;
import io.bulwark.lock.LockInfo;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.spi.AbandonRequest;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.LockCommand;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.RejectReason;
import io.bulwark.lock.spi.ReleaseRequest;
import io.bulwark.lock.spi.RenewRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;

/**
 * The exact semantics of Bulwark locks, as a deterministic single-threaded state machine.
 *
 * <p><b>Inputs.</b> {@link #apply(long, LockCommand)} and {@link #tick(long)}, each with the current time
 * on the driver's monotonic clock. Time must never decrease between calls (a driver that reads the clock
 * outside its lock, or a new consensus leader whose clock is behind, must clamp it). Every input first
 * expires what is due at that time, so a command never sees a lease or wait that has already ended.
 *
 * <p><b>Outputs.</b> A {@link Ready}: the reply to the command, and the other events of that moment in
 * order. The machine never reads a clock, sleeps, starts threads, draws random numbers or iterates a hash
 * map where order matters: the same inputs give equal outputs on every run and every JVM.
 *
 * <p><b>Semantics.</b>
 * <ul>
 *   <li>A request is granted at once only if it is compatible with the current holders <em>and nobody is
 *       queued</em> (no barging, for every kind), otherwise it is queued (or answered
 *       {@link LockEvent.WaitElapsed} if its wait is zero, leaving nothing behind).
 *   <li>When holders leave, the queue is granted from its head while the head is compatible, and stops at
 *       the first request that is not: FIFO for every kind; consecutive readers are granted together;
 *       a large semaphore request at the head is not overtaken.
 *   <li>Each grant takes the next token of a counter shared by all names, so tokens strictly increase per
 *       name (and globally) for the machine's life, even after a name is forgotten. A machine rebuilt after
 *       losing its state must be given a token floor at least as high as every token issued before.
 *   <li>A lease ends {@code leaseNanos} after its grant or last renewal; a wait ends {@code waitNanos} after
 *       the request arrived. Expiry is evaluated before anything else at each input, so a waiter whose wait
 *       has ended is never granted.
 *   <li>Renew and release act only on a current holder; they never create a lease.
 *   <li>A name with no holder and no waiter is forgotten: nothing accumulates for names not in use.
 * </ul>
 *
 * <p>Not thread-safe: one driver thread (or one lock) at a time.
 */
public final class LockStateMachine {

    /** What a deadline in the index belongs to. */
    private record Timed(LockName name, OwnerId owner, boolean holder) {
    }

    private final LockLimits limits;
    // Point lookups only; never iterated, so HashMap order cannot leak into outputs.
    private final Map<LockName, LockEntry> locks = new HashMap<>();
    private final TreeMap<DeadlineKey, Timed> deadlines = new TreeMap<>();
    private long lastIssuedToken;
    private long deadlineSequence;
    private long lastNowNanos;
    private boolean anyInput;

    /** A machine with default limits whose first token is 1. */
    public LockStateMachine() {
        this(LockLimits.defaults(), 0);
    }

    /**
     * @param limits          bounds on names, waiters and holders
     * @param lastIssuedToken the highest token ever issued by this machine's predecessors (0 for a new one);
     *                        the first grant gets {@code lastIssuedToken + 1}
     */
    public LockStateMachine(LockLimits limits, long lastIssuedToken) {
        if (limits == null) {
            throw new IllegalArgumentException("limits must not be null");
        }
        if (lastIssuedToken < 0) {
            throw new IllegalArgumentException("lastIssuedToken must not be negative, was " + lastIssuedToken);
        }
        this.limits = limits;
        this.lastIssuedToken = lastIssuedToken;
    }

    /**
     * Applies {@code command} at {@code nowNanos}, after expiring everything due by then.
     *
     * @return the reply ({@link LockEvent.Granted}, {@link LockEvent.Queued}, {@link LockEvent.WaitElapsed}
     *     or {@link LockEvent.Rejected} for an acquire; {@link LockEvent.Renewed} or {@link LockEvent.NotHeld}
     *     for a renew; {@link LockEvent.Released} or {@link LockEvent.NotHeld} for a release;
     *     {@link LockEvent.Abandoned} for an abandon) and the other events of this moment
     */
    public Ready apply(long nowNanos, LockCommand command) {
        if (command == null) {
            throw new IllegalArgumentException("command must not be null");
        }
        advanceTo(nowNanos);
        List<LockEvent> events = new ArrayList<>();
        expireDue(nowNanos, events);
        LockEvent reply;
        if (command instanceof AcquireRequest acquire) {
            reply = acquire(nowNanos, acquire);
        } else if (command instanceof RenewRequest renew) {
            reply = renew(nowNanos, renew);
        } else if (command instanceof ReleaseRequest release) {
            reply = release(nowNanos, release, events);
        } else if (command instanceof AbandonRequest abandon) {
            reply = abandon(nowNanos, abandon, events);
        } else {
            throw new AssertionError("unknown lock command " + command);
        }
        return new Ready(Optional.of(reply), events);
    }

    /** Expires every lease and wait due by {@code nowNanos} and grants what that frees. */
    public Ready tick(long nowNanos) {
        advanceTo(nowNanos);
        List<LockEvent> events = new ArrayList<>();
        expireDue(nowNanos, events);
        return new Ready(Optional.empty(), events);
    }

    /** When the next lease or wait ends, if any: the driver calls {@link #tick} then. */
    public OptionalLong nextDeadlineNanos() {
        return deadlines.isEmpty() ? OptionalLong.empty() : OptionalLong.of(deadlines.firstKey().atNanos());
    }

    /**
     * The state of {@code name} as of the last input, with remaining leases measured to {@code nowNanos}.
     * Read-only: call {@link #tick} first for a view in which nothing due is still listed.
     */
    public LockInfo describe(LockName name, long nowNanos) {
        LockEntry entry = locks.get(name);
        if (entry == null) {
            return LockInfo.idle(name.value());
        }
        List<LockInfo.Holder> holders = new ArrayList<>(entry.holders.size());
        for (LockEntry.Holder holder : entry.holders.values()) {
            long remaining = Math.max(0, holder.deadline().atNanos() - nowNanos);
            holders.add(new LockInfo.Holder(holder.owner().toString(), holder.mode(), holder.fencingToken(),
                    Duration.ofNanos(remaining)));
        }
        return new LockInfo(name.value(), Optional.of(entry.kind), holders, entry.waiters.size());
    }

    /** The highest token issued so far (the token floor to hand to a successor machine). */
    public long lastIssuedToken() {
        return lastIssuedToken;
    }

    /** Number of names in use (held or waited for). */
    public int lockCount() {
        return locks.size();
    }

    private void advanceTo(long nowNanos) {
        Invariants.check(!anyInput || nowNanos >= lastNowNanos,
                "time went backwards: " + nowNanos + " after " + lastNowNanos);
        lastNowNanos = nowNanos;
        anyInput = true;
    }

    private void expireDue(long nowNanos, List<LockEvent> events) {
        // Expire everything first and grant afterwards: a waiter whose wait ended at or before now must
        // not be granted just because an earlier lease expired in the same tick (etcd #11456).
        Set<LockEntry> touched = new LinkedHashSet<>();
        while (!deadlines.isEmpty() && deadlines.firstKey().atNanos() <= nowNanos) {
            Timed timed = deadlines.pollFirstEntry().getValue();
            LockEntry entry = locks.get(timed.name());
            Invariants.check(entry != null, "deadline for a forgotten lock " + timed.name());
            if (timed.holder()) {
                LockEntry.Holder holder = entry.removeHolder(timed.owner());
                events.add(new LockEvent.Expired(timed.name(), timed.owner(), holder.fencingToken()));
            } else {
                LockEntry.Waiter waiter = entry.waiters.remove(timed.owner());
                Invariants.check(waiter != null, "wait deadline without a waiter " + timed.owner());
                events.add(new LockEvent.WaitElapsed(timed.name(), timed.owner()));
            }
            touched.add(entry);
        }
        for (LockEntry entry : touched) {
            grantWaiters(entry, nowNanos, events);
            forgetIfIdle(entry);
        }
    }

    private LockEvent acquire(long nowNanos, AcquireRequest request) {
        LockName name = request.name();
        OwnerId owner = request.owner();
        LockMode mode = request.mode();
        LockEntry entry = locks.get(name);
        boolean fresh = entry == null;
        if (fresh) {
            if (locks.size() >= limits.maxLocks()) {
                return new LockEvent.Rejected(name, owner, RejectReason.LIMIT_EXCEEDED, "the backend already tracks "
                        + limits.maxLocks() + " lock names in use, its limit; release locks or raise LockLimits.maxLocks");
            }
            entry = new LockEntry(name, mode);
        } else {
            String conflict = entry.conflictWith(mode);
            if (conflict != null) {
                return new LockEvent.Rejected(name, owner, RejectReason.MODE_CONFLICT, conflict);
            }
            if (entry.holders.containsKey(owner) || entry.waiters.containsKey(owner)) {
                return new LockEvent.Rejected(name, owner, RejectReason.INVALID_REQUEST, "owner " + owner
                        + " already holds or waits for lock '" + name + "'; every acquire needs a fresh owner id");
            }
        }
        if (entry.waiters.isEmpty() && entry.canGrant(mode, limits.maxHoldersPerLock())) {
            if (fresh) {
                locks.put(name, entry);
            }
            return grant(entry, owner, mode, request.leaseNanos(), nowNanos);
        }
        Invariants.check(!fresh, "a fresh lock name must always be grantable");
        if (request.waitNanos() == 0) {
            return new LockEvent.WaitElapsed(name, owner);
        }
        if (entry.waiters.size() >= limits.maxWaitersPerLock()) {
            return new LockEvent.Rejected(name, owner, RejectReason.LIMIT_EXCEEDED, "lock '" + name + "' already has "
                    + limits.maxWaitersPerLock() + " waiters, the limit per lock; retry later");
        }
        int ahead = entry.waiters.size();
        DeadlineKey deadline = newDeadline(saturatingAdd(nowNanos, request.waitNanos()));
        deadlines.put(deadline, new Timed(name, owner, false));
        entry.waiters.put(owner, new LockEntry.Waiter(owner, mode, request.leaseNanos(), deadline));
        return new LockEvent.Queued(name, owner, ahead);
    }

    private LockEvent renew(long nowNanos, RenewRequest request) {
        LockEntry entry = locks.get(request.name());
        LockEntry.Holder holder = entry == null ? null : entry.holders.get(request.owner());
        if (holder == null) {
            return new LockEvent.NotHeld(request.name(), request.owner());
        }
        deadlines.remove(holder.deadline());
        DeadlineKey deadline = newDeadline(saturatingAdd(nowNanos, request.leaseNanos()));
        deadlines.put(deadline, new Timed(request.name(), request.owner(), true));
        // put() on an existing key keeps the holder's place in grant order.
        entry.holders.put(request.owner(),
                new LockEntry.Holder(holder.owner(), holder.mode(), holder.fencingToken(), deadline));
        return new LockEvent.Renewed(request.name(), request.owner(), request.leaseNanos(), nowNanos);
    }

    private LockEvent release(long nowNanos, ReleaseRequest request, List<LockEvent> events) {
        LockEntry entry = locks.get(request.name());
        if (entry == null || !entry.holders.containsKey(request.owner())) {
            return new LockEvent.NotHeld(request.name(), request.owner());
        }
        LockEntry.Holder holder = removeHolder(entry, request.owner());
        grantWaiters(entry, nowNanos, events);
        forgetIfIdle(entry);
        return new LockEvent.Released(request.name(), request.owner(), holder.fencingToken());
    }

    private LockEvent abandon(long nowNanos, AbandonRequest request, List<LockEvent> events) {
        LockEntry entry = locks.get(request.name());
        boolean wasHolding = false;
        boolean wasWaiting = false;
        if (entry != null) {
            if (entry.holders.containsKey(request.owner())) {
                removeHolder(entry, request.owner());
                wasHolding = true;
            } else {
                LockEntry.Waiter waiter = entry.waiters.remove(request.owner());
                if (waiter != null) {
                    deadlines.remove(waiter.deadline());
                    wasWaiting = true;
                }
            }
            // Removing the head waiter can unblock the ones behind it (a writer before readers, a large
            // semaphore request before small ones).
            grantWaiters(entry, nowNanos, events);
            forgetIfIdle(entry);
        }
        return new LockEvent.Abandoned(request.name(), request.owner(), wasHolding, wasWaiting);
    }

    private LockEvent.Granted grant(LockEntry entry, OwnerId owner, LockMode mode, long leaseNanos, long nowNanos) {
        long token = Math.addExact(lastIssuedToken, 1);
        lastIssuedToken = token;
        DeadlineKey deadline = newDeadline(saturatingAdd(nowNanos, leaseNanos));
        deadlines.put(deadline, new Timed(entry.name, owner, true));
        entry.addHolder(new LockEntry.Holder(owner, mode, token, deadline));
        return new LockEvent.Granted(entry.name, owner, mode, token, leaseNanos, nowNanos);
    }

    private void grantWaiters(LockEntry entry, long nowNanos, List<LockEvent> events) {
        Iterator<LockEntry.Waiter> queue = entry.waiters.values().iterator();
        while (queue.hasNext()) {
            LockEntry.Waiter head = queue.next();
            if (!entry.canGrant(head.mode(), limits.maxHoldersPerLock())) {
                return;
            }
            queue.remove();
            deadlines.remove(head.deadline());
            events.add(grant(entry, head.owner(), head.mode(), head.leaseNanos(), nowNanos));
        }
    }

    private LockEntry.Holder removeHolder(LockEntry entry, OwnerId owner) {
        LockEntry.Holder holder = entry.removeHolder(owner);
        deadlines.remove(holder.deadline());
        return holder;
    }

    private void forgetIfIdle(LockEntry entry) {
        if (entry.isIdle()) {
            locks.remove(entry.name);
        }
    }

    private DeadlineKey newDeadline(long atNanos) {
        return new DeadlineKey(atNanos, deadlineSequence++);
    }

    /** {@code a + b} for {@code b >= 0}, clamped at {@link Long#MAX_VALUE} instead of wrapping to the past. */
    private static long saturatingAdd(long a, long b) {
        long sum = a + b;
        return sum < a ? Long.MAX_VALUE : sum;
    }
}
