package io.bulwark.cli;

import io.bulwark.ring.HashRing;
import io.bulwark.ring.JumpHash;
import io.bulwark.ring.KeyHashers;
import io.bulwark.ring.MaglevHash;
import io.bulwark.ring.NodeLocator;
import io.bulwark.ring.RendezvousHash;
import io.bulwark.ring.Node;
import io.bulwark.ring.RingSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bulwark ring}: builds a ring, places keys, optionally adds or removes nodes, and reports balance
 * and movement against the ideal, as text, JSON or an SVG picture.
 */
@Command(name = "ring", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Show how a consistent-hashing ring spreads keys and what moves when nodes join or leave.",
            "Keys are pre-hashed 64-bit values, deterministic for a given --seed.",
            "Exits 1 if a key moved between two nodes that stayed, for the algorithms that promise it never does"
                + " (ring, rendezvous)."})
final class RingCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--nodes", required = true, paramLabel = "N", description = "Nodes in the ring (1 to 10000).")
    int nodes;

    @Option(names = "--vnodes", paramLabel = "V", description = "Ring points per unit weight (default: ${DEFAULT-VALUE}).")
    int vnodes = RingSettings.DEFAULT_VNODES;

    @Option(names = "--slot-bits", paramLabel = "B",
            description = "Key space cut into 2^B slots (default: ${DEFAULT-VALUE}); raise for many hundreds of nodes.")
    int slotBits = RingSettings.DEFAULT_SLOT_BITS;

    @Option(names = "--keys", paramLabel = "K", description = "Keys to place (default: ${DEFAULT-VALUE}).")
    int keys = 1_000_000;

    @Option(names = "--add", paramLabel = "M", description = "Then add M nodes and report what moved.")
    int add;

    @Option(names = "--remove", paramLabel = "M", description = "Then remove M nodes and report what moved.")
    int remove;

    @Option(names = "--zones", paramLabel = "Z", description = "Spread nodes round-robin over Z zones (0 = none).")
    int zones;

    @Option(names = "--algorithm", paramLabel = "A",
            description = "ring (default), rendezvous, jump or maglev: the same report for each, to compare honestly.")
    String algorithm = "ring";

    @Option(names = "--seed", paramLabel = "S", description = "Seed for the keys (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--json", description = "Print the report as JSON (fields include peakToMean, stddev, moved, idealMoved).")
    boolean json;

    @Option(names = "--svg", paramLabel = "FILE", description = "Also draw the ring as SVG: nodes as coloured arcs, moved ranges in red.")
    Path svg;

    @Override
    public Integer call() throws IOException {
        validate();
        PrintWriter out = spec.commandLine().getOut();
        List<Node> initial = initialNodes();
        List<Node> changed = new ArrayList<>(initial);
        List<String> added = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        for (int i = 1; i <= add; i++) {
            Node n = Node.of("node-" + (nodes + i), 1.0, zoneFor(nodes + i - 1));
            changed.add(n);
            added.add(n.id());
        }
        for (int i = 0; i < remove; i++) {
            // Remove evenly spaced nodes so zones stay populated.
            String id = "node-" + (1 + (int) ((long) i * nodes / remove));
            changed.removeIf(n -> n.id().equals(id));
            removed.add(id);
        }
        NodeLocator before = build(initial);
        NodeLocator after = add == 0 && remove == 0 ? before : build(changed);
        RingReport report = RingReport.measure(before, after, keys, seed, added, removed);
        if (json) {
            out.println(report.toJson());
        } else {
            report.printText(out);
        }
        if (svg != null) {
            Files.writeString(svg, RingSvg.render(before, after, report), StandardCharsets.UTF_8);
            if (!json) {
                out.println("SVG written to " + svg);
            }
        }
        out.flush();
        // Ring and rendezvous promise that no key moves between nodes that stayed; the others do not.
        boolean promisesMinimalMovement = algorithm.equals("ring") || algorithm.equals("rendezvous");
        return report.movedBetweenStayers() == 0 || !promisesMinimalMovement ? 0 : 1;
    }

    private NodeLocator build(List<Node> list) {
        return switch (algorithm) {
            case "ring" -> HashRing.of(new RingSettings(vnodes, slotBits, KeyHashers.defaultHasher()), list);
            case "rendezvous" -> RendezvousHash.of(list);
            case "jump" -> JumpHash.of(list);
            case "maglev" -> MaglevHash.of(list, MaglevHash.recommendedTableSize(list.size()));
            default -> throw new ParameterException(spec.commandLine(),
                    "--algorithm must be ring, rendezvous, jump or maglev, was '" + algorithm + "'");
        };
    }

    private List<Node> initialNodes() {
        List<Node> list = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            list.add(Node.of("node-" + (i + 1), 1.0, zoneFor(i)));
        }
        return list;
    }

    private String zoneFor(int i) {
        return zones == 0 ? null : "zone-" + (char) ('a' + i % zones % 26) + (zones > 26 ? String.valueOf(i % zones) : "");
    }

    private void validate() {
        if (!List.of("ring", "rendezvous", "jump", "maglev").contains(algorithm)) {
            throw new ParameterException(spec.commandLine(),
                    "--algorithm must be ring, rendezvous, jump or maglev, was '" + algorithm + "'");
        }
        if (nodes < 1 || nodes > 10_000) {
            throw new ParameterException(spec.commandLine(), "--nodes must be between 1 and 10000, was " + nodes);
        }
        if (vnodes < 1 || vnodes > RingSettings.MAX_VNODES) {
            throw new ParameterException(spec.commandLine(),
                    "--vnodes must be between 1 and " + RingSettings.MAX_VNODES + ", was " + vnodes);
        }
        if (slotBits < RingSettings.MIN_SLOT_BITS || slotBits > RingSettings.MAX_SLOT_BITS) {
            throw new ParameterException(spec.commandLine(), "--slot-bits must be between "
                    + RingSettings.MIN_SLOT_BITS + " and " + RingSettings.MAX_SLOT_BITS + ", was " + slotBits);
        }
        if (keys < 1 || keys > 50_000_000) {
            throw new ParameterException(spec.commandLine(), "--keys must be between 1 and 50000000, was " + keys);
        }
        if (add < 0 || add > 10_000) {
            throw new ParameterException(spec.commandLine(), "--add must be between 0 and 10000, was " + add);
        }
        if (remove < 0 || remove >= nodes) {
            throw new ParameterException(spec.commandLine(),
                    "--remove must be between 0 and " + (nodes - 1) + " (at least one node must stay), was " + remove);
        }
        if (zones < 0 || zones > nodes) {
            throw new ParameterException(spec.commandLine(), "--zones must be between 0 and --nodes, was " + zones);
        }
        if ((long) (nodes + add) * vnodes > HashRing.MAX_TOTAL_POINTS) {
            throw new ParameterException(spec.commandLine(), "(nodes + add) x vnodes must be at most "
                    + HashRing.MAX_TOTAL_POINTS + "; lower --vnodes");
        }
    }
}
