package io.bulwark.lock.redis;

import io.bulwark.lock.kit.LockBackendContractTest;
import io.bulwark.lock.kit.LockBackendFixture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The whole lock contract kit against the Redis backend on a real {@code redis-server}. */
class RedisLockContractTest extends LockBackendContractTest {

    private static LocalRedisServer server;

    @BeforeAll
    static void startRedis() throws Exception {
        server = LocalRedisServer.start();
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected LockBackendFixture createFixture() {
        return new RedisLockBackendFixture(server);
    }
}
