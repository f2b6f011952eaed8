package io.bulwark.core;

/**
 * A monotonic time source, injected wherever code needs to know how much time has passed.
 *
 * <p>Only differences between two readings are meaningful; the origin is arbitrary. Implementations
 * must never go backwards. {@link #system()} is thread-safe; the simulator supplies a virtual clock.
 */
@FunctionalInterface
public interface Clock {

    /** Monotonic nanoseconds since an arbitrary origin. */
    long nanoTime();

    /** The JVM's monotonic clock ({@link System#nanoTime()}). */
    static Clock system() {
        return System::nanoTime;
    }
}
