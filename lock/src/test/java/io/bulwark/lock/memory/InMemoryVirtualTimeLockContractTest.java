package io.bulwark.lock.memory;

import io.bulwark.lock.kit.LockBackendContractTest;
import io.bulwark.lock.kit.LockBackendFixture;

/** The full contract kit on the in-memory backend in virtual time: every timing assertion is exact. */
class InMemoryVirtualTimeLockContractTest extends LockBackendContractTest {

    @Override
    protected LockBackendFixture createFixture() {
        return InMemoryLockBackendFixture.virtualTime();
    }
}
