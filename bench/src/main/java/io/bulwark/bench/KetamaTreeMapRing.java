package io.bulwark.bench;

import io.bulwark.ring.Node;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The peer ring: Ketama consistent hashing on a {@link TreeMap}, written the way spymemcached's
 * {@code KetamaNodeLocator} (and xmemcached's {@code KetamaMemcachedSessionLocator}) build and query it,
 * so that the benchmarks compare Bulwark with what Java teams actually run.
 *
 * <h2>Construction (spymemcached {@code setKetamaNodes}, {@code KETAMA_HASH})</h2>
 * Each node gets {@value #POINTS_PER_NODE} points. For {@code i} in {@code [0, 160 / 4)} the MD5
 * digest of the UTF-8 string {@code nodeKey + "-" + i} yields four points: bytes {@code 4h..4h+3} of the
 * digest read little-endian as an unsigned 32-bit value, {@code h = 0..3}. spymemcached's node key is the
 * socket address; here it is the node id. Points go into a {@code TreeMap<Long, Node>} with
 * {@code put}, so on the rare equal position the later node wins, as in spymemcached.
 *
 * <h2>Lookup</h2>
 * A key at 32-bit position {@code p} belongs to {@code ceilingEntry(p)}, wrapping to {@code firstEntry()}
 * past the last point (spymemcached does the same with {@code tailMap(p).firstKey()}). For a pre-hashed
 * 64-bit key the position is its top 32 bits, the same bits {@link io.bulwark.ring.HashRing} uses, so both
 * rings see identical key positions. The lookup boxes the position into a {@link Long}, as the real
 * locators do; whether the JIT removes that allocation is part of what is measured.
 *
 * <h2>Changes</h2>
 * {@link #with} and {@link #without} rebuild the whole map from the new node list, as spymemcached's
 * {@code updateLocator} does.
 *
 * <p>Weights are not supported (spymemcached's default locator ignores them); a node with a weight other
 * than 1 is rejected. Instances are immutable after construction and safe to share between threads
 * ({@code TreeMap} reads do not modify it).
 */
public final class KetamaTreeMapRing {

    /** Points per node: spymemcached's and xmemcached's {@code NUM_REPS}. */
    public static final int POINTS_PER_NODE = 160;
    /** An MD5 digest is 16 bytes: four 32-bit points. */
    private static final int POINTS_PER_DIGEST = 4;

    private final List<Node> nodes;
    private final TreeMap<Long, Node> points;

    private KetamaTreeMapRing(List<Node> nodes, TreeMap<Long, Node> points) {
        this.nodes = nodes;
        this.points = points;
    }

    /**
     * A ring of these nodes.
     *
     * @throws IllegalArgumentException if {@code nodes} is null or empty, holds null, a duplicate id, or a
     *                                  node whose weight is not 1
     */
    public static KetamaTreeMapRing of(Collection<Node> nodes) {
        if (nodes == null || nodes.isEmpty()) {
            throw new IllegalArgumentException("a Ketama ring needs at least one node, got "
                    + (nodes == null ? "null" : "none"));
        }
        List<Node> copy = List.copyOf(nodes);
        Set<String> ids = new HashSet<>();
        for (Node n : copy) {
            if (!ids.add(n.id())) {
                throw new IllegalArgumentException("node id '" + n.id() + "' appears more than once");
            }
            if (n.weight() != 1.0) {
                throw new IllegalArgumentException("the Ketama peer ring ignores weights, as spymemcached does;"
                        + " node '" + n.id() + "' has weight " + n.weight() + ", only 1 is allowed");
            }
        }
        MessageDigest md5 = md5();
        TreeMap<Long, Node> points = new TreeMap<>();
        for (Node node : copy) {
            for (int i = 0; i < POINTS_PER_NODE / POINTS_PER_DIGEST; i++) {
                byte[] digest = md5.digest((node.id() + "-" + i).getBytes(StandardCharsets.UTF_8));
                for (int h = 0; h < POINTS_PER_DIGEST; h++) {
                    long k = ((long) (digest[3 + h * 4] & 0xFF) << 24)
                            | ((long) (digest[2 + h * 4] & 0xFF) << 16)
                            | ((long) (digest[1 + h * 4] & 0xFF) << 8)
                            | (digest[h * 4] & 0xFF);
                    points.put(k, node);
                }
            }
        }
        return new KetamaTreeMapRing(copy, points);
    }

    /** The owner of a pre-hashed key: the first point at or after its top 32 bits, wrapping. */
    public Node locate(long keyHash) {
        Map.Entry<Long, Node> owner = points.ceilingEntry(keyHash >>> 32);
        if (owner == null) {
            owner = points.firstEntry();
        }
        return owner.getValue();
    }

    /**
     * This ring plus {@code node}, rebuilt from scratch as spymemcached's {@code updateLocator} does.
     *
     * @throws IllegalArgumentException as {@link #of}
     */
    public KetamaTreeMapRing with(Node node) {
        List<Node> next = new ArrayList<>(nodes.size() + 1);
        next.addAll(nodes);
        next.add(node);
        return of(next);
    }

    /**
     * This ring without the node with this id, rebuilt from scratch.
     *
     * @throws IllegalArgumentException if there is no such node, or it is the last one
     */
    public KetamaTreeMapRing without(String nodeId) {
        List<Node> next = new ArrayList<>(nodes.size());
        for (Node n : nodes) {
            if (!n.id().equals(nodeId)) {
                next.add(n);
            }
        }
        if (next.size() == nodes.size()) {
            throw new IllegalArgumentException("ring has no node '" + nodeId + "'");
        }
        return of(next);
    }

    /** The nodes in the order they were given. */
    public List<Node> nodes() {
        return nodes;
    }

    /** Number of distinct points on the ring: 160 per node less any 32-bit collisions. */
    public int pointCount() {
        return points.size();
    }

    /** Number of points each node owns, by node id. */
    public Map<String, Integer> pointsPerNode() {
        Map<String, Integer> counts = new TreeMap<>();
        for (Node n : points.values()) {
            counts.merge(n.id(), 1, Integer::sum);
        }
        return Collections.unmodifiableMap(counts);
    }

    private static MessageDigest md5() {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            // Every Java SE platform must provide MD5; without it the peer cannot exist.
            throw new IllegalStateException("this JVM provides no MD5 MessageDigest", e);
        }
    }

    @Override
    public String toString() {
        return "KetamaTreeMapRing{nodes=" + nodes.size() + ", points=" + points.size() + "}";
    }
}
