package io.bulwark.cli;

import java.util.List;

/** JVM options of the node processes the CLI starts: small heaps, so a laptop runs several nodes. */
final class ClusterJvm {

    private ClusterJvm() {
    }

    static List<String> nodeArgs() {
        return List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Xss512k");
    }
}
