package io.bulwark.client;

import io.bulwark.client.protocol.Wire;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * For {@code bench transport} only: one client connection of Bulwark's own protocol — the same
 * {@link NodeConnection} every {@link BulwarkClient} uses (framing, CRC32C, pipelining, batched writes) — sending
 * a request whose payload the peer answers as it is. Lives in the client's package (in the bench module) to
 * reach the connection without making it public API.
 */
public final class TransportProbe implements AutoCloseable {

    private final NodeConnection connection;

    private TransportProbe(NodeConnection connection) {
        this.connection = connection;
    }

    public static TransportProbe open(InetSocketAddress address) throws IOException {
        return new TransportProbe(NodeConnection.open(0, address, 5_000));
    }

    /** Sends {@code payload} in one request frame; completes with the answer's body. */
    public CompletableFuture<byte[]> echo(byte[] payload) {
        long id = connection.nextRequestId();
        return connection.send(id, Wire.writeRequest(id, 0, 1, id, payload), TimeUnit.SECONDS.toNanos(10))
                .thenApply(Wire.Response::body);
    }

    @Override
    public void close() {
        connection.close();
    }
}
