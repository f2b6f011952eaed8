package io.bulwark.lock;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The Micrometer meters of one {@link LockClient} (names listed there). Meters are created up front, so
 * recording is a map lookup and an atomic add. Lock names are never a tag: they are unbounded.
 * Thread-safe.
 */
final class LockMetrics {

    /** How an acquisition ended, the {@code outcome} tag of {@code bulwark.lock.acquire}. */
    enum AcquireResult { ACQUIRED, BUSY, TIMED_OUT, CANCELLED, FAILED }

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();
    private final Map<LockKind, Map<AcquireResult, Timer>> acquireTimers = new EnumMap<>(LockKind.class);
    private final Map<LockKind, Timer> holdTimers = new EnumMap<>(LockKind.class);
    private final Map<LockLostException.Reason, Counter> lostCounters = new EnumMap<>(LockLostException.Reason.class);
    private final Counter renewalUnavailable;
    private final Counter renewalNotHeld;
    private final Counter leaked;

    LockMetrics(MeterRegistry registry, String clientId, Collection<?> pending, Collection<?> open) {
        this.registry = registry;
        for (LockKind kind : LockKind.values()) {
            Map<AcquireResult, Timer> byResult = new EnumMap<>(AcquireResult.class);
            for (AcquireResult result : AcquireResult.values()) {
                byResult.put(result, add(Timer.builder("bulwark.lock.acquire")
                        .description("time from an acquire call to its outcome")
                        .tag("client", clientId).tag("kind", tag(kind)).tag("outcome", tag(result))
                        .register(registry)));
            }
            acquireTimers.put(kind, byResult);
            holdTimers.put(kind, add(Timer.builder("bulwark.lock.hold")
                    .description("time from grant to release or loss")
                    .tag("client", clientId).tag("kind", tag(kind)).register(registry)));
        }
        for (LockLostException.Reason reason : LockLostException.Reason.values()) {
            lostCounters.put(reason, add(Counter.builder("bulwark.lock.leases.lost")
                    .description("leases that stopped being valid before they were closed")
                    .tag("client", clientId).tag("reason", tag(reason)).register(registry)));
        }
        renewalUnavailable = add(Counter.builder("bulwark.lock.renewal.failures")
                .description("renewals that failed").tag("client", clientId).tag("reason", "unavailable")
                .register(registry));
        renewalNotHeld = add(Counter.builder("bulwark.lock.renewal.failures")
                .description("renewals that failed").tag("client", clientId).tag("reason", "not_held")
                .register(registry));
        leaked = add(Counter.builder("bulwark.lock.leases.leaked")
                .description("leases whose handles were garbage-collected without close()")
                .tag("client", clientId).register(registry));
        // Gauges hold their collection weakly; the client holds it strongly for its life.
        add(Gauge.builder("bulwark.lock.waiters", pending, Collection::size)
                .description("acquisitions of this client waiting for an outcome")
                .tag("client", clientId).register(registry));
        add(Gauge.builder("bulwark.lock.held", open, Collection::size)
                .description("open leases of this client").tag("client", clientId).register(registry));
    }

    void acquireEnded(LockKind kind, AcquireResult result, long nanos) {
        acquireTimers.get(kind).get(result).record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    void holdEnded(LockKind kind, long nanos) {
        holdTimers.get(kind).record(Math.max(0, nanos), TimeUnit.NANOSECONDS);
    }

    void renewalFailed(boolean notHeld) {
        (notHeld ? renewalNotHeld : renewalUnavailable).increment();
    }

    void leaseLost(LockLostException.Reason reason) {
        lostCounters.get(reason).increment();
    }

    void leaseLeaked() {
        leaked.increment();
    }

    /** Removes this client's meters, so a closed client does not report stale gauges forever. */
    void close() {
        for (Meter meter : meters) {
            registry.remove(meter);
        }
    }

    private <M extends Meter> M add(M meter) {
        meters.add(meter);
        return meter;
    }

    private static String tag(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT);
    }
}
