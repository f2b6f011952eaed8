package io.bulwark.lock.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;

/** A test's own Redis server and one plain Lettuce connection to it, closed together. */
record RedisWithConnection(LocalRedisServer server, RedisClient client, StatefulRedisConnection<String, String> connection)
        implements AutoCloseable {

    static RedisWithConnection start() throws Exception {
        LocalRedisServer server = LocalRedisServer.start();
        RedisClient client = RedisClient.create(server.uri());
        return new RedisWithConnection(server, client, client.connect());
    }

    @Override
    public void close() throws Exception {
        try {
            connection.close();
            client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        } finally {
            server.close();
        }
    }
}
