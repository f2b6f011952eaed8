package io.bulwark.lock.memory;

import io.bulwark.lock.BackendUnavailableException;
import io.bulwark.lock.LockInfo;
import io.bulwark.lock.LockName;
import io.bulwark.lock.LockTimer;
import io.bulwark.lock.spi.AbandonRequest;
import io.bulwark.lock.spi.AcquireOutcome;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.LockBackend;
import io.bulwark.lock.spi.LockCommand;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.ReleaseOutcome;
import io.bulwark.lock.spi.ReleaseRequest;
import io.bulwark.lock.spi.RenewOutcome;
import io.bulwark.lock.spi.RenewRequest;
import io.bulwark.lock.state.LockEvent;
import io.bulwark.lock.state.LockLimits;
import io.bulwark.lock.state.LockStateMachine;
import io.bulwark.lock.state.Ready;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The reference lock backend: one {@link LockStateMachine} in this JVM, driven under a lock with the time
 * of a {@link LockTimer}.
 *
 * <p>Every call reads the clock under the lock, applies one command to the machine and answers from the
 * machine's reply; the machine's next deadline is kept scheduled on the timer so that leases and waits
 * expire on time even when no call arrives. Grants to waiting requests are delivered on the thread that
 * caused them (the releasing caller or the timer), through a per-thread queue so that a chain of
 * release-in-callback never nests deeper than one frame. Leases start at the clock reading of the grant,
 * which is exact because clients share this backend's timer.
 *
 * <p>Tokens start at 1 and increase for the backend object's life; a new backend starts again at 1 unless
 * created with a token floor, so a resource fenced by an in-memory backend must not outlive it.
 *
 * <p>Fault injection for tests: {@link #setReachable(boolean)} models a partition, {@link #loseAllLocks()}
 * a restart that lost every lease (tokens keep increasing). Thread-safe.
 */
public final class InMemoryLockBackend implements LockBackend {

    private static final System.Logger LOG = System.getLogger(InMemoryLockBackend.class.getName());

    /** Deliveries waiting on this thread; non-null while an outer frame of this thread is delivering. */
    private static final ThreadLocal<ArrayDeque<Runnable>> DELIVERING = new ThreadLocal<>();

    private final LockTimer timer;
    private final LockLimits limits;
    private final ReentrantLock lock = new ReentrantLock();
    // Guarded by lock.
    private LockStateMachine machine;
    // Queued requests by owner; point lookups only (withdrawals sort the owners first).
    private final Map<OwnerId, Queued> waiting = new HashMap<>();
    private LockTimer.Scheduled tickTask;
    private long tickAtNanos;
    private boolean reachable = true;
    private boolean closed;

    /** A request the machine has queued, and the future that answers its caller. */
    private record Queued(LockName name, CompletableFuture<AcquireOutcome> answer) {
    }

    private InMemoryLockBackend(LockTimer timer, LockLimits limits, long lastIssuedToken) {
        this.timer = timer;
        this.limits = limits;
        this.machine = new LockStateMachine(limits, lastIssuedToken);
    }

    /** A backend on {@link LockTimer#system()} with default limits. */
    public static InMemoryLockBackend create() {
        return create(LockTimer.system());
    }

    /** A backend on {@code timer} (a virtual one in tests) with default limits. */
    public static InMemoryLockBackend create(LockTimer timer) {
        return create(timer, LockLimits.defaults(), 0);
    }

    /**
     * A backend on {@code timer} with {@code limits}, whose first token is {@code lastIssuedToken + 1}.
     *
     * @throws IllegalArgumentException if an argument is null or the token floor is negative
     */
    public static InMemoryLockBackend create(LockTimer timer, LockLimits limits, long lastIssuedToken) {
        if (timer == null || limits == null) {
            throw new IllegalArgumentException("timer and limits must not be null");
        }
        return new InMemoryLockBackend(timer, limits, lastIssuedToken);
    }

    @Override
    public LockTimer timer() {
        return timer;
    }

    @Override
    public CompletableFuture<AcquireOutcome> acquire(AcquireRequest request) {
        List<Runnable> deliveries = new ArrayList<>();
        CompletableFuture<AcquireOutcome> answer = new CompletableFuture<>();
        lock.lock();
        try {
            if (failIfUnavailable(answer)) {
                return answer;
            }
            Ready ready = step(request, deliveries);
            LockEvent reply = ready.requireReply();
            if (reply instanceof LockEvent.Granted granted) {
                answer.complete(granted(granted));
            } else if (reply instanceof LockEvent.Queued) {
                waiting.put(request.owner(), new Queued(request.name(), answer));
            } else if (reply instanceof LockEvent.WaitElapsed) {
                answer.complete(new AcquireOutcome.NotGranted());
            } else if (reply instanceof LockEvent.Rejected rejected) {
                answer.complete(new AcquireOutcome.Rejected(rejected.reason(), rejected.message()));
            } else {
                throw new AssertionError("unexpected reply to acquire: " + reply);
            }
        } finally {
            lock.unlock();
        }
        deliver(deliveries);
        return answer;
    }

    @Override
    public CompletableFuture<RenewOutcome> renew(RenewRequest request) {
        List<Runnable> deliveries = new ArrayList<>();
        CompletableFuture<RenewOutcome> answer = new CompletableFuture<>();
        lock.lock();
        try {
            if (failIfUnavailable(answer)) {
                return answer;
            }
            LockEvent reply = step(request, deliveries).requireReply();
            if (reply instanceof LockEvent.Renewed renewed) {
                answer.complete(new RenewOutcome.Renewed(renewed.leaseNanos(), renewed.renewedAtNanos()));
            } else if (reply instanceof LockEvent.NotHeld) {
                answer.complete(new RenewOutcome.NotHeld());
            } else {
                throw new AssertionError("unexpected reply to renew: " + reply);
            }
        } finally {
            lock.unlock();
        }
        deliver(deliveries);
        return answer;
    }

    @Override
    public CompletableFuture<ReleaseOutcome> release(ReleaseRequest request) {
        List<Runnable> deliveries = new ArrayList<>();
        CompletableFuture<ReleaseOutcome> answer = new CompletableFuture<>();
        lock.lock();
        try {
            if (failIfUnavailable(answer)) {
                return answer;
            }
            LockEvent reply = step(request, deliveries).requireReply();
            if (reply instanceof LockEvent.Released) {
                answer.complete(new ReleaseOutcome.Released());
            } else if (reply instanceof LockEvent.NotHeld) {
                answer.complete(new ReleaseOutcome.NotHeld());
            } else {
                throw new AssertionError("unexpected reply to release: " + reply);
            }
        } finally {
            lock.unlock();
        }
        deliver(deliveries);
        return answer;
    }

    @Override
    public CompletableFuture<Void> abandon(AbandonRequest request) {
        List<Runnable> deliveries = new ArrayList<>();
        CompletableFuture<Void> answer = new CompletableFuture<>();
        lock.lock();
        try {
            if (failIfUnavailable(answer)) {
                return answer;
            }
            step(request, deliveries);
            // The withdrawn request's own future, if it was queued, is answered so nothing dangles; the client
            // has already decided the outcome and ignores it.
            Queued queued = waiting.remove(request.owner());
            if (queued != null) {
                deliveries.add(() -> queued.answer().complete(new AcquireOutcome.NotGranted()));
            }
            answer.complete(null);
        } finally {
            lock.unlock();
        }
        deliver(deliveries);
        return answer;
    }

    @Override
    public CompletableFuture<LockInfo> describe(LockName name) {
        List<Runnable> deliveries = new ArrayList<>();
        CompletableFuture<LockInfo> answer = new CompletableFuture<>();
        lock.lock();
        try {
            if (failIfUnavailable(answer)) {
                return answer;
            }
            long now = timer.clock().nanoTime();
            route(machine.tick(now), deliveries);
            reschedule(now);
            answer.complete(machine.describe(name, now));
        } finally {
            lock.unlock();
        }
        deliver(deliveries);
        return answer;
    }

    /**
     * Makes the backend unreachable (false) or reachable again (true), as a network partition between
     * every client and the backend would. While unreachable, every call fails with
     * {@link BackendUnavailableException} without reaching the lock state; requests already queued fail the
     * same way and are withdrawn (the backend forgets waiters it cannot answer); granted leases stay until
     * they expire or, after the partition heals, are released.
     */
    public void setReachable(boolean reachable) {
        List<Runnable> deliveries = new ArrayList<>();
        lock.lock();
        try {
            this.reachable = reachable;
            if (!reachable) {
                withdrawWaiters("lock backend is unreachable", deliveries);
            }
        } finally {
            lock.unlock();
        }
        deliver(deliveries);
    }

    /**
     * Forgets every lease and waiter, as a backend restarted without its data would; queued requests fail
     * with {@link BackendUnavailableException}. The token counter survives, so every later token is higher
     * than every earlier one; clients discover the loss when they renew or release.
     */
    public void loseAllLocks() {
        List<Runnable> deliveries = new ArrayList<>();
        lock.lock();
        try {
            withdrawWaiters("lock backend lost its state", deliveries);
            machine = new LockStateMachine(limits, machine.lastIssuedToken());
            cancelTick();
            LOG.log(System.Logger.Level.WARNING, "in-memory lock backend dropped all leases (fault injection); "
                    + "tokens continue after " + machine.lastIssuedToken());
        } finally {
            lock.unlock();
        }
        deliver(deliveries);
    }

    /** The highest fencing token issued so far. */
    public long lastIssuedToken() {
        lock.lock();
        try {
            return machine.lastIssuedToken();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        List<Runnable> deliveries = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            withdrawWaiters("lock backend is closed", deliveries);
            cancelTick();
        } finally {
            lock.unlock();
        }
        deliver(deliveries);
    }

    // ---- driving the machine (all under lock) ----

    private Ready step(LockCommand command, List<Runnable> deliveries) {
        // The clock is read under the lock: two callers reading it outside could apply their commands in
        // the opposite order of their readings, and the machine requires time never to go backwards.
        long now = timer.clock().nanoTime();
        Ready ready = machine.apply(now, command);
        route(ready, deliveries);
        reschedule(now);
        return ready;
    }

    private void onTick() {
        List<Runnable> deliveries = new ArrayList<>();
        lock.lock();
        try {
            tickTask = null;
            if (closed) {
                return;
            }
            long now = timer.clock().nanoTime();
            route(machine.tick(now), deliveries);
            reschedule(now);
        } finally {
            lock.unlock();
        }
        deliver(deliveries);
    }

    /** Answers queued requests from the events that concern them; everything else needs no delivery. */
    private void route(Ready ready, List<Runnable> deliveries) {
        for (LockEvent event : ready.events()) {
            if (event instanceof LockEvent.Granted granted) {
                Queued queued = waiting.remove(granted.owner());
                if (queued != null) {
                    AcquireOutcome outcome = granted(granted);
                    deliveries.add(() -> queued.answer().complete(outcome));
                }
            } else if (event instanceof LockEvent.WaitElapsed elapsed) {
                Queued queued = waiting.remove(elapsed.owner());
                if (queued != null) {
                    deliveries.add(() -> queued.answer().complete(new AcquireOutcome.NotGranted()));
                }
            }
        }
    }

    private static AcquireOutcome.Granted granted(LockEvent.Granted granted) {
        return new AcquireOutcome.Granted(granted.fencingToken(), granted.leaseNanos(), granted.grantedAtNanos());
    }

    private void reschedule(long now) {
        OptionalLong next = machine.nextDeadlineNanos();
        if (next.isEmpty()) {
            cancelTick();
            return;
        }
        if (tickTask != null && tickAtNanos == next.getAsLong()) {
            return;
        }
        cancelTick();
        tickAtNanos = next.getAsLong();
        tickTask = timer.schedule(tickAtNanos - now, this::onTick);
    }

    private void cancelTick() {
        if (tickTask != null) {
            tickTask.cancel();
            tickTask = null;
        }
    }

    private void withdrawWaiters(String why, List<Runnable> deliveries) {
        long now = timer.clock().nanoTime();
        List<OwnerId> owners = new ArrayList<>(waiting.keySet());
        owners.sort(null); // the abandons below must not depend on hash order
        Set<OwnerId> withdrawn = new HashSet<>(owners);
        ArrayDeque<AbandonRequest> abandons = new ArrayDeque<>();
        for (OwnerId owner : owners) {
            Queued queued = waiting.remove(owner);
            deliveries.add(() -> queued.answer().completeExceptionally(new BackendUnavailableException(why)));
            abandons.add(new AbandonRequest(queued.name(), owner));
        }
        // The machine still lists them as waiters. Withdrawing a head waiter can grant the one behind it,
        // which is being withdrawn too and will never learn of the grant: withdraw that grant as well.
        for (AbandonRequest abandon = abandons.poll(); abandon != null; abandon = abandons.poll()) {
            for (LockEvent event : machine.apply(now, abandon).events()) {
                if (event instanceof LockEvent.Granted granted && withdrawn.contains(granted.owner())) {
                    abandons.add(new AbandonRequest(granted.name(), granted.owner()));
                }
            }
        }
        reschedule(now);
    }

    private boolean failIfUnavailable(CompletableFuture<?> answer) {
        if (closed) {
            answer.completeExceptionally(new BackendUnavailableException("lock backend is closed"));
            return true;
        }
        if (!reachable) {
            answer.completeExceptionally(new BackendUnavailableException("lock backend is unreachable"));
            return true;
        }
        return false;
    }

    /**
     * Completes futures outside the lock. If this thread is already delivering further up its stack, the
     * work is queued for that frame instead: a callback that releases a lock and thereby grants the next
     * waiter, whose callback releases again, and so on, then runs as a loop rather than a recursion.
     */
    private static void deliver(List<Runnable> deliveries) {
        if (deliveries.isEmpty()) {
            return;
        }
        ArrayDeque<Runnable> queue = DELIVERING.get();
        if (queue != null) {
            queue.addAll(deliveries);
            return;
        }
        queue = new ArrayDeque<>(deliveries);
        DELIVERING.set(queue);
        try {
            for (Runnable next = queue.poll(); next != null; next = queue.poll()) {
                try {
                    next.run();
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "lock callback failed", e);
                }
            }
        } finally {
            DELIVERING.remove();
        }
    }
}
