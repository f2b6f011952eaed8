package io.bulwark.bench.transport;

import io.bulwark.client.TransportProbe;
import io.bulwark.server.node.EchoEndpoint;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * {@code bulwark bench transport}: the request/response path Bulwark's clients use — its own framed protocol
 * ({@code NodeConnection} to a node's {@code ClientService}: length, CRC32C, pipelined requests matched by id,
 * batched writes) — against gRPC (Netty, HTTP/2), the transport the cluster issue suggested, in the same run on
 * loopback. Both servers answer each request with its own payload and do nothing else, so what is measured is
 * the transport: framing, threads, buffers, syscalls. gRPC is set up for speed (direct executors on both sides,
 * a byte-array marshaller, no protobuf work); Bulwark's side is the production code as nodes and clients run it.
 *
 * <p>Each cell keeps N requests in flight (N lanes, each sending its next request when the last is answered) for
 * a slice of time, every cell on both transports in turn, in several rounds. Reported: round trips per second,
 * and the round-trip time from send to answer (HdrHistogram, microseconds) — at one request in flight that is
 * the transport's latency; with more it includes queueing.
 */
public final class TransportBench {

    /** What to run. */
    public record Options(Duration warmup, Duration perCell, List<Integer> inFlight, int payloadBytes, int rounds) {
        public Options {
            inFlight = List.copyOf(inFlight);
            if (inFlight.isEmpty() || inFlight.stream().anyMatch(n -> n < 1 || n > 4_096)) {
                throw new IllegalArgumentException("in-flight counts must be in [1, 4096], were " + inFlight);
            }
            if (payloadBytes < 1 || payloadBytes > 1 << 20) {
                throw new IllegalArgumentException("payload must be 1 B .. 1 MiB, was " + payloadBytes);
            }
            if (rounds < 1) {
                throw new IllegalArgumentException("rounds must be positive, was " + rounds);
            }
        }

        public static Options defaults() {
            return new Options(Duration.ofSeconds(3), Duration.ofSeconds(6), List.of(1, 16, 64), 100, 3);
        }

        public static Options quickRun() {
            return new Options(Duration.ofMillis(300), Duration.ofMillis(600), List.of(1, 8), 100, 1);
        }

        public Options withSeconds(Duration d) {
            return new Options(warmup, d, inFlight, payloadBytes, rounds);
        }

        public Options withInFlight(List<Integer> n) {
            return new Options(warmup, perCell, n, payloadBytes, rounds);
        }
    }

    /** One cell: a transport at one in-flight count. */
    public record Cell(String transport, int inFlight, long calls, double perSecond, double p50Us, double p99Us) {
    }

    /** Everything measured. */
    public record Report(List<Cell> cells) {
        public String table() {
            StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%-48s %9s %12s %14s %9s %9s%n",
                    "transport", "in flight", "round trips", "round trips/s", "p50 us", "p99 us"));
            for (Cell c : cells) {
                b.append(String.format(Locale.ROOT, "%-48s %9d %,12d %,14.0f %9.0f %9.0f%n", c.transport(),
                        c.inFlight(), c.calls(), c.perSecond(), c.p50Us(), c.p99Us()));
            }
            List<String> names = cells.stream().map(Cell::transport).distinct().toList();
            if (names.size() == 2) {
                b.append(String.format(Locale.ROOT, "%n%s / %s:", names.get(0), names.get(1)));
                for (Cell c : cells) {
                    if (c.transport().equals(names.get(0))) {
                        Cell other = cells.stream().filter(o -> o.transport().equals(names.get(1))
                                && o.inFlight() == c.inFlight()).findFirst().orElseThrow();
                        b.append(String.format(Locale.ROOT, " %d in flight: %.2fx round trips/s, %.2fx p50;",
                                c.inFlight(), c.perSecond() / other.perSecond(), c.p50Us() / other.p50Us()));
                    }
                }
                b.append(String.format(Locale.ROOT, "%n"));
            }
            return b.toString();
        }
    }

    /** A request/response transport with an echo server on loopback. */
    interface Transport extends AutoCloseable {
        String name();

        CompletableFuture<byte[]> call(byte[] payload);

        @Override
        void close();
    }

    private TransportBench() {
    }

    public static Report run(Options o, PrintStream progress) throws IOException, InterruptedException {
        PrintStream out = progress == null ? new PrintStream(java.io.OutputStream.nullOutputStream()) : progress;
        byte[] payload = new byte[o.payloadBytes()];
        new SplittableRandom(1).nextBytes(payload);
        try (Transport bulwark = bulwark(); Transport grpc = grpc()) {
            List<Transport> transports = List.of(bulwark, grpc);
            for (Transport t : transports) {
                measure(t, payload, 16, o.warmup(), null);
            }
            Map<String, Histogram> latency = new LinkedHashMap<>();
            Map<String, long[]> calls = new LinkedHashMap<>();
            for (int round = 0; round < o.rounds(); round++) {
                for (int n : o.inFlight()) {
                    for (Transport t : transports) {
                        String key = t.name() + "\u0000" + n;
                        Histogram h = latency.computeIfAbsent(key, k -> new Histogram(TimeUnit.SECONDS.toMicros(30), 3));
                        long done = measure(t, payload, n, o.perCell(), h);
                        calls.computeIfAbsent(key, k -> new long[1])[0] += done;
                    }
                }
            }
            List<Cell> cells = new ArrayList<>();
            double seconds = o.perCell().toNanos() / 1e9 * o.rounds();
            for (int n : o.inFlight()) {
                for (Transport t : transports) {
                    String key = t.name() + "\u0000" + n;
                    Histogram h = latency.get(key);
                    long done = calls.get(key)[0];
                    Cell c = new Cell(t.name(), n, done, done / seconds, h.getValueAtPercentile(50),
                            h.getValueAtPercentile(99));
                    out.printf(Locale.ROOT, "  %-48s %3d in flight: %,10.0f round trips/s, p50 %5.0f us, p99 %6.0f us%n",
                            c.transport(), n, c.perSecond(), c.p50Us(), c.p99Us());
                    cells.add(c);
                }
            }
            return new Report(cells);
        }
    }

    /** Keeps {@code lanes} calls in flight for {@code d}; returns the calls answered (recorded into {@code h}). */
    private static long measure(Transport t, byte[] payload, int lanes, Duration d, Histogram h)
            throws InterruptedException {
        long until = System.nanoTime() + d.toNanos();
        Recorder recorder = new Recorder(TimeUnit.SECONDS.toMicros(30), 3);
        AtomicLong done = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        CountDownLatch finished = new CountDownLatch(lanes);
        for (int i = 0; i < lanes; i++) {
            lane(t, payload, until, recorder, done, failed, finished);
        }
        if (!finished.await(d.toMillis() + 30_000, TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(t.name() + ": calls still unanswered 30 s after the cell ended");
        }
        if (failed.get() > 0) {
            throw new IllegalStateException(t.name() + ": " + failed.get() + " calls failed");
        }
        if (h != null) {
            h.add(recorder.getIntervalHistogram());
        }
        return done.get();
    }

    private static void lane(Transport t, byte[] payload, long until, Recorder recorder, AtomicLong done,
                             AtomicLong failed, CountDownLatch finished) {
        long sent = System.nanoTime();
        if (sent >= until) {
            finished.countDown();
            return;
        }
        t.call(payload).whenComplete((answer, error) -> {
            if (error != null || answer.length != payload.length) {
                failed.incrementAndGet();
                finished.countDown();
                return;
            }
            recorder.recordValue(Math.max(1, (System.nanoTime() - sent) / 1_000));
            done.incrementAndGet();
            lane(t, payload, until, recorder, done, failed, finished);
        });
    }

    private static InetSocketAddress loopback() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    }

    /** Bulwark's client protocol, as a node and a client run it. */
    static Transport bulwark() throws IOException {
        EchoEndpoint server = EchoEndpoint.start(loopback());
        TransportProbe client;
        try {
            client = TransportProbe.open(server.address());
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        return new Transport() {
            @Override
            public String name() {
                return "Bulwark protocol (framed TCP, CRC32C)";
            }

            @Override
            public CompletableFuture<byte[]> call(byte[] payload) {
                return client.echo(payload);
            }

            @Override
            public void close() {
                client.close();
                server.close();
            }
        };
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static final MethodDescriptor<byte[], byte[]> ECHO = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName("bulwark.bench.Echo/Echo")
            .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();

    /** gRPC over Netty (HTTP/2), unary calls, tuned: direct executors, bytes marshalled as they are. */
    static Transport grpc() throws IOException {
        ServerServiceDefinition service = ServerServiceDefinition.builder("bulwark.bench.Echo")
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(request);
                    response.onCompleted();
                })).build();
        Server server = NettyServerBuilder.forAddress(loopback()).directExecutor().addService(service).build().start();
        InetSocketAddress bound = (InetSocketAddress) server.getListenSockets().get(0);
        ManagedChannel channel = NettyChannelBuilder.forAddress(bound).usePlaintext().directExecutor().build();
        return new Transport() {
            @Override
            public String name() {
                return "gRPC " + io.grpc.internal.GrpcUtil.IMPLEMENTATION_VERSION + " (Netty, HTTP/2)";
            }

            @Override
            public CompletableFuture<byte[]> call(byte[] payload) {
                CompletableFuture<byte[]> f = new CompletableFuture<>();
                ClientCalls.asyncUnaryCall(channel.newCall(ECHO, CallOptions.DEFAULT), payload,
                        new io.grpc.stub.StreamObserver<byte[]>() {
                            @Override
                            public void onNext(byte[] value) {
                                f.complete(value);
                            }

                            @Override
                            public void onError(Throwable t) {
                                f.completeExceptionally(t);
                            }

                            @Override
                            public void onCompleted() {
                                f.complete(null);
                            }
                        });
                return f;
            }

            @Override
            public void close() {
                channel.shutdownNow();
                server.shutdownNow();
                try {
                    channel.awaitTermination(5, TimeUnit.SECONDS);
                    server.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }
}
