package io.bulwark.cli;

import io.bulwark.ring.HashRing;
import io.bulwark.ring.NodeLocator;
import io.bulwark.ring.Node;
import io.bulwark.ring.XxHash64;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Balance and movement of a set of keys on a ring before and after a membership change. */
final class RingReport {

    final NodeLocator before;
    final NodeLocator after;
    final int keys;
    final long[] perNodeBefore;
    final List<String> added;
    final List<String> removed;
    private final long moved;
    private final long movedBetweenStayers;
    private final double idealMoved;
    private final double peakToMean;
    private final double stddev;

    private RingReport(NodeLocator before, NodeLocator after, int keys, long[] perNodeBefore, List<String> added,
            List<String> removed, long moved, long movedBetweenStayers, double idealMoved) {
        this.before = before;
        this.after = after;
        this.keys = keys;
        this.perNodeBefore = perNodeBefore;
        this.added = added;
        this.removed = removed;
        this.moved = moved;
        this.movedBetweenStayers = movedBetweenStayers;
        this.idealMoved = idealMoved;
        double[] targets = before.targetShares();
        double peak = 0;
        double sumSq = 0;
        for (int i = 0; i < perNodeBefore.length; i++) {
            double ratio = perNodeBefore[i] / (keys * targets[i]);
            peak = Math.max(peak, ratio);
            sumSq += (ratio - 1) * (ratio - 1);
        }
        this.peakToMean = peak;
        this.stddev = Math.sqrt(sumSq / perNodeBefore.length);
    }

    /** The hash of key number {@code i}: keys are pre-hashed 64-bit values derived from the seed. */
    static long keyHash(long seed, int i) {
        return XxHash64.INSTANCE.hash(seed * 0x9E3779B97F4A7C15L + i);
    }

    static RingReport measure(NodeLocator before, NodeLocator after, int keys, long seed, List<String> added,
            List<String> removed) {
        Map<Node, Integer> ordinal = new HashMap<>();
        for (int i = 0; i < before.size(); i++) {
            ordinal.put(before.nodes().get(i), i);
        }
        long[] counts = new long[before.size()];
        long moved = 0;
        long stayersMoved = 0;
        boolean changed = before != after;
        for (int k = 0; k < keys; k++) {
            long h = keyHash(seed, k);
            Node was = before.locate(h);
            counts[ordinal.get(was)]++;
            if (changed) {
                Node now = after.locate(h);
                if (!was.id().equals(now.id())) {
                    moved++;
                    if (contains(after, was.id()) && contains(before, now.id())) {
                        stayersMoved++;
                    }
                }
            }
        }
        double ideal = 0;
        if (changed) {
            // The share that must move: what the newcomers own after, plus what the leavers owned before.
            double addedWeight = weightOf(after, added);
            double removedWeight = weightOf(before, removed);
            double totalAfter = after.nodes().stream().mapToDouble(Node::weight).sum();
            double totalBefore = before.nodes().stream().mapToDouble(Node::weight).sum();
            double a = addedWeight / totalAfter;
            double r = removedWeight / totalBefore;
            // Leavers' keys must move; newcomers' keys must arrive; a leaver's key that lands on a
            // newcomer (expected share r * a) is one move, not two.
            ideal = keys * (a + r - r * a);
        }
        return new RingReport(before, after, keys, counts, added, removed, moved, stayersMoved, ideal);
    }

    private static boolean contains(NodeLocator locator, String id) {
        return locator.nodes().stream().anyMatch(n -> n.id().equals(id));
    }

    private static double weightOf(NodeLocator locator, List<String> ids) {
        return locator.nodes().stream().filter(n -> ids.contains(n.id())).mapToDouble(Node::weight).sum();
    }

    long moved() {
        return moved;
    }

    long movedBetweenStayers() {
        return movedBetweenStayers;
    }

    double idealMoved() {
        return idealMoved;
    }

    double peakToMean() {
        return peakToMean;
    }

    double stddev() {
        return stddev;
    }

    void printText(PrintWriter out) {
        double[] targets = before.targetShares();
        if (before instanceof HashRing ring) {
            out.printf(Locale.ROOT, "ring: %d nodes, %d points per unit weight, %d points, 2^%d slots, %d zone(s),"
                    + " fingerprint %016x%n", ring.size(), ring.settings().vnodesPerWeight(), ring.pointCount(),
                    ring.settings().slotBits(), ring.zoneCount(), ring.fingerprint());
            out.printf(Locale.ROOT, "memory: %,d bytes, %.1f KiB a node%n", ring.memoryBytes(),
                    ring.memoryBytes() / 1024.0 / ring.size());
        } else {
            out.printf(Locale.ROOT, "%s: %d nodes, fingerprint %016x%n", before.algorithm(), before.size(),
                    before.fingerprint());
        }
        out.printf(Locale.ROOT, "keys: %,d%n%n", keys);
        int n = before.size();
        int show = n <= 24 ? n : 10;
        out.printf(Locale.ROOT, "%-14s %-8s %6s %12s %8s %8s %8s%n", "node", "zone", "weight", "keys", "share", "target",
                "ratio");
        for (int i = 0; i < n; i++) {
            if (n > 24 && i == show) {
                out.printf(Locale.ROOT, "... %d more nodes ...%n", n - 2 * show);
                i = n - show;
            }
            Node node = before.nodes().get(i);
            double share = perNodeBefore[i] / (double) keys;
            out.printf(Locale.ROOT, "%-14s %-8s %6.2f %,12d %7.3f%% %7.3f%% %8.4f%n", node.id(),
                    node.zone() == null ? "-" : node.zone(), node.weight(), perNodeBefore[i], 100 * share,
                    100 * targets[i], share / targets[i]);
        }
        out.printf(Locale.ROOT, "%nbalance: peak/mean %.4f, standard deviation %.4f (relative to the target share)%n",
                peakToMean, stddev);
        if (before != after) {
            out.printf(Locale.ROOT, "%nchange: +%s -%s -> %d nodes%n", added, removed, after.size());
            out.printf(Locale.ROOT, "moved: %,d keys (%.3f%%), ideal %,.0f: %.4fx the ideal%n", moved,
                    100.0 * moved / keys, idealMoved, idealMoved == 0 ? 0 : moved / idealMoved);
            boolean promised = before.algorithm().equals("ring") || before.algorithm().equals("rendezvous");
            out.printf(Locale.ROOT, "moved between nodes that stayed: %,d%s%n", movedBetweenStayers,
                    movedBetweenStayers == 0 ? " (minimal movement holds)"
                            : promised ? "  <-- VIOLATION" : " (" + before.algorithm() + " does not promise minimal movement)");
        }
    }

    String toJson() {
        StringBuilder b = new StringBuilder(4096);
        double[] targets = before.targetShares();
        b.append("{\n");
        field(b, "algorithm", quote(before.algorithm()));
        field(b, "nodes", before.size());
        if (before instanceof HashRing ring) {
            field(b, "vnodesPerWeight", ring.settings().vnodesPerWeight());
            field(b, "points", ring.pointCount());
            field(b, "slotBits", ring.settings().slotBits());
            field(b, "zones", ring.zoneCount());
            field(b, "memoryBytes", ring.memoryBytes());
        }
        field(b, "fingerprint", "\"" + String.format("%016x", before.fingerprint()) + "\"");
        field(b, "keys", keys);
        field(b, "peakToMean", fmt(peakToMean));
        field(b, "stddev", fmt(stddev));
        field(b, "added", strings(added));
        field(b, "removed", strings(removed));
        field(b, "nodesAfter", after.size());
        field(b, "moved", moved);
        field(b, "idealMoved", fmt(idealMoved));
        field(b, "movedToIdeal", fmt(idealMoved == 0 ? 0 : moved / idealMoved));
        field(b, "movedBetweenStayers", movedBetweenStayers);
        b.append("  \"perNode\": [\n");
        for (int i = 0; i < before.size(); i++) {
            Node node = before.nodes().get(i);
            b.append("    {\"id\": ").append(quote(node.id())).append(", \"zone\": ")
                    .append(node.zone() == null ? "null" : quote(node.zone())).append(", \"weight\": ")
                    .append(fmt(node.weight())).append(", \"keys\": ").append(perNodeBefore[i])
                    .append(", \"share\": ").append(fmt(perNodeBefore[i] / (double) keys))
                    .append(", \"target\": ").append(fmt(targets[i])).append('}')
                    .append(i + 1 < before.size() ? ",\n" : "\n");
        }
        b.append("  ]\n}");
        return b.toString();
    }

    private static void field(StringBuilder b, String name, Object value) {
        b.append("  \"").append(name).append("\": ").append(value).append(",\n");
    }

    private static String fmt(double d) {
        return String.format(Locale.ROOT, "%.6f", d);
    }

    private static String strings(List<String> list) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < list.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(quote(list.get(i)));
        }
        return b.append(']').toString();
    }

    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.append('"').toString();
    }
}
