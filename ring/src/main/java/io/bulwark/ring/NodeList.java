package io.bulwark.ring;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * The membership checks and array edits that every {@link NodeLocator} applies to its nodes: copying a
 * caller's collection, rejecting nulls, duplicate ids and too many nodes, sorting by id, and adding or
 * removing one node.
 *
 * <p>Each check is a separate step so that each locator keeps its documented order of checks (which
 * fault is reported when an input has several). {@code locator} arguments name the locator in messages,
 * e.g. {@code "rendezvous hash"}. Stateless; the arrays passed in are the caller's to guard.
 */
final class NodeList {

    private NodeList() {
    }

    /**
     * The public node order: unsigned comparison of the UTF-8 ids. Placement rules and fingerprints
     * depend on it, so it must equal byte order in every client language (not {@link String#compareTo}).
     */
    static int compareIds(Node a, Node b) {
        return Arrays.compareUnsigned(a.id().getBytes(StandardCharsets.UTF_8), b.id().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A fixed-size list view of varargs nodes.
     *
     * @throws InvalidNodeException if the array is null
     */
    static List<Node> asList(Node[] nodes) {
        if (nodes == null) {
            throw new InvalidNodeException("nodes must not be null");
        }
        return Arrays.asList(nodes);
    }

    /**
     * The nodes as a new array, in collection order; elements are not checked.
     *
     * @throws InvalidNodeException if the collection is null
     */
    static Node[] toArray(Collection<Node> nodes) {
        if (nodes == null) {
            throw new InvalidNodeException("nodes must not be null");
        }
        return nodes.toArray(new Node[0]);
    }

    /**
     * The nodes as a new array, in collection order.
     *
     * @throws InvalidNodeException if the collection or an element is null
     */
    static Node[] toArrayWithoutNulls(Collection<Node> nodes) {
        Node[] array = toArray(nodes);
        for (Node n : array) {
            if (n == null) {
                throw new InvalidNodeException("nodes must not contain null");
            }
        }
        return array;
    }

    /**
     * Sorts non-null nodes in place by {@link #compareIds} and rejects repeated ids.
     *
     * @throws DuplicateNodeException if two nodes share an id
     */
    static void sortUnique(Node[] nodes) {
        Arrays.sort(nodes, NodeList::compareIds);
        for (int i = 1; i < nodes.length; i++) {
            if (nodes[i - 1].id().equals(nodes[i].id())) {
                throw new DuplicateNodeException("node id '" + nodes[i].id() + "' appears more than once");
            }
        }
    }

    /**
     * Rejects more than {@code max} nodes.
     *
     * @param locator how the message names the locator, with its article if it needs one ("a ring")
     * @throws IllegalArgumentException if {@code count > max}
     */
    static void checkCount(int count, int max, String locator) {
        if (count > max) {
            throw new IllegalArgumentException(locator + " holds at most " + max + " nodes, asked for " + count);
        }
    }

    /**
     * Index of the node with this id, by linear search; -1 if absent or if {@code id} is null. Linear
     * because membership changes rebuild the locator anyway: it is never on a lookup path.
     */
    static int indexOf(Node[] nodes, String id) {
        for (int i = 0; i < nodes.length; i++) {
            if (nodes[i].id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Index of the node with this id.
     *
     * @throws UnknownNodeException if {@code id} is null or no node has it
     */
    static int requireIndex(Node[] nodes, String id, String locator) {
        if (id == null) {
            throw new UnknownNodeException("node id must not be null");
        }
        int x = indexOf(nodes, id);
        if (x < 0) {
            throw new UnknownNodeException(locator + " has no node '" + id + "'");
        }
        return x;
    }

    /**
     * Checks that {@code node} may be added.
     *
     * @throws InvalidNodeException   if the node is null
     * @throws DuplicateNodeException if a node with its id is present
     */
    static void requireAbsent(Node[] nodes, Node node, String locator) {
        if (node == null) {
            throw new InvalidNodeException("node must not be null");
        }
        if (indexOf(nodes, node.id()) >= 0) {
            throw new DuplicateNodeException(locator + " already contains node '" + node.id() + "'");
        }
    }

    /** A new array: {@code nodes} followed by {@code node}. */
    static Node[] append(Node[] nodes, Node node) {
        Node[] next = Arrays.copyOf(nodes, nodes.length + 1);
        next[nodes.length] = node;
        return next;
    }

    /** A new array: sorted {@code nodes} with {@code node} inserted in id order. */
    static Node[] insertSorted(Node[] sorted, Node node) {
        Node[] next = append(sorted, node);
        Arrays.sort(next, NodeList::compareIds);
        return next;
    }

    /** A new array: {@code nodes} without element {@code index}, later elements shifted down by one. */
    static Node[] remove(Node[] nodes, int index) {
        Node[] next = new Node[nodes.length - 1];
        System.arraycopy(nodes, 0, next, 0, index);
        System.arraycopy(nodes, index + 1, next, index, nodes.length - index - 1);
        return next;
    }

    /** A new array of the nodes sorted by {@link #compareIds}. */
    static Node[] sortedCopy(Node[] nodes) {
        Node[] sorted = nodes.clone();
        Arrays.sort(sorted, NodeList::compareIds);
        return sorted;
    }
}
