package io.bulwark.lock;

import java.time.Duration;

/**
 * How to acquire a lock: the {@link LockMode}, the lease time, how long to wait, whether a watchdog
 * renews the lease while the handle is open, and whether the handle may be re-entered.
 *
 * <p>Start from a factory ({@link #exclusive()}, {@link #fair()}, {@link #read()}, {@link #write()},
 * {@link #semaphore(int)}) and refine with the {@code with...} methods; every instance is validated on
 * construction, so an invalid option fails where it is written, with a message saying what is allowed.
 * Immutable and thread-safe.
 *
 * @param mode        what to acquire
 * @param leaseTime   how long the backend keeps the lock without hearing from the holder;
 *                    {@code (0, MAX_LEASE_TIME]}. With {@code autoRenew} it is also the renewal horizon:
 *                    a holder that stops renewing (crash, partition, long pause) loses the lock at most
 *                    this long after its last successful renewal.
 * @param waitTimeout how long {@code acquire} waits for the lock; {@code [0, MAX_WAIT_TIMEOUT]}, zero means
 *                    "do not wait". Ignored by {@link LockClient#tryAcquire}, which never waits.
 * @param autoRenew   renew the lease in the background while the handle is open (default true)
 * @param reentrant   allow {@link LockLease#reenter()} on the handle (default false); reentrancy belongs
 *                    to the handle, never to a thread
 */
public record LockOptions(LockMode mode, Duration leaseTime, Duration waitTimeout, boolean autoRenew,
                          boolean reentrant) {

    /** Lease time used unless set: long enough for GC pauses, short enough to recover from a crash quickly. */
    public static final Duration DEFAULT_LEASE_TIME = Duration.ofSeconds(30);
    /** Wait timeout used unless set. */
    public static final Duration DEFAULT_WAIT_TIMEOUT = Duration.ofSeconds(30);
    /** The longest lease: a lock nobody renews must still come back within a day. */
    public static final Duration MAX_LEASE_TIME = Duration.ofHours(24);
    /** The longest wait: bounds how long a waiter can occupy a backend queue slot. */
    public static final Duration MAX_WAIT_TIMEOUT = Duration.ofHours(24);

    /**
     * @throws InvalidLockRequestException if a value is null or out of its documented range
     */
    public LockOptions {
        if (mode == null) {
            throw new InvalidLockRequestException("lock mode is null; use LockMode.exclusive(), fair(), read(), "
                    + "write() or semaphore(permits, capacity)");
        }
        if (leaseTime == null || leaseTime.isNegative() || leaseTime.isZero()
                || leaseTime.compareTo(MAX_LEASE_TIME) > 0) {
            throw new InvalidLockRequestException("lease time must be positive and at most "
                    + MAX_LEASE_TIME.toHours() + " hours, was " + describe(leaseTime));
        }
        if (waitTimeout == null || waitTimeout.isNegative() || waitTimeout.compareTo(MAX_WAIT_TIMEOUT) > 0) {
            throw new InvalidLockRequestException("wait timeout must be between 0 (do not wait) and "
                    + MAX_WAIT_TIMEOUT.toHours() + " hours, was " + describe(waitTimeout));
        }
    }

    /** Options for {@code mode} with every other value at its default. */
    public static LockOptions of(LockMode mode) {
        return new LockOptions(mode, DEFAULT_LEASE_TIME, DEFAULT_WAIT_TIMEOUT, true, false);
    }

    /** An exclusive lock (waiter order unspecified), default lease, wait and renewal. */
    public static LockOptions exclusive() {
        return of(LockMode.exclusive());
    }

    /** A fair (FIFO) exclusive lock. */
    public static LockOptions fair() {
        return of(LockMode.fair());
    }

    /** The read side of a read-write lock. */
    public static LockOptions read() {
        return of(LockMode.read());
    }

    /** The write side of a read-write lock. */
    public static LockOptions write() {
        return of(LockMode.write());
    }

    /** One permit of a semaphore of {@code capacity} permits; see {@link #withPermits(int)}. */
    public static LockOptions semaphore(int capacity) {
        return of(LockMode.semaphore(1, capacity));
    }

    /** These options with another lease time. */
    public LockOptions withLeaseTime(Duration leaseTime) {
        return new LockOptions(mode, leaseTime, waitTimeout, autoRenew, reentrant);
    }

    /** These options with another wait timeout ({@link Duration#ZERO}: do not wait). */
    public LockOptions withWaitTimeout(Duration waitTimeout) {
        return new LockOptions(mode, leaseTime, waitTimeout, autoRenew, reentrant);
    }

    /** These options with the renewal watchdog switched on or off. */
    public LockOptions withAutoRenew(boolean autoRenew) {
        return new LockOptions(mode, leaseTime, waitTimeout, autoRenew, reentrant);
    }

    /** These options with {@link LockLease#reenter()} allowed on the resulting handle. */
    public LockOptions withReentrancy() {
        return new LockOptions(mode, leaseTime, waitTimeout, autoRenew, true);
    }

    /**
     * These semaphore options taking {@code permits} permits.
     *
     * @throws InvalidLockRequestException if the mode is not a semaphore, or permits is out of
     *                                     {@code 1..capacity}
     */
    public LockOptions withPermits(int permits) {
        if (!(mode instanceof LockMode.Semaphore semaphore)) {
            throw new InvalidLockRequestException("permits apply only to semaphores; this request is " + mode
                    + ", use LockOptions.semaphore(capacity).withPermits(n)");
        }
        return new LockOptions(LockMode.semaphore(permits, semaphore.capacity()), leaseTime, waitTimeout,
                autoRenew, reentrant);
    }

    /** {@link #leaseTime()} in nanoseconds (never overflows: it is at most a day). */
    public long leaseNanos() {
        return leaseTime.toNanos();
    }

    /** {@link #waitTimeout()} in nanoseconds. */
    public long waitNanos() {
        return waitTimeout.toNanos();
    }

    private static String describe(Duration d) {
        return d == null ? "null" : d.toString();
    }
}
