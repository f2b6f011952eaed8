package io.bulwark.lock.redis;

import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockClientOptions;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockLostException;
import io.bulwark.lock.LockOptions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The holder that {@link PausedHolderProcessTest} freezes: a client process that takes a lock with a short,
 * auto-renewed lease, checks it is valid, and then "pauses" (the test SIGSTOPs it here) before the write the
 * check was for. On resume it makes that write without checking again, exactly as a real holder that was
 * paused between check and write would, and reports what its lease says afterwards.
 *
 * <p>Arguments: Redis URI, key prefix, lock name, lease in ms. Protocol (stdout): {@code TOKEN t},
 * {@code RENEWED deadlineAdvanceMs}, {@code CHECKED valid}, then after the {@code WRITE} command
 * {@code WRITE t}, {@code VALID bool}, {@code LOST reason} (from onLost), {@code CLOSE outcome}, {@code BYE}.
 */
public final class PausedHolderMain {

    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(20);

    private PausedHolderMain() {
    }

    public static void main(String[] args) throws Exception {
        ParentLink parent = ParentLink.start(Duration.ofSeconds(60));
        String lockName = args[2];
        Duration lease = Duration.ofMillis(Long.parseLong(args[3]));
        RedisLockBackend backend = RedisLockBackend.create(RedisLockBackendOptions.of(args[0]).withKeyPrefix(args[1])
                .withCommandTimeout(Duration.ofSeconds(1)));
        LockClient locks = LockClient.create(backend, LockClientOptions.defaults().withClientName("paused-holder"));
        try {
            LockLease held = locks.acquire(lockName, LockOptions.exclusive().withLeaseTime(lease)
                    .withWaitTimeout(STEP_TIMEOUT).withAutoRenew(true));
            CompletableFuture<LockLostException> lost = new CompletableFuture<>();
            held.onLost(lost::complete);
            parent.report("TOKEN " + held.fencingToken());

            // Hold past the original lease on renewals alone, so that losing it later is the pause's doing and
            // not a watchdog that never ran.
            long firstDeadline = held.leaseDeadlineNanos();
            long stopAt = System.nanoTime() + STEP_TIMEOUT.toNanos();
            while (held.leaseDeadlineNanos() - firstDeadline < lease.toNanos() && held.isValid()) {
                if (System.nanoTime() - stopAt > 0) {
                    throw new IllegalStateException("lease was not renewed past its first lease time within "
                            + STEP_TIMEOUT.toMillis() + " ms");
                }
                LockSupport.parkNanos(5_000_000); // bounded by stopAt
            }
            held.ensureValid();
            parent.report("RENEWED " + TimeUnit.NANOSECONDS.toMillis(held.leaseDeadlineNanos() - firstDeadline));

            parent.report("CHECKED " + held.isValid());
            // The pause point: the test stops this process here, lets the lease lapse, and lets another client in.
            parent.awaitCommand("WRITE", STEP_TIMEOUT);
            parent.report("WRITE " + held.fencingToken()); // the late write, sent on the strength of the old check

            parent.report("VALID " + held.isValid());
            try {
                LockLostException loss = lost.get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                parent.report("LOST " + loss.reason());
            } catch (java.util.concurrent.TimeoutException e) {
                parent.report("LOST none");
            }
            try {
                held.close();
                parent.report("CLOSE released");
            } catch (LockLostException e) {
                parent.report("CLOSE lost " + e.reason());
            }
        } finally {
            locks.close();
            backend.close();
        }
        parent.report("BYE");
        System.exit(0); // do not wait for non-daemon threads of the Redis client
    }
}
