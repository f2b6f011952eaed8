package io.bulwark.lock.kit;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;

/**
 * The whole lock contract, for one backend: subclass it, return a fresh fixture from
 * {@link #createFixture()}, and every test of every {@code *Contract} interface runs against it.
 *
 * <pre>{@code
 * class RedisLockContractTest extends LockBackendContractTest {
 *     protected LockBackendFixture createFixture() { return new RedisFixture(redisServer); }
 * }
 * }</pre>
 *
 * <p>Each test gets a new fixture and {@link LockKit}; both are closed after it. Every test is bounded
 * ({@link Timeout}), so a backend that hangs fails instead of stalling the build.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
public abstract class LockBackendContractTest implements BackendSpiContract, MutualExclusionContract,
        FencingTokenContract, LeaseContract, FairnessContract, ReadWriteContract, SemaphoreContract,
        TimeoutAndCancellationContract, InvalidRequestContract {

    private LockKit kit;

    /** A fresh backend under test, with its time control and fault injection. */
    protected abstract LockBackendFixture createFixture();

    /** Opens the kit for one test. */
    @BeforeEach
    protected final void openKit() {
        kit = new LockKit(createFixture());
    }

    /** Closes the kit (clients, threads, fixture). */
    @AfterEach
    protected final void closeKit() {
        kit.close();
    }

    @Override
    public final LockKit kit() {
        return kit;
    }
}
