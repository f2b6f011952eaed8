package io.bulwark.lock;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The resource side of fencing: remembers the highest fencing token it has admitted per lock name and
 * refuses anything older. Put it in front of the state a lock protects and pass it
 * {@link LockLease#fencingToken()} with every write; a holder that paused past its lease then has its late
 * write refused instead of overwriting the next holder's work.
 *
 * <p>Equal tokens are admitted (one holder makes many writes). The check and the write it guards must be
 * atomic with respect to other writers: either call {@link #admit} inside the resource's own critical
 * section, or let the resource apply the same rule in its storage (Bulwark's KV does).
 *
 * <p>Thread-safe. Memory grows with the number of distinct names seen; one fence per resource.
 */
public final class Fence {

    private final ConcurrentHashMap<String, Long> highestTokens = new ConcurrentHashMap<>();

    /**
     * Admits a write under {@code token} for {@code lockName} if the token is at least the highest seen,
     * and records it.
     *
     * @return true if admitted, false if a newer holder has already written
     */
    public boolean admit(String lockName, long token) {
        boolean[] admitted = new boolean[1];
        highestTokens.compute(lockName, (name, highest) -> {
            admitted[0] = highest == null || token >= highest;
            return admitted[0] ? Long.valueOf(token) : highest;
        });
        return admitted[0];
    }

    /** The highest token admitted for {@code lockName}, or {@link Long#MIN_VALUE} if none. */
    public long highestToken(String lockName) {
        return highestTokens.getOrDefault(lockName, Long.MIN_VALUE);
    }
}
