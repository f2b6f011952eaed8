package io.bulwark.bench;

import io.bulwark.client.BulwarkClient;
import io.bulwark.server.node.ProcessCluster;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A 3-node Bulwark cluster of separate processes for a benchmark, in a new directory, with a client: started
 * whole or not at all (a failed start stops what started and deletes the directory), and closed the same way.
 */
public record BenchCluster(Path dir, ProcessCluster cluster, BulwarkClient client) implements AutoCloseable {

    /**
     * Starts 3 nodes with {@code partitions} partitions x 3 replicas in a new directory named {@code prefix...} under
     * {@code parent} (null: the temporary directory).
     *
     * @param progress where node starts are reported, or null
     */
    public static BenchCluster start(Path parent, String prefix, int partitions, PrintStream progress) throws IOException {
        Path dir = parent == null ? Files.createTempDirectory(prefix)
                : Files.createTempDirectory(Files.createDirectories(parent), prefix);
        ProcessCluster cluster = null;
        try {
            cluster = ProcessCluster.create(dir.resolve("cluster"), 3, partitions, 3, ProcessCluster.DEFAULT_JVM_ARGS,
                    progress);
            return new BenchCluster(dir, cluster, BulwarkClient.connect(cluster.clientOptions()));
        } catch (IOException | RuntimeException e) {
            if (cluster != null) {
                cluster.close();
            }
            ProcessCluster.deleteDirectory(dir);
            throw e;
        }
    }

    /** Closes the client, stops every node and deletes the directory (best effort). */
    @Override
    public void close() {
        try {
            client.close();
        } finally {
            cluster.close();
            try {
                ProcessCluster.deleteDirectory(dir);
            } catch (IOException e) {
                // best effort: a temporary directory
            }
        }
    }
}
