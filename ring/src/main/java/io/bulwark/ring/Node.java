package io.bulwark.ring;

import java.nio.charset.StandardCharsets;

/**
 * A member of a ring: a unique id, a relative weight (capacity) and an optional zone label (rack,
 * availability zone or data centre).
 *
 * <p>A node with weight 2 receives, in expectation, twice the keys of a node with weight 1. Replica
 * placement puts copies in distinct zones first when zones are given. Nodes are immutable values;
 * two nodes are equal when id, weight and zone are equal.
 *
 * @param id     unique, non-empty, at most {@value #MAX_ID_BYTES} UTF-8 bytes, no control characters
 * @param weight positive and finite, at most {@value #MAX_WEIGHT}
 * @param zone   {@code null} for no zone, else non-empty, at most {@value #MAX_ID_BYTES} UTF-8 bytes
 */
public record Node(String id, double weight, String zone) {

    /** Largest id or zone length in UTF-8 bytes. */
    public static final int MAX_ID_BYTES = 255;
    /** Largest weight; keeps the number of ring points per node bounded. */
    public static final double MAX_WEIGHT = 1_000.0;

    /** Validates the components; see the record description for the rules. */
    public Node {
        validateLabel(id, "node id");
        if (!(weight > 0) || Double.isInfinite(weight) || weight > MAX_WEIGHT) {
            throw new InvalidNodeException("weight of node '" + id + "' must be positive, finite and at most "
                    + MAX_WEIGHT + ", was " + weight);
        }
        if (zone != null) {
            validateLabel(zone, "zone of node '" + id + "'");
        }
    }

    /** A node with weight 1 and no zone. */
    public static Node of(String id) {
        return new Node(id, 1.0, null);
    }

    /** A node with the given weight and no zone. */
    public static Node of(String id, double weight) {
        return new Node(id, weight, null);
    }

    /** A node with the given weight and zone. */
    public static Node of(String id, double weight, String zone) {
        return new Node(id, weight, zone);
    }

    /** A copy of this node with another weight. */
    public Node withWeight(double newWeight) {
        return new Node(id, newWeight, zone);
    }

    private static void validateLabel(String s, String what) {
        if (s == null) {
            throw new InvalidNodeException(what + " must not be null");
        }
        if (s.isEmpty()) {
            throw new InvalidNodeException(what + " must not be empty");
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                throw new InvalidNodeException(what + " must not contain control characters: '"
                        + s.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
        int bytes = s.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_ID_BYTES) {
            throw new InvalidNodeException(what + " must be at most " + MAX_ID_BYTES + " UTF-8 bytes, was " + bytes);
        }
    }

    @Override
    public String toString() {
        return zone == null ? id + "(w=" + weight + ")" : id + "(w=" + weight + ", zone=" + zone + ")";
    }
}
