package io.bulwark.client;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How a {@link BulwarkClient} connects and how long it tries.
 *
 * @param seeds          client addresses of one or more nodes; the rest of the cluster is learned from them
 * @param requestTimeout how long one operation may take, retries included (default 10 s)
 * @param attemptTimeout how long one attempt at one node may take before the next replica is tried
 *                       (default 1 s: a paused node must not hold a request for the whole timeout)
 * @param connectTimeout how long opening a connection may take (default 1 s)
 */
public record ClientOptions(List<InetSocketAddress> seeds, Duration requestTimeout, Duration attemptTimeout,
                            Duration connectTimeout) {

    public ClientOptions {
        seeds = List.copyOf(seeds);
        if (seeds.isEmpty()) {
            throw new IllegalArgumentException("give at least one node address to connect to");
        }
        requirePositive(requestTimeout, "requestTimeout");
        requirePositive(attemptTimeout, "attemptTimeout");
        requirePositive(connectTimeout, "connectTimeout");
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
    }

    public static ClientOptions of(List<InetSocketAddress> seeds) {
        return new ClientOptions(seeds, Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofSeconds(1));
    }

    /**
     * Parses {@code host:port[,host:port...]}.
     *
     * @throws IllegalArgumentException naming the bad entry
     */
    public static ClientOptions parse(String endpoints) {
        List<InetSocketAddress> list = new ArrayList<>();
        for (String part : endpoints.split(",")) {
            String e = part.strip();
            if (e.isEmpty()) {
                continue;
            }
            int colon = e.lastIndexOf(':');
            if (colon <= 0 || colon == e.length() - 1) {
                throw new IllegalArgumentException("endpoint '" + e + "' is not host:port");
            }
            int port;
            try {
                port = Integer.parseInt(e.substring(colon + 1));
            } catch (NumberFormatException nfe) {
                throw new IllegalArgumentException("endpoint '" + e + "' has a bad port");
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("endpoint '" + e + "' has a port outside [1, 65535]");
            }
            list.add(InetSocketAddress.createUnresolved(e.substring(0, colon), port));
        }
        return of(list);
    }

    public ClientOptions withRequestTimeout(Duration d) {
        return new ClientOptions(seeds, d, attemptTimeout, connectTimeout);
    }

    public ClientOptions withAttemptTimeout(Duration d) {
        return new ClientOptions(seeds, requestTimeout, d, connectTimeout);
    }
}
