package io.bulwark.core;

/**
 * Pre- and post-condition checks that stay on in production and simulation.
 *
 * <p>Argument checks throw {@link IllegalArgumentException} with the caller's message; state checks
 * throw {@link IllegalStateException}. An {@code AssertionError} from {@link #check} means Bulwark
 * itself is wrong, never the caller.
 */
public final class Invariants {

    private Invariants() {
    }

    /** Throws {@link AssertionError} with {@code message} if {@code condition} is false. */
    public static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError("invariant violated: " + message);
        }
    }

    /** Returns {@code value} if positive, else throws {@link IllegalArgumentException} naming it. */
    public static long requirePositive(long value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive, was " + value);
        }
        return value;
    }

    /** Returns {@code value} if zero or more, else throws {@link IllegalArgumentException} naming it. */
    public static long requireNonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " must not be negative, was " + value);
        }
        return value;
    }
}
