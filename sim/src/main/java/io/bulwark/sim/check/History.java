package io.bulwark.sim.check;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * Records the calls clients make on a key-value map, for {@link LinearizabilityChecker}. A workload calls
 * {@link #invoke} when a client sends a request and then exactly one of {@link #complete} (the client got a
 * result), {@link #indeterminate} (the client gave up without knowing: timeout, crash) or {@link #fail} (the
 * request definitely had no effect). A call still open when {@link #entries} is read is reported as
 * indeterminate, because that is what it is: the client has not heard back.
 *
 * <p>Recording is O(1) per event and keeps nothing but the entries. Times are the simulator's virtual time;
 * they need not be recorded in order, but a call's completion must not precede its invocation.
 *
 * <p>Not thread-safe: the simulator records from its single event loop. Each method either records its event
 * or throws without changing anything.
 */
public final class History {

    private final List<HistoryEntry> entries = new ArrayList<>();
    /** Ids still waiting for complete/indeterminate/fail; their stored entry is already the indeterminate one. */
    private final BitSet open = new BitSet();

    /** An empty history. */
    public History() {
    }

    /**
     * Records that {@code clientId} sent {@code operation} at {@code invokeTime} and returns the id with which
     * to record its end.
     *
     * @throws IllegalArgumentException if {@code invokeTime} is {@link HistoryEntry#NEVER}
     * @throws NullPointerException     if {@code operation} is null
     */
    public int invoke(int clientId, KvOperation operation, long invokeTime) {
        Objects.requireNonNull(operation, "operation must not be null");
        int id = entries.size();
        entries.add(HistoryEntry.indeterminate(id, clientId, operation, invokeTime));
        open.set(id);
        return id;
    }

    /**
     * Records that call {@code id} returned {@code result} at {@code completeTime}.
     *
     * @throws IllegalArgumentException if {@code id} was never returned by {@link #invoke}, if {@code result}
     *                                  is the wrong kind for the operation, or if {@code completeTime} is
     *                                  before the invocation
     * @throws IllegalStateException    if the call's end was already recorded
     */
    public void complete(int id, KvResult result, long completeTime) {
        Objects.requireNonNull(result, "result must not be null; record a lost result with indeterminate(id)");
        HistoryEntry call = openCall(id, "complete");
        entries.set(id, HistoryEntry.completed(id, call.clientId(), call.operation(), call.invokeTime(),
                completeTime, result));
        open.clear(id);
    }

    /**
     * Records that the client of call {@code id} will never learn its result: it may have taken effect at any
     * time after its invocation, or never.
     *
     * @throws IllegalArgumentException if {@code id} was never returned by {@link #invoke}
     * @throws IllegalStateException    if the call's end was already recorded
     */
    public void indeterminate(int id) {
        openCall(id, "indeterminate");
        open.clear(id);
    }

    /**
     * Records that call {@code id} definitely did not take effect; the checker will ignore it.
     *
     * @throws IllegalArgumentException if {@code id} was never returned by {@link #invoke}
     * @throws IllegalStateException    if the call's end was already recorded
     */
    public void fail(int id) {
        HistoryEntry call = openCall(id, "fail");
        entries.set(id, HistoryEntry.failed(id, call.clientId(), call.operation(), call.invokeTime()));
        open.clear(id);
    }

    /** A snapshot of every call recorded so far, indexed by id; calls still open are indeterminate. */
    public List<HistoryEntry> entries() {
        return List.copyOf(entries);
    }

    /** The number of calls recorded so far. */
    public int size() {
        return entries.size();
    }

    private HistoryEntry openCall(int id, String action) {
        if (id < 0 || id >= entries.size()) {
            throw new IllegalArgumentException(action + "(" + id + "): no call has that id; ids are 0.."
                    + (entries.size() - 1) + ", as returned by invoke");
        }
        HistoryEntry call = entries.get(id);
        if (!open.get(id)) {
            throw new IllegalStateException(action + "(" + id + "): the end of " + call
                    + " was already recorded; each call ends exactly once");
        }
        return call;
    }
}
