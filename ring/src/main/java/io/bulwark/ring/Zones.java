package io.bulwark.ring;

import java.util.ArrayList;
import java.util.List;

/**
 * Zone numbers of a node list, for replica walks that must tell zones apart without comparing strings:
 * zones are numbered 0, 1, 2, ... in order of first appearance in the list, and nodes without a zone
 * form one zone together. Walks track numbers below 64 in a bit mask (see
 * {@link ReplicaSets#holdsZone}).
 *
 * <p>Immutable once built; {@link #numbers} must not be written.
 */
final class Zones {

    /** {@code numbers[i]} is the zone number of node {@code i} of the list. */
    final int[] numbers;
    /** Number of distinct zones; 0 for no nodes. */
    final int count;

    private Zones(int[] numbers, int count) {
        this.numbers = numbers;
        this.count = count;
    }

    /** Numbers the zones of {@code nodes}, which must not contain null. */
    static Zones of(Node[] nodes) {
        int[] numbers = new int[nodes.length];
        // A list, not a map: zone counts are small and the numbering must follow first appearance.
        List<String> zones = new ArrayList<>();
        for (int i = 0; i < nodes.length; i++) {
            String z = name(nodes[i]);
            int zi = zones.indexOf(z);
            if (zi < 0) {
                zi = zones.size();
                zones.add(z);
            }
            numbers[i] = zi;
        }
        return new Zones(numbers, zones.size());
    }

    /** The node's zone, with "" standing for no zone (zones are never empty, so it cannot clash). */
    static String name(Node node) {
        return node.zone() == null ? "" : node.zone();
    }
}
