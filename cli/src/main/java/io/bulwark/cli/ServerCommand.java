package io.bulwark.cli;

import io.bulwark.server.node.ClusterSpec;
import io.bulwark.server.node.NodeConfig;
import io.bulwark.server.replication.SnapshotPolicy;
import io.bulwark.server.node.NodeMain;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bulwark server}: runs one node in the foreground. */
@Command(name = "server", mixinStandardHelpOptions = true,
        description = {"Run one Bulwark node in the foreground until it is stopped (Ctrl-C or SIGTERM stop it cleanly).",
            "The first start needs the cluster definition (--cluster, as written by 'cluster up' or by hand);",
            "the node keeps a copy in its data directory, so a restart needs only --id and --data."},
        footer = {"", "Example: bulwark server --id 1 --data /var/lib/bulwark --cluster cluster.conf"})
final class ServerCommand implements Callable<Integer> {

    @Option(names = "--id", required = true, description = "This node's id in the cluster definition.")
    int id;

    @Option(names = "--data", required = true, description = "The node's data directory (created if absent).")
    Path data;

    @Option(names = "--cluster", description = "The cluster definition file (cluster.conf); needed on first start.")
    Path cluster;

    @Option(names = "--tick-ms", description = "Replica tick length in ms (default: ${DEFAULT-VALUE}).")
    int tickMs = NodeConfig.DEFAULT_TICK_MS;

    @Option(names = "--admin", paramLabel = "HOST:PORT",
            description = "Serve the admin HTTP endpoint (/health, /status, /metrics) here.")
    String admin;

    @Option(names = "--joining", description = {"Join an existing cluster: host no partition on the first start and",
        "wait for 'bulwark cluster join' to move this node's share here. --cluster must name the new definition."})
    boolean joining;

    @Option(names = "--snapshot-every-slots", paramLabel = "N",
            description = "A partition snapshots after N log slots (0: not by count; default: ${DEFAULT-VALUE}).")
    long snapshotEverySlots = SnapshotPolicy.DEFAULT_EVERY_SLOTS;

    @Option(names = "--snapshot-every-bytes", paramLabel = "BYTES", description = {"... or after BYTES of commands, or",
        "its last snapshot's size if larger (0: not by bytes; default: ${DEFAULT-VALUE})."})
    long snapshotEveryBytes = SnapshotPolicy.DEFAULT_EVERY_BYTES;

    @Option(names = "--max-log-bytes", paramLabel = "BYTES", description = {"Above this, partitions holding the log's",
        "oldest segment snapshot early (0: no bound; default: ${DEFAULT-VALUE})."})
    long maxLogBytes = SnapshotPolicy.DEFAULT_MAX_LOG_BYTES;

    @Option(names = "--failure-timeout", paramLabel = "SECONDS", description = {"A member silent this long is declared",
        "failed and its replicas are re-placed on other nodes, if there are more members than the replication",
        "factor (0: never automatically; default: ${DEFAULT-VALUE})."})
    long failureTimeoutSeconds = NodeConfig.DEFAULT_FAILURE_TIMEOUT.toSeconds();

    @Override
    public Integer call() throws Exception {
        if (failureTimeoutSeconds < 0) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--failure-timeout must not be negative, was " + failureTimeoutSeconds);
        }
        ClusterSpec spec = cluster == null ? null : ClusterSpec.read(cluster);
        NodeMain.run(new NodeConfig(id, data, spec, tickMs, admin == null ? null : NodeMain.parseAddress(admin), joining)
                .withSnapshots(new SnapshotPolicy(snapshotEverySlots, snapshotEveryBytes, maxLogBytes,
                        SnapshotPolicy.DEFAULT_CHUNK_BYTES))
                .withFailureTimeout(java.time.Duration.ofSeconds(failureTimeoutSeconds)));
        return 0;
    }
}
