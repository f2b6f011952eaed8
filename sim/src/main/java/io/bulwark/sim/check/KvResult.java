package io.bulwark.sim.check;

/**
 * What a client was told when a {@link KvOperation} completed: {@link Value} answers a get, {@link Ok} a put
 * or delete, {@link CasResult} a compare-and-set. Immutable and thread-safe.
 */
public sealed interface KvResult permits KvResult.Value, KvResult.Ok, KvResult.CasResult {

    /** The answer to a get: {@code value}, or {@code null} when the key was absent. */
    static Value value(String value) {
        return new Value(value);
    }

    /** The answer to a put or delete. */
    static Ok ok() {
        return Ok.INSTANCE;
    }

    /** The answer to a compare-and-set: whether it found the expected value and wrote. */
    static CasResult cas(boolean succeeded) {
        return succeeded ? CasResult.SUCCEEDED : CasResult.FAILED;
    }

    /** A get's answer; {@code value} is {@code null} when the key was absent. */
    record Value(String value) implements KvResult {
        @Override
        public String toString() {
            return Quoting.value(value);
        }
    }

    /** A put's or delete's acknowledgement. */
    record Ok() implements KvResult {
        static final Ok INSTANCE = new Ok();

        @Override
        public String toString() {
            return "ok";
        }
    }

    /** A compare-and-set's answer: {@code true} if it found the expected value and wrote the new one. */
    record CasResult(boolean succeeded) implements KvResult {
        static final CasResult SUCCEEDED = new CasResult(true);
        static final CasResult FAILED = new CasResult(false);

        @Override
        public String toString() {
            return Boolean.toString(succeeded);
        }
    }
}
