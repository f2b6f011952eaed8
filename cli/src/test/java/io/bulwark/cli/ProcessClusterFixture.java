package io.bulwark.cli;

import io.bulwark.server.node.ProcessCluster;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** What every multi-process cluster test needs: a temporary directory and a cluster stopped after each test. */
abstract class ProcessClusterFixture {

    @TempDir
    Path dir;
    /** The test's cluster, if it started one; every process of it is stopped after the test. */
    ProcessCluster cluster;

    @AfterEach
    void stopCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }
}
