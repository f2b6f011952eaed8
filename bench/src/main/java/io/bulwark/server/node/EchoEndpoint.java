package io.bulwark.server.node;

import io.bulwark.client.protocol.Wire;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * For {@code bench transport} only: a node's client endpoint — the same {@link ClientService} every node runs
 * (its accept loop, connection threads, framing and checksums) — answering every request with its own payload.
 * Lives in the server's package (in the bench module) to reach the service without making it public API.
 */
public final class EchoEndpoint implements AutoCloseable {

    private final ClientService service;

    private EchoEndpoint(ClientService service) {
        this.service = service;
    }

    public static EchoEndpoint start(InetSocketAddress bind) throws IOException {
        return new EchoEndpoint(new ClientService(0, bind,
                (request, responder) -> responder.respond(Wire.okResponse(request.id(), request.command()))));
    }

    public InetSocketAddress address() throws IOException {
        return service.localAddress();
    }

    @Override
    public void close() {
        service.close();
    }
}
