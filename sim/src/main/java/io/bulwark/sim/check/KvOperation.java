package io.bulwark.sim.check;

import java.util.Objects;

/**
 * One call a client makes on the key-value map, as recorded in a {@link History}. Every operation reads or
 * writes exactly one key, which is what lets the checker check keys independently.
 *
 * <p>Sequential semantics, against a map where an absent key reads as {@code null}:
 * <ul>
 *   <li>{@link Get}: returns the key's value, {@code null} if absent; answered by {@link KvResult.Value}.
 *   <li>{@link Put}: sets the value; answered by {@link KvResult.Ok}.
 *   <li>{@link Delete}: makes the key absent (whether or not it was present); answered by {@link KvResult.Ok}.
 *   <li>{@link Cas}: sets the value to {@code value} if and only if the current value equals
 *       {@code expected} ({@code null} expects the key to be absent); answered by {@link KvResult.CasResult}.
 * </ul>
 *
 * <p>Immutable and thread-safe. Keys and written values are never {@code null}: a {@code null} would be
 * ambiguous with "absent", so the constructors reject it.
 */
public sealed interface KvOperation permits KvOperation.Get, KvOperation.Put, KvOperation.Delete, KvOperation.Cas {

    /** The key this operation reads or writes; never {@code null}. */
    String key();

    /**
     * Whether {@code result} is the kind of answer this operation gives ({@link KvResult.Value} for a get,
     * {@link KvResult.Ok} for a put or delete, {@link KvResult.CasResult} for a compare-and-set).
     */
    boolean accepts(KvResult result);

    /** Reads the key's current value. */
    static Get get(String key) {
        return new Get(key);
    }

    /** Sets the key to {@code value} (not {@code null}; use {@link #delete} to remove a key). */
    static Put put(String key, String value) {
        return new Put(key, value);
    }

    /** Makes the key absent. */
    static Delete delete(String key) {
        return new Delete(key);
    }

    /** Sets the key to {@code value} if its value is {@code expected}; {@code expected == null} means absent. */
    static Cas cas(String key, String expected, String value) {
        return new Cas(key, expected, value);
    }

    /** Reads {@code key}; answered by {@link KvResult.Value}. */
    record Get(String key) implements KvOperation {
        public Get {
            requireKey(key);
        }

        @Override
        public boolean accepts(KvResult result) {
            return result instanceof KvResult.Value;
        }

        @Override
        public String toString() {
            return "get(" + Quoting.value(key) + ")";
        }
    }

    /** Writes {@code value} (never {@code null}) to {@code key}; answered by {@link KvResult.Ok}. */
    record Put(String key, String value) implements KvOperation {
        public Put {
            requireKey(key);
            Objects.requireNonNull(value, () -> "put(" + Quoting.value(key) + ", null): a put needs a value; "
                    + "to make a key absent use KvOperation.delete");
        }

        @Override
        public boolean accepts(KvResult result) {
            return result instanceof KvResult.Ok;
        }

        @Override
        public String toString() {
            return "put(" + Quoting.value(key) + ", " + Quoting.value(value) + ")";
        }
    }

    /** Makes {@code key} absent; answered by {@link KvResult.Ok}. */
    record Delete(String key) implements KvOperation {
        public Delete {
            requireKey(key);
        }

        @Override
        public boolean accepts(KvResult result) {
            return result instanceof KvResult.Ok;
        }

        @Override
        public String toString() {
            return "delete(" + Quoting.value(key) + ")";
        }
    }

    /**
     * Sets {@code key} to {@code value} (never {@code null}) if its current value equals {@code expected}
     * ({@code null}: if the key is absent); answered by {@link KvResult.CasResult}.
     */
    record Cas(String key, String expected, String value) implements KvOperation {
        public Cas {
            requireKey(key);
            Objects.requireNonNull(value, () -> "cas(" + Quoting.value(key) + ", " + Quoting.value(expected)
                    + ", null): a compare-and-set needs a new value; only the expected value may be null (absent)");
        }

        @Override
        public boolean accepts(KvResult result) {
            return result instanceof KvResult.CasResult;
        }

        @Override
        public String toString() {
            return "cas(" + Quoting.value(key) + ", " + Quoting.value(expected) + " -> " + Quoting.value(value) + ")";
        }
    }

    private static void requireKey(String key) {
        Objects.requireNonNull(key, "an operation's key must not be null");
    }
}
