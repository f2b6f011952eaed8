/**
 * The Redis lock backend: {@link io.bulwark.lock.redis.RedisLockBackend} implements the
 * {@link io.bulwark.lock.spi.LockBackend} SPI on one Redis primary through Lettuce, configured by
 * {@link io.bulwark.lock.redis.RedisLockBackendOptions}.
 *
 * <p>Every operation is one round trip of the Lua script {@code lock.lua} (a resource of this package, run
 * with {@code EVALSHA}); waiters are woken by pub/sub; fencing tokens combine a per-name counter with the
 * Redis server clock so they keep increasing after Redis loses its data. The Redis section of
 * {@code docs/GUARANTEES.md} states what this backend guarantees and what it does not.
 */
package io.bulwark.lock.redis;
