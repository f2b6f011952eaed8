package io.bulwark.lock;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;

/**
 * Settings of one {@link LockClient}: its name, how much of every lease it refuses to trust, and where
 * its metrics go. Immutable; validated on construction; thread-safe.
 *
 * <p>The client treats a lease as expired at {@code leaseStart + leaseTime - safetyMargin(leaseTime)},
 * where {@code leaseStart} is a moment no later than the one the backend started the lease from
 * (for most backends: when the request was sent) and
 * {@code safetyMargin(lease) = safetyMargin + ceil(lease * clockDriftRate)}. The fixed part covers
 * the time between the client's deadline check and the protected write; the proportional part covers
 * the client's clock running slow relative to the backend's. With these defaults a 30 s lease is
 * trusted for 29.69 s.
 *
 * @param clientName     appears in owner ids, logs and the {@code client} metric tag; 1 to 64 characters of
 *                       {@code [A-Za-z0-9._-]}
 * @param instanceId     distinguishes this client's owner ids from those of every other client, including
 *                       earlier runs of the same program with the same name (so a restarted process can
 *                       never renew or release a lease of its previous life); random by default, set it
 *                       from a seed in simulations
 * @param safetyMargin   fixed part of the margin; {@code [0, 1 minute]}
 * @param clockDriftRate proportional part of the margin; {@code [0, 0.5)}. 0.01 allows the client clock to
 *                       run 1% slow relative to the backend's, far beyond real quartz drift (~0.01%)
 *                       but not beyond VM pauses of the clock source
 * @param meterRegistry  where metrics are registered (see {@link LockClient} for the meter names)
 * @param callbackExecutor where user code handed to the client runs: {@code onLost} callbacks and the
 *                       completions of the futures it returns ({@code acquireAsync}, {@code closeAsync},
 *                       {@code describe}), so they may block; {@code null} (the default) for a shared pool of
 *                       daemon threads. Backends complete their own futures on their I/O threads, which user
 *                       code must never occupy: a blocking call there could wait for an answer that only that
 *                       thread can deliver.
 */
public record LockClientOptions(String clientName, long instanceId, Duration safetyMargin, double clockDriftRate,
                                MeterRegistry meterRegistry, Executor callbackExecutor) {

    /** Fixed part of the safety margin unless set. */
    public static final Duration DEFAULT_SAFETY_MARGIN = Duration.ofMillis(5);
    /** Proportional part of the safety margin unless set. */
    public static final double DEFAULT_CLOCK_DRIFT_RATE = 0.01;

    private static final Pattern CLIENT_NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Duration MAX_SAFETY_MARGIN = Duration.ofMinutes(1);

    /**
     * @throws IllegalArgumentException if a value is null or out of its documented range
     */
    public LockClientOptions {
        if (clientName == null || !CLIENT_NAME.matcher(clientName).matches()) {
            throw new IllegalArgumentException("client name must be 1 to 64 characters of [A-Za-z0-9._-], was "
                    + (clientName == null ? "null" : "\"" + clientName + "\""));
        }
        if (safetyMargin == null || safetyMargin.isNegative() || safetyMargin.compareTo(MAX_SAFETY_MARGIN) > 0) {
            throw new IllegalArgumentException("safety margin must be between 0 and 1 minute, was " + safetyMargin);
        }
        if (!(clockDriftRate >= 0 && clockDriftRate < 0.5)) {
            throw new IllegalArgumentException("clock drift rate must be in [0, 0.5), was " + clockDriftRate);
        }
        if (meterRegistry == null) {
            throw new IllegalArgumentException("meter registry is null; pass a registry, or use defaults() "
                    + "which records into a private SimpleMeterRegistry");
        }
    }

    /** Options with the default callback executor (a shared pool of daemon threads). */
    public LockClientOptions(String clientName, long instanceId, Duration safetyMargin, double clockDriftRate,
                             MeterRegistry meterRegistry) {
        this(clientName, instanceId, safetyMargin, clockDriftRate, meterRegistry, null);
    }

    /**
     * Defaults: name {@code "lock-client"}, a random instance id, 5 ms + 1% safety margin, and a private
     * {@link SimpleMeterRegistry} (metrics are recorded but exported nowhere until you pass your registry).
     */
    public static LockClientOptions defaults() {
        return new LockClientOptions("lock-client", new SecureRandom().nextLong(), DEFAULT_SAFETY_MARGIN,
                DEFAULT_CLOCK_DRIFT_RATE, new SimpleMeterRegistry());
    }

    /** These options with another client name. */
    public LockClientOptions withClientName(String clientName) {
        return new LockClientOptions(clientName, instanceId, safetyMargin, clockDriftRate, meterRegistry, callbackExecutor);
    }

    /** These options with another instance id (simulations derive it from their seed). */
    public LockClientOptions withInstanceId(long instanceId) {
        return new LockClientOptions(clientName, instanceId, safetyMargin, clockDriftRate, meterRegistry, callbackExecutor);
    }

    /** These options with another safety margin: fixed part and clock drift rate. */
    public LockClientOptions withSafetyMargin(Duration safetyMargin, double clockDriftRate) {
        return new LockClientOptions(clientName, instanceId, safetyMargin, clockDriftRate, meterRegistry, callbackExecutor);
    }

    /** These options recording metrics into {@code meterRegistry}. */
    public LockClientOptions withMeterRegistry(MeterRegistry meterRegistry) {
        return new LockClientOptions(clientName, instanceId, safetyMargin, clockDriftRate, meterRegistry, callbackExecutor);
    }

    /**
     * These options running callbacks and future completions on {@code executor} (for instance
     * {@code Runnable::run} in a deterministic test, or an application's own pool); null for the default.
     */
    public LockClientOptions withCallbackExecutor(Executor executor) {
        return new LockClientOptions(clientName, instanceId, safetyMargin, clockDriftRate, meterRegistry, executor);
    }

    /** The margin subtracted from a lease of {@code leaseNanos}: fixed part plus the drift allowance. */
    public long safetyMarginNanos(long leaseNanos) {
        return safetyMargin.toNanos() + (long) Math.ceil(leaseNanos * clockDriftRate);
    }

    /** The id that prefixes every owner id of this client: {@code clientName/instanceId-in-hex}. */
    public String clientId() {
        return clientName + "/" + Long.toHexString(instanceId);
    }
}
