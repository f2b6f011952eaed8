package io.bulwark.sim.check;

import java.util.Objects;

/**
 * One client call in a {@link History}: who made it, what it asked, when (virtual time), and how it ended.
 *
 * <p>Outcomes:
 * <ul>
 *   <li>{@link Outcome.Completed}: the client got {@code result} at {@code completeTime}. The operation took
 *       effect at one instant between {@code invokeTime} and {@code completeTime}, both included.
 *   <li>{@link Outcome.Indeterminate}: the client never learned the result (timeout, crash, or still in flight
 *       when the history ended). The operation may have taken effect at any instant after
 *       {@code invokeTime}, or never. {@code completeTime} is {@link #NEVER}.
 *   <li>{@link Outcome.Failed}: the operation definitely did not take effect (rejected before it was sent,
 *       for example). The checker ignores it. {@code completeTime} is {@link #NEVER}.
 * </ul>
 *
 * <p>The constructor rejects an entry that no execution could produce: a result of the wrong kind for the
 * operation, a completion before the invocation, or a time of {@link #NEVER} for an event that happened.
 * Immutable and thread-safe.
 *
 * @param id           the entry's position in its history, as returned by {@link History#invoke}
 * @param clientId     the caller; only used to explain violations
 * @param operation    what was asked
 * @param invokeTime   when the call was made, in the simulator's virtual time units
 * @param completeTime when the result arrived, in the same units; {@link #NEVER} unless completed
 * @param outcome      how the call ended
 */
public record HistoryEntry(int id, int clientId, KvOperation operation, long invokeTime, long completeTime,
        Outcome outcome) {

    /** The completion time of a call whose result never arrived: after every other event. */
    public static final long NEVER = Long.MAX_VALUE;

    public HistoryEntry {
        Objects.requireNonNull(operation, "operation must not be null");
        Objects.requireNonNull(outcome, "outcome must not be null");
        if (id < 0) {
            throw new IllegalArgumentException("entry id must not be negative, was " + id);
        }
        if (invokeTime == NEVER) {
            throw new IllegalArgumentException("entry #" + id + " " + operation + ": invokeTime " + NEVER
                    + " is reserved for 'never'; use a smaller virtual time");
        }
        if (outcome instanceof Outcome.Completed completed) {
            if (!operation.accepts(completed.result())) {
                throw new IllegalArgumentException("entry #" + id + " " + operation + " cannot complete with "
                        + "KvResult." + completed.result().getClass().getSimpleName() + " (" + completed.result()
                        + "): a get completes with Value, a put or delete with Ok, a cas with CasResult");
            }
            if (completeTime < invokeTime) {
                throw new IllegalArgumentException("entry #" + id + " " + operation + " completes at "
                        + completeTime + ", before it was invoked at " + invokeTime);
            }
            if (completeTime == NEVER) {
                throw new IllegalArgumentException("entry #" + id + " " + operation + ": completeTime " + NEVER
                        + " means 'never'; a completed call needs the time its result arrived");
            }
        } else if (completeTime != NEVER) {
            throw new IllegalArgumentException("entry #" + id + " " + operation + " is " + outcome
                    + " but has completeTime " + completeTime + "; only completed calls have one, others use NEVER");
        }
    }

    /** A call that returned {@code result} at {@code completeTime}. */
    public static HistoryEntry completed(int id, int clientId, KvOperation operation, long invokeTime,
            long completeTime, KvResult result) {
        return new HistoryEntry(id, clientId, operation, invokeTime, completeTime, new Outcome.Completed(result));
    }

    /** A call whose result never arrived: it may have taken effect at any time after invocation, or never. */
    public static HistoryEntry indeterminate(int id, int clientId, KvOperation operation, long invokeTime) {
        return new HistoryEntry(id, clientId, operation, invokeTime, NEVER, Outcome.INDETERMINATE);
    }

    /** A call that definitely did not take effect. */
    public static HistoryEntry failed(int id, int clientId, KvOperation operation, long invokeTime) {
        return new HistoryEntry(id, clientId, operation, invokeTime, NEVER, Outcome.FAILED);
    }

    /** The key the operation touches. */
    public String key() {
        return operation.key();
    }

    /** Whether the client received a result. */
    public boolean isCompleted() {
        return outcome instanceof Outcome.Completed;
    }

    /** {@code #id client c: op -> result [invoke, complete]}, the form used in explanations. */
    @Override
    public String toString() {
        String end = completeTime == NEVER ? "never" : Long.toString(completeTime);
        return "#" + id + " client " + clientId + ": " + operation + " -> " + outcome + " [" + invokeTime + ", "
                + end + "]";
    }

    /** How a call ended. Immutable and thread-safe. */
    public sealed interface Outcome permits Outcome.Completed, Outcome.Indeterminate, Outcome.Failed {

        /** The shared instance of {@link Indeterminate}. */
        Indeterminate INDETERMINATE = new Indeterminate();

        /** The shared instance of {@link Failed}. */
        Failed FAILED = new Failed();

        /** The client received {@code result}. */
        record Completed(KvResult result) implements Outcome {
            public Completed {
                Objects.requireNonNull(result, "a completed call needs a result");
            }

            @Override
            public String toString() {
                return result.toString();
            }
        }

        /** The client never learned whether or when the call took effect. */
        record Indeterminate() implements Outcome {
            @Override
            public String toString() {
                return "? (indeterminate)";
            }
        }

        /** The call definitely did not take effect. */
        record Failed() implements Outcome {
            @Override
            public String toString() {
                return "failed";
            }
        }
    }
}
