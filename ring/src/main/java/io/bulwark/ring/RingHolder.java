package io.bulwark.ring;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Publishes the current ring to many reader threads.
 *
 * <p>Readers call {@link #get()} (one volatile read) and then work on that immutable snapshot, so a
 * lookup never blocks and never sees a half-built ring. Writers {@link #update} with a function of
 * the current ring; concurrent updates are serialized by compare-and-set and retried, so none is
 * lost. Thread-safe.
 */
public final class RingHolder {

    private final AtomicReference<HashRing> current;

    /** A holder publishing {@code initial}. */
    public RingHolder(HashRing initial) {
        this.current = new AtomicReference<>(Objects.requireNonNull(initial, "initial ring must not be null"));
    }

    /** The current ring. */
    public HashRing get() {
        return current.get();
    }

    /** Replaces the ring unconditionally and returns the previous one. */
    public HashRing set(HashRing ring) {
        return current.getAndSet(Objects.requireNonNull(ring, "ring must not be null"));
    }

    /**
     * Applies {@code change} to the current ring and publishes the result, retrying if another writer
     * published in between. {@code change} must be side-effect free (it may run more than once).
     *
     * @return the ring that was published
     */
    public HashRing update(UnaryOperator<HashRing> change) {
        while (true) {
            HashRing before = current.get();
            HashRing after = Objects.requireNonNull(change.apply(before), "change must not return null");
            if (current.compareAndSet(before, after)) {
                return after;
            }
        }
    }

    /** Owner of a pre-hashed key on the current ring. */
    public Node locate(long keyHash) {
        return current.get().locate(keyHash);
    }

    /** Owner of a string key on the current ring. */
    public Node locate(String key) {
        return current.get().locate(key);
    }
}
