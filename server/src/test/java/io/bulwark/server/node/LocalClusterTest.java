package io.bulwark.server.node;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** A test that starts a {@link LocalCluster} in its temporary directory; the cluster is closed after each test. */
abstract class LocalClusterTest {

    @TempDir
    Path dir;
    LocalCluster cluster;

    @AfterEach
    void closeCluster() {
        if (cluster != null) {
            cluster.close();
        }
    }
}
