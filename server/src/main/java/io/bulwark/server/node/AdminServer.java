package io.bulwark.server.node;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.bulwark.client.protocol.NodeStatus;
import io.bulwark.server.replication.DriverMetrics;
import io.bulwark.server.replication.TransportStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.ToDoubleFunction;

/**
 * A node's admin HTTP endpoint (plain HTTP on its own port, meant for operators and monitoring on a trusted
 * network):
 * <ul>
 *   <li>{@code GET /health}: {@code 200 {"status":"up",...}} while the node's replicas run, {@code 503} once
 *       they stopped on a fatal error (e.g. a failed fsync);</li>
 *   <li>{@code GET /status}: the node's partitions (role, leader, chosen and applied index, lag behind the
 *       leader where this node leads, newest snapshot index, snapshots taken and installed), log, snapshot and
 *       transport counters, as JSON;</li>
 *   <li>{@code GET /metrics}: the same counters and client request timings in Prometheus text format
 *       (Micrometer).</li>
 * </ul>
 * Thread-safety: thread-safe.
 */
final class AdminServer implements AutoCloseable {

    private final BulwarkNode node;
    private final HttpServer server;
    private final ExecutorService executor;

    AdminServer(BulwarkNode node, InetSocketAddress bind, PrometheusMeterRegistry registry) throws IOException {
        this.node = node;
        this.server = HttpServer.create(bind, 16);
        this.executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "bulwark-node-" + node.nodeId() + "-admin");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/health", ex -> {
            boolean up = node.replicas().isRunning();
            respond(ex, up ? 200 : 503, "application/json", "{\"status\":\"" + (up ? "up" : "failed") + "\",\"node\":"
                    + node.nodeId() + (up ? "" : ",\"error\":" + json(node.replicas().failure().map(String::valueOf)
                    .orElse("stopped"))) + "}");
        });
        server.createContext("/status", ex -> respond(ex, 200, "application/json", statusJson()));
        server.createContext("/metrics", ex -> respond(ex, 200, "text/plain; version=0.0.4; charset=utf-8",
                registry.scrape()));
        server.createContext("/", ex -> respond(ex, 404, "text/plain", "endpoints: /health /status /metrics\n"));
        server.start();
    }

    /** Registers the node's gauges and counters in {@code registry}. */
    static void bind(BulwarkNode node, PrometheusMeterRegistry registry) {
        counter(registry, node, "bulwark.log.fsyncs", "fsyncs of the node's shared write-ahead log", m -> m.fsyncs());
        counter(registry, node, "bulwark.log.group.commits", "group commits (one fsync covering every partition)",
                m -> m.groupCommits());
        counter(registry, node, "bulwark.log.readies.synced", "replica outputs made durable by group commits",
                m -> m.readiesSynced());
        counter(registry, node, "bulwark.commands.applied", "client commands applied (duplicates excluded)",
                m -> m.commandsApplied());
        counter(registry, node, "bulwark.commands.proposed", "client commands proposed as leader",
                m -> m.commandsProposed());
        counter(registry, node, "bulwark.peer.inbox.dropped", "peer messages dropped on a full inbox",
                m -> m.messagesDropped());
        counter(registry, node, "bulwark.snapshots.taken", "snapshots partitions took of their own state",
                m -> m.snapshotsTaken());
        counter(registry, node, "bulwark.snapshots.installed",
                "snapshots installed from a leader by partitions behind its compacted log", m -> m.snapshotsInstalled());
        counter(registry, node, "bulwark.log.segments.deleted", "shared-log segments deleted after compaction",
                m -> m.logSegmentsDeleted());
        transport(registry, node, "bulwark.peer.messages.sent", t -> t.messagesSent());
        transport(registry, node, "bulwark.peer.messages.received", t -> t.messagesReceived());
        transport(registry, node, "bulwark.peer.write.batches", t -> t.writeBatches());
        Gauge.builder("bulwark.partitions.hosted", node, n -> n.hostedPartitions().size())
                .description("partitions this node holds a replica of").register(registry);
        Gauge.builder("bulwark.partitions.led", node, n -> n.status().partitions().stream()
                .filter(r -> r.role().equals("LEADER") && r.partition() < n.spec().partitions()).count())
                .description("partitions this node leads").register(registry);
        Gauge.builder("bulwark.metadata.leader", node, n -> n.status().partitions().stream()
                .anyMatch(r -> r.role().equals("LEADER") && r.partition() == n.spec().metadataGroup()) ? 1 : 0)
                .description("1 while this node leads the cluster's metadata group (and so drives placement)")
                .register(registry);
        Gauge.builder("bulwark.up", node, n -> n.replicas().isRunning() ? 1 : 0)
                .description("1 while the node's replicas run").register(registry);
    }

    private static void counter(PrometheusMeterRegistry registry, BulwarkNode node, String name, String help,
                                ToDoubleFunction<DriverMetrics> f) {
        FunctionCounter.builder(name, node, n -> f.applyAsDouble(n.replicas().metrics())).description(help)
                .register(registry);
    }

    private static void transport(PrometheusMeterRegistry registry, BulwarkNode node, String name,
                                  ToDoubleFunction<TransportStats> f) {
        FunctionCounter.builder(name, node, n -> f.applyAsDouble(n.replicas().transportStats())).register(registry);
    }

    static PrometheusMeterRegistry registry() {
        return new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    }

    InetSocketAddress address() {
        return server.getAddress();
    }

    private static String jsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (ch < 0x20) {
                        b.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) ch));
                    } else {
                        b.append(ch);
                    }
                }
            }
        }
        return b.append('"').toString();
    }

    private String statusJson() {
        NodeStatus s = node.status();
        DriverMetrics m = node.replicas().metrics();
        StringBuilder sb = new StringBuilder();
        sb.append("{\"node\":").append(s.nodeId()).append(",\"up\":").append(node.replicas().isRunning())
                .append(",\"uptimeMs\":").append(s.uptimeMs())
                .append(",\"clientConnections\":").append(node.clientConnections())
                .append(",\"placement\":").append(jsonString(node.placementState()))
                .append(",\"log\":{\"fsyncs\":").append(m.fsyncs()).append(",\"groupCommits\":").append(m.groupCommits())
                .append(",\"readiesPerGroupCommit\":").append(String.format(java.util.Locale.ROOT, "%.2f",
                        m.readiesPerGroupCommit()))
                .append(",\"commandsApplied\":").append(m.commandsApplied())
                .append(",\"segments\":").append(logSegments())
                .append(",\"segmentsDeleted\":").append(m.logSegmentsDeleted())
                .append(",\"snapshotsTaken\":").append(m.snapshotsTaken())
                .append(",\"snapshotsInstalled\":").append(m.snapshotsInstalled()).append("},\"partitions\":[");
        boolean first = true;
        int[][] replicas = node.topology().replicas();
        for (NodeStatus.Replica r : s.partitions()) {
            sb.append(first ? "" : ",").append("{\"partition\":").append(r.partition())
                    .append(r.partition() == node.spec().metadataGroup() ? ",\"metadata\":true" : "").append(",\"role\":\"")
                    .append(r.role()).append("\",\"leader\":").append(r.leaderHint()).append(",\"chosenIndex\":")
                    .append(r.chosenIndex()).append(",\"appliedIndex\":").append(r.appliedIndex())
                    .append(",\"applyLag\":").append(Math.max(0, r.chosenIndex() - r.appliedIndex()))
                    .append(snapshotJson(r.partition()))
                    .append(",\"replicas\":").append(java.util.Arrays.toString(replicas[r.partition()])
                            .replace(" ", "")).append('}');
            first = false;
        }
        return sb.append("]}").toString();
    }

    /** The partition's snapshot fields, or nothing if it left this node since the status was read. */
    private String snapshotJson(int partition) {
        io.bulwark.server.replication.DriverStatus d;
        try {
            d = node.replicas().status(partition);
        } catch (IllegalArgumentException removedMeanwhile) {
            return "";
        }
        return ",\"snapshotIndex\":" + d.snapshotIndex() + ",\"snapshotsTaken\":" + d.snapshotsTaken()
                + ",\"snapshotsInstalled\":" + d.snapshotsInstalled();
    }

    private int logSegments() {
        try {
            return node.replicas().logSegments().size();
        } catch (IOException e) {
            return -1;
        }
    }

    private static String json(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ") + "\"";
    }

    private static void respond(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
            bytes = "only GET\n".getBytes(StandardCharsets.UTF_8);
            code = 405;
        }
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
