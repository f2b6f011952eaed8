package io.bulwark.ring;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import net.jpountz.xxhash.XXHashFactory;

/**
 * A deliberately naive implementation of the placement rule written from docs/RING_FORMAT.md, with an
 * independent xxHash64: every optimisation in {@link HashRing} is checked against it.
 */
final class SpecRing {

    private record Point(long position, Node node, byte[] id) {
    }

    private final List<Point> points = new ArrayList<>();
    private final int slotBits;

    SpecRing(List<Node> nodes, int vnodesPerWeight) {
        this(nodes, vnodesPerWeight, 20);
    }

    SpecRing(List<Node> nodes, int vnodesPerWeight, int slotBits) {
        this.slotBits = slotBits;
        var xxh = XXHashFactory.safeInstance().hash64();
        for (Node n : nodes) {
            byte[] id = n.id().getBytes(StandardCharsets.UTF_8);
            long seed = xxh.hash(id, 0, id.length, 0);
            long count = Math.max(1, Math.round(vnodesPerWeight * n.weight()));
            for (int j = 0; j < count; j++) {
                long z = seed + (j + 1L) * 0x9E3779B97F4A7C15L;
                z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
                z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
                z = z ^ (z >>> 31);
                points.add(new Point(z >>> 32, n, id));
            }
        }
        points.sort(Comparator.comparingLong(Point::position)
                .thenComparing(Point::id, Arrays::compareUnsigned));
    }

    private int successor(long keyHash) {
        // The key's slot start: the top slotBits bits of its hash, as a 32-bit ring position.
        long p = (keyHash >>> (64 - slotBits)) << (32 - slotBits);
        for (int i = 0; i < points.size(); i++) {
            if (points.get(i).position() >= p) {
                return i;
            }
        }
        return 0;
    }

    String locate(long keyHash) {
        return points.get(successor(keyHash)).node().id();
    }

    List<String> replicas(long keyHash, int n) {
        int start = successor(keyHash);
        List<String> out = new ArrayList<>();
        Set<String> zones = new HashSet<>();
        Set<String> allZones = new HashSet<>();
        for (Point p : points) {
            allZones.add(zone(p.node()));
        }
        if (allZones.size() > 1) {
            for (int s = 0; s < points.size() && out.size() < Math.min(n, allZones.size()); s++) {
                Node node = points.get((start + s) % points.size()).node();
                if (zones.add(zone(node))) {
                    out.add(node.id());
                }
            }
        }
        for (int s = 0; out.size() < n; s++) {
            Node node = points.get((start + s) % points.size()).node();
            if (!out.contains(node.id())) {
                out.add(node.id());
            }
        }
        return out;
    }

    private static String zone(Node n) {
        return n.zone() == null ? "" : n.zone();
    }
}
