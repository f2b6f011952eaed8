package io.bulwark.server.node;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs one node in this process until it is terminated ({@code SIGTERM}/{@code SIGINT} close it cleanly;
 * {@code kill -9} is survived by the log). Prints {@value #READY} and the client address once serving,
 * which is what process launchers wait for.
 *
 * <p>Usage: {@code NodeMain --id N --data DIR [--cluster FILE] [--tick-ms MS] [--admin HOST:PORT] [--joining]
 * [--snapshot-every-slots N] [--snapshot-every-bytes N] [--max-log-bytes N] [--failure-timeout-ms MS]} (0 turns a
 * snapshot trigger, or automatic re-placement of a failed node, off; see
 * {@link io.bulwark.server.replication.SnapshotPolicy}). The {@code bulwark server} command is the user-facing form.
 */
public final class NodeMain {

    public static final String READY = "bulwark-node-ready";

    private NodeMain() {
    }

    public static void main(String[] args) {
        Integer id = null;
        Path data = null;
        Path cluster = null;
        int tickMs = NodeConfig.DEFAULT_TICK_MS;
        java.net.InetSocketAddress admin = null;
        boolean joining = false;
        io.bulwark.server.replication.SnapshotPolicy snapshots = io.bulwark.server.replication.SnapshotPolicy.defaults();
        java.time.Duration failureTimeout = NodeConfig.DEFAULT_FAILURE_TIMEOUT;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--joining")) {
                joining = true;
                continue;
            }
            if (i + 1 >= args.length) {
                fail("option " + a + " needs a value");
            }
            String v = args[++i];
            switch (a) {
                case "--id" -> id = Integer.parseInt(v);
                case "--data" -> data = Path.of(v);
                case "--cluster" -> cluster = Path.of(v);
                case "--tick-ms" -> tickMs = Integer.parseInt(v);
                case "--admin" -> admin = parseAddress(v);
                case "--snapshot-every-slots" -> snapshots = snapshots.withEverySlots(Long.parseLong(v));
                case "--snapshot-every-bytes" -> snapshots = snapshots.withEveryBytes(Long.parseLong(v));
                case "--max-log-bytes" -> snapshots = snapshots.withMaxLogBytes(Long.parseLong(v));
                case "--failure-timeout-ms" -> failureTimeout = java.time.Duration.ofMillis(Long.parseLong(v));
                default -> fail("unknown option " + a);
            }
        }
        if (id == null || data == null) {
            fail("usage: NodeMain --id N --data DIR [--cluster FILE] [--tick-ms MS] [--admin HOST:PORT] [--joining]");
        }
        try {
            run(new NodeConfig(id, data, cluster == null ? null : ClusterSpec.read(cluster), tickMs, admin, joining)
                    .withSnapshots(snapshots).withFailureTimeout(failureTimeout));
        } catch (IOException | IllegalArgumentException e) {
            fail(e.getMessage());
        }
    }

    /** Starts the node, announces it, and blocks until the JVM is asked to exit. */
    public static void run(NodeConfig config) throws IOException {
        BulwarkNode node = BulwarkNode.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "bulwark-node-shutdown"));
        System.out.println(READY + " node " + node.nodeId() + " clients " + node.clientAddress().getHostString() + ":"
                + node.clientAddress().getPort() + " partitions " + node.hostedPartitions().size()
                + (node.adminAddress() == null ? "" : " admin http://" + node.adminAddress().getHostString() + ":"
                        + node.adminAddress().getPort()));
        System.out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Parses {@code host:port}; a bad value → {@link IllegalArgumentException} naming it. */
    public static java.net.InetSocketAddress parseAddress(String value) {
        int colon = value.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("'" + value + "' is not host:port");
        }
        try {
            return new java.net.InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' has a bad port");
        }
    }

    private static void fail(String message) {
        System.err.println("bulwark server: " + message);
        System.exit(2);
    }
}
