package io.bulwark.ring;

import java.util.List;

/**
 * Maps keys to nodes: the one interface behind every placement algorithm in this package
 * ({@link HashRing}, {@link JumpHash}, {@link RendezvousHash}, {@link MaglevHash}).
 *
 * <p>Keys may be given as bytes, as strings (hashed as UTF-8) or pre-hashed with {@link #hasher()}.
 * Implementations are immutable snapshots: every method is thread-safe and never blocks, and
 * {@link #locate(long)} and {@link #replicas(long, Node[], int)} allocate nothing.
 */
public interface NodeLocator {

    /** Short name of the algorithm, e.g. {@code "ring"}, {@code "jump"}, {@code "rendezvous"}, {@code "maglev"}. */
    String algorithm();

    /** The hasher used for byte and string keys. */
    KeyHasher hasher();

    /** The nodes, sorted by id. */
    List<Node> nodes();

    /** Number of nodes. */
    int size();

    /**
     * The owner of a pre-hashed key.
     *
     * @throws EmptyRingException if there are no nodes
     */
    Node locate(long keyHash);

    /** The owner of {@code key}. */
    default Node locate(byte[] key) {
        return locate(hasher().hash(key));
    }

    /** The owner of the UTF-8 encoding of {@code key}. */
    default Node locate(String key) {
        return locate(hasher().hash(key));
    }

    /**
     * Writes the {@code n} distinct nodes that hold copies of the key into {@code out[0..n)}, primary
     * first ({@code out[0] == locate(keyHash)}). When nodes have zones, the first copies go to distinct
     * zones. Allocates nothing.
     *
     * @return {@code n}
     * @throws NotEnoughNodesException if {@code n < 1} or {@code n > size()}
     * @throws IllegalArgumentException if {@code out.length < n}
     * @throws EmptyRingException if there are no nodes
     */
    int replicas(long keyHash, Node[] out, int n);

    /**
     * Each node's target share of the keys: its weight over the total weight, in {@link #nodes()} order.
     * Compare with the measured shares to see how well an algorithm follows the weights.
     */
    default double[] targetShares() {
        List<Node> nodes = nodes();
        double total = 0;
        for (Node n : nodes) {
            total += n.weight();
        }
        double[] t = new double[nodes.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = nodes.get(i).weight() / total;
        }
        return t;
    }

    /**
     * A 64-bit digest of everything that decides placement: algorithm and its version, hasher id,
     * settings, and every node's id, weight and zone. Two locators with equal fingerprints place every
     * key identically.
     */
    long fingerprint();
}
