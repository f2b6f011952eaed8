package io.bulwark.lock.redis;

import io.bulwark.lock.LockTimer;
import io.bulwark.lock.state.LockLimits;
import java.time.Duration;

/**
 * Configuration of a {@link RedisLockBackend}. Immutable; thread-safe. Start from {@link #of(String)} and
 * adjust with the {@code with...} methods; every value is validated when the options are built.
 *
 * @param redisUri         Redis URI, e.g. {@code redis://127.0.0.1:6379} (Lettuce syntax)
 * @param keyPrefix        prefix of every key and channel this backend uses, e.g. {@code bulwark:lock:}
 * @param commandTimeout   bound on every Redis call; a call that takes longer fails with
 *                         {@link io.bulwark.lock.BackendUnavailableException}
 * @param waitReplicas     {@code 0}: no {@code WAIT}. {@code n > 0}: every acquire and renew is followed by
 *                         {@code WAIT n replicaTimeout} (pipelined, so it costs no extra round trip but adds the
 *                         replication latency of the slowest of the {@code n} replicas, typically 0.1–1 ms on a
 *                         LAN and up to {@code replicaTimeout}); a grant not acknowledged by {@code n} replicas
 *                         is withdrawn and the call fails. It narrows, but does not close, the window in which
 *                         a failover loses a grant (Redis replication stays asynchronous).
 * @param replicaTimeout   the {@code WAIT} timeout
 * @param waiterRetry      mean interval of the jittered fallback re-check of a queued request (it also
 *                         serves as the waiter's heartbeat); pub/sub wakes waiters sooner in the normal case
 * @param waiterLiveness   a queued request whose client has not been heard from for this long is dropped, and
 *                         a grant whose wake-up reached nobody (the waiter's process or connection is gone)
 *                         lapses after at most this long unless the waiter claims it, so a crashed waiter does
 *                         not block the queue; must exceed {@code 2 × waiterRetry}
 * @param idleRetention    how long a lock name's token counter is kept after the name went idle
 * @param limits           per-lock limits (waiters, holders); {@code maxLocks} is not enforced on Redis
 * @param timer            clock and scheduler for lease starts, waits and retries
 */
public record RedisLockBackendOptions(String redisUri, String keyPrefix, Duration commandTimeout, int waitReplicas,
        Duration replicaTimeout, Duration waiterRetry, Duration waiterLiveness, Duration idleRetention,
        LockLimits limits, LockTimer timer) {

    /** @throws IllegalArgumentException if a value is missing or out of range (the message says which) */
    public RedisLockBackendOptions {
        require(redisUri != null && !redisUri.isBlank(), "redisUri must be a Redis URI such as redis://127.0.0.1:6379");
        require(keyPrefix != null && !keyPrefix.contains("{") && !keyPrefix.contains("}"),
                "keyPrefix must not be null or contain braces (they select the Redis Cluster hash slot), was " + keyPrefix);
        require(positive(commandTimeout), "commandTimeout must be positive, was " + commandTimeout);
        require(waitReplicas >= 0, "waitReplicas must be 0 (off) or a positive replica count, was " + waitReplicas);
        require(positive(replicaTimeout), "replicaTimeout must be positive, was " + replicaTimeout);
        require(positive(waiterRetry), "waiterRetry must be positive, was " + waiterRetry);
        require(positive(waiterLiveness) && waiterLiveness.compareTo(waiterRetry.multipliedBy(2)) > 0,
                "waiterLiveness must exceed 2 × waiterRetry (" + waiterRetry + "), was " + waiterLiveness);
        require(idleRetention != null && idleRetention.toMillis() >= 1_000,
                "idleRetention must be at least 1 s (it bounds how far tokens may run ahead of the clock), was "
                        + idleRetention);
        require(limits != null && timer != null, "limits and timer must not be null");
    }

    /**
     * Defaults that work on a laptop: prefix {@code bulwark:lock:}, 2 s command timeout, no {@code WAIT},
     * 500 ms waiter retry, 5 s waiter liveness, 10 min idle retention, default limits, the system timer.
     */
    public static RedisLockBackendOptions of(String redisUri) {
        return new RedisLockBackendOptions(redisUri, "bulwark:lock:", Duration.ofSeconds(2), 0, Duration.ofMillis(500),
                Duration.ofMillis(500), Duration.ofSeconds(5), Duration.ofMinutes(10), LockLimits.defaults(),
                LockTimer.system());
    }

    /** These options with {@code WAIT replicas timeout} after every acquire and renew. */
    public RedisLockBackendOptions withWaitForReplicas(int replicas, Duration timeout) {
        return new RedisLockBackendOptions(redisUri, keyPrefix, commandTimeout, replicas, timeout, waiterRetry,
                waiterLiveness, idleRetention, limits, timer);
    }

    /** These options with another command timeout. */
    public RedisLockBackendOptions withCommandTimeout(Duration timeout) {
        return new RedisLockBackendOptions(redisUri, keyPrefix, timeout, waitReplicas, replicaTimeout, waiterRetry,
                waiterLiveness, idleRetention, limits, timer);
    }

    /** These options with another key prefix (tests use one per test to stay independent). */
    public RedisLockBackendOptions withKeyPrefix(String prefix) {
        return new RedisLockBackendOptions(redisUri, prefix, commandTimeout, waitReplicas, replicaTimeout, waiterRetry,
                waiterLiveness, idleRetention, limits, timer);
    }

    /** These options with another waiter retry interval and liveness. */
    public RedisLockBackendOptions withWaiterTiming(Duration retry, Duration liveness) {
        return new RedisLockBackendOptions(redisUri, keyPrefix, commandTimeout, waitReplicas, replicaTimeout, retry,
                liveness, idleRetention, limits, timer);
    }

    private static boolean positive(Duration d) {
        return d != null && !d.isNegative() && !d.isZero();
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("invalid Redis lock backend options: " + message);
        }
    }
}
