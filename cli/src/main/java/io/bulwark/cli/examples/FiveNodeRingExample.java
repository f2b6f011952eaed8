package io.bulwark.cli.examples;

import io.bulwark.ring.HashRing;
import io.bulwark.ring.Node;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The consistent-hashing example of the project's design note, done properly: a ring of five nodes,
 * items placed on it, one node removed, and proof that only that node's items moved.
 *
 * <p>Run it with {@code java -cp cli/target/bulwark.jar io.bulwark.cli.examples.FiveNodeRingExample}
 * (or see it as the first step of {@code ./bulwark demo}).
 */
public final class FiveNodeRingExample {

    private FiveNodeRingExample() {
    }

    /** Runs the example, printing to {@code out}; returns whether only the removed node's items moved. */
    public static boolean run(PrintStream out) {
        // 1. A ring of five equal nodes (4096 points each by default).
        HashRing ring = HashRing.of(Node.of("node1"), Node.of("node2"), Node.of("node3"), Node.of("node4"),
                Node.of("node5"));

        // 2. Place items: each goes to the first ring point at or after its hash.
        Map<String, String> placement = new LinkedHashMap<>();
        for (int i = 1; i <= 10_000; i++) {
            String item = "item" + i;
            placement.put(item, ring.locate(item).id());
        }
        for (int i = 1; i <= 5; i++) {
            out.printf("  item%d -> %s%n", i, placement.get("item" + i));
        }

        // 3. Remove a node: a new immutable ring; the old one is untouched.
        HashRing smaller = ring.without("node3");

        // 4. Only node3's items move; every other item stays where it was.
        int moved = 0;
        int movedFromOthers = 0;
        for (Map.Entry<String, String> e : placement.entrySet()) {
            String now = smaller.locate(e.getKey()).id();
            if (!now.equals(e.getValue())) {
                moved++;
                if (!e.getValue().equals("node3")) {
                    movedFromOthers++;
                }
            }
        }
        long onNode3 = placement.values().stream().filter("node3"::equals).count();
        out.printf("  removed node3: %d of 10000 items moved, node3 held %d, items moved from other nodes: %d%n",
                moved, onNode3, movedFromOthers);
        return moved == onNode3 && movedFromOthers == 0;
    }

    /** Runs the example; exits 1 if anything but node3's items moved. */
    public static void main(String[] args) {
        System.exit(run(System.out) ? 0 : 1);
    }
}
