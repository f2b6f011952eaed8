package io.bulwark.lock;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.lock.kit.ManualLockTimer;
import io.bulwark.lock.memory.InMemoryLockBackend;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A lease whose handles become unreachable without close stops renewing and expires. Needs the garbage
 * collector, so it waits for the cleaner with a real-time deadline; everything else is virtual time.
 */
class LeakedLeaseTest {

    @Test
    void anUnreachableHandleStopsRenewingAndTheLeaseExpires() {
        ManualLockTimer timer = new ManualLockTimer();
        InMemoryLockBackend backend = InMemoryLockBackend.create(timer);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LockClient client = LockClient.create(backend, LockClientOptions.defaults().withMeterRegistry(registry));

        leakALease(client);

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (registry.get("bulwark.lock.leases.leaked").counter().count() < 1) {
            assertThat(System.nanoTime() - deadline).as("cleaner did not run within 20 s").isNegative();
            System.gc();
            LockSupport.parkNanos(10_000_000);
        }
        assertThat(registry.get("bulwark.lock.held").gauge().value()).isZero();
        timer.advance(Duration.ofSeconds(10));
        assertThat(backend.describe(LockName.of("leak")).join().isIdle()).as("expired without renewal").isTrue();
        client.close();
        backend.close();
    }

    private static void leakALease(LockClient client) {
        try {
            client.acquire("leak", LockOptions.exclusive().withLeaseTime(Duration.ofSeconds(3)));
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
