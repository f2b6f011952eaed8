package io.bulwark.ring;

import java.util.List;

/**
 * Membership tests on replica sets: on the partial set {@code set[0..size)} that a replica walk is
 * filling in the caller's buffer, and between the before and after sets of a move.
 *
 * <p>The buffer tests run inside {@code replicas(...)} loops, so they are small static methods over
 * arrays that the JIT inlines: no allocation, no interface calls. Stateless and thread-safe.
 */
final class ReplicaSets {

    private ReplicaSets() {
    }

    /**
     * Whether {@code set[0..size)} holds this node object. Identity is enough: a locator only ever
     * writes its own node objects into the buffer.
     */
    static boolean holds(Node[] set, int size, Node node) {
        for (int m = 0; m < size; m++) {
            if (set[m] == node) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether {@code set[0..size)} already holds a node of {@code candidate}'s zone. {@code zone} is the
     * candidate's {@link Zones} number; the walk records zone numbers below 64 in {@code zoneMask}, and
     * any other zone is looked up by name.
     */
    static boolean holdsZone(Node[] set, int size, Node candidate, int zone, long zoneMask) {
        if (zone < 64) {
            return (zoneMask & (1L << zone)) != 0;
        }
        String name = Zones.name(candidate);
        for (int m = 0; m < size; m++) {
            if (Zones.name(set[m]).equals(name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The nodes of {@code from} whose id is not in {@code to}, in {@code from} order, as an unmodifiable
     * list: what a move adds ({@code difference(to, from)}) or removes ({@code difference(from, to)}).
     * Compared by id, so a node that only changed weight or zone does not count as moved.
     */
    static List<Node> difference(List<Node> from, List<Node> to) {
        return from.stream().filter(n -> to.stream().noneMatch(t -> t.id().equals(n.id()))).toList();
    }
}
