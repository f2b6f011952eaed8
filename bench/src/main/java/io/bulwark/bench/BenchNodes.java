package io.bulwark.bench;

import io.bulwark.ring.Node;
import java.util.ArrayList;
import java.util.List;

/**
 * The node sets the benchmarks place keys on: ids {@code node-00000}, {@code node-00001}, ..., weight 1,
 * and optionally a zone {@code zone-(i mod zones)}. Fixed ids keep every run on the same ring.
 */
final class BenchNodes {

    private BenchNodes() {
    }

    /** {@code count} nodes of weight 1 without zones. */
    static List<Node> plain(int count) {
        List<Node> nodes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            nodes.add(Node.of(id(i)));
        }
        return nodes;
    }

    /** {@code count} nodes of weight 1 spread round-robin over {@code zones} zones. */
    static List<Node> zoned(int count, int zones) {
        List<Node> nodes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            nodes.add(Node.of(id(i), 1.0, "zone-" + (i % zones)));
        }
        return nodes;
    }

    /** The id of node {@code i}. */
    static String id(int i) {
        return String.format("node-%05d", i);
    }
}
