package io.bulwark.lock.memory;

import io.bulwark.lock.kit.LockBackendContractTest;
import io.bulwark.lock.kit.LockBackendFixture;

/**
 * The full contract kit on the in-memory backend in real time, the way networked backends will run it:
 * proves the kit itself is sound without a virtual clock.
 */
class InMemoryRealTimeLockContractTest extends LockBackendContractTest {

    @Override
    protected LockBackendFixture createFixture() {
        return InMemoryLockBackendFixture.realTime();
    }
}
