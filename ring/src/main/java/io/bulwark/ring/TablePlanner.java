package io.bulwark.ring;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Computes {@link PartitionTable#rebalancedOnto}: the table for a new set of nodes that keeps every replica it
 * can and moves the fewest replicas that bring every node to its share.
 *
 * <ol>
 *   <li><b>Shares.</b> Each zone is due its weight's part of the {@code P * rf} replicas (at most what zone
 *       spread lets it hold), each node its weight's part of its zone's share, never more than {@code P} (one
 *       per partition; the excess goes to the others by weight), rounded to whole replicas; see
 *       {@link #shares()}.</li>
 *   <li><b>Keep.</b> Every replica on a node that is still present stays where it is, in its position.</li>
 *   <li><b>Fill.</b> Each replica whose node left is replaced, in its position, by the first node of the
 *       partition's ring preference (the ring's own replica order for that partition over all nodes, zones
 *       first) that is not in the set, keeps the zone spread, and is below its share; failing that, by the first
 *       that keeps the zone spread.</li>
 *   <li><b>Spread.</b> A partition that covers fewer zones than {@code min(rf, zones)} (a zone was added)
 *       moves a replica from a zone it holds twice to a zone it lacks.</li>
 *   <li><b>Even out.</b> While a node is below its share, one replica moves to it from a node above its share,
 *       as long as the zone spread stays: preferably a replica this plan already placed (a filled hole or an
 *       earlier step, so the move is redirected rather than added), else from the partition where the ring
 *       prefers the receiver most (and, among those, the giver least). Each step lowers the total deviation
 *       from the shares by two.</li>
 *   <li><b>Undo detours.</b> Where the steps above put a node into one partition and took it out of another
 *       (a constraint forced a replica onto a node at its share), the two moves become one when the other node
 *       fits ({@link #shortenChains()}).</li>
 * </ol>
 *
 * <p>Zone spread: a partition's replicas cover {@code min(rf, zones)} zones where the ring's placement does; a
 * step never lowers a partition's spread below that (or below what it already has, if less). Deterministic: a
 * pure function of the table and the new ring. Not thread-safe; used once per call.
 */
final class TablePlanner {

    private final int partitions;
    private final int rf;
    private final Node[] nodes;
    private final int[] zoneOf;
    private final int requiredZones;
    /** {@code sets[p][r]}: index into {@link #nodes} of replica r of partition p, or -1 for a hole. */
    private final int[][] sets;
    private final int[] load;
    private final int[] share;
    /** {@code moved[p][r]}: slot (p, r) no longer holds the replica it held before (a move already counted). */
    private final boolean[][] moved;
    /** {@code kept[p][r]}: the node slot (p, r) held before, or -1 if that node left. */
    private final int[][] kept;
    /** {@code rank[p][i]}: position of node i in partition p's ring preference (0 = most preferred). */
    private final int[][] rank;
    /** {@code preference[p]}: node indexes in partition p's ring preference order. */
    private final int[][] preference;

    private TablePlanner(PartitionTable current, HashRing next) {
        this.partitions = current.partitions();
        this.rf = current.replicationFactor();
        List<Node> list = next.nodes().stream().sorted((a, b) -> a.id().compareTo(b.id())).toList();
        this.nodes = list.toArray(Node[]::new);
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> zones = new HashMap<>();
        this.zoneOf = new int[nodes.length];
        for (int i = 0; i < nodes.length; i++) {
            index.put(nodes[i].id(), i);
            String zone = nodes[i].zone() == null ? "" : nodes[i].zone();
            zoneOf[i] = zones.computeIfAbsent(zone, z -> zones.size());
        }
        this.requiredZones = Math.min(rf, zones.size());
        this.sets = new int[partitions][rf];
        this.moved = new boolean[partitions][rf];
        this.kept = new int[partitions][rf];
        this.load = new int[nodes.length];
        for (int p = 0; p < partitions; p++) {
            List<Node> replicas = current.replicas(p);
            for (int r = 0; r < rf; r++) {
                Integer i = index.get(replicas.get(r).id());
                sets[p][r] = i == null ? -1 : i;
                kept[p][r] = sets[p][r];
                if (i != null) {
                    load[i]++;
                }
            }
        }
        this.share = shares();
        this.rank = new int[partitions][];
        this.preference = new int[partitions][];
        Node[] buf = new Node[nodes.length];
        for (int p = 0; p < partitions; p++) {
            next.replicas(next.hasher().hash((long) p), buf, nodes.length);
            int[] order = new int[nodes.length];
            int[] ranks = new int[nodes.length];
            for (int k = 0; k < nodes.length; k++) {
                int i = index.get(buf[k].id());
                order[k] = i;
                ranks[i] = k;
            }
            preference[p] = order;
            rank[p] = ranks;
        }
    }

    /** The planned replicas, {@code out[p * rf + r]}, for {@link PartitionTable}. */
    static Node[] plan(PartitionTable current, HashRing next) {
        return new TablePlanner(current, next).run();
    }

    private Node[] run() {
        fillHoles();
        spreadOverZones();
        evenOut();
        shortenChains();
        Node[] out = new Node[partitions * rf];
        for (int p = 0; p < partitions; p++) {
            for (int r = 0; r < rf; r++) {
                out[p * rf + r] = nodes[sets[p][r]];
            }
        }
        return out;
    }

    /**
     * Whole-replica shares summing to {@code partitions * rf}: first per zone by zone weight (a zone holds at most
     * {@code partitions * (rf - min(rf, zones) + 1)} replicas, since every partition spreads over
     * {@code min(rf, zones)} zones, at most one per partition per node, and, when there are no more zones than
     * replicas, at least one per partition), then per node within its zone by weight (at most one per
     * partition). Rounded by largest remainder; ties go to the node holding more now
     * (fewer moves), then to the lower node id.
     */
    private int[] shares() {
        int n = nodes.length;
        int zones = 0;
        for (int z : zoneOf) {
            zones = Math.max(zones, z + 1);
        }
        double[] zoneWeight = new double[zones];
        double[] zoneCap = new double[zones];
        int[] zoneNodes = new int[zones];
        for (int i = 0; i < n; i++) {
            zoneWeight[zoneOf[i]] += nodes[i].weight();
            zoneNodes[zoneOf[i]]++;
        }
        double[] zoneMin = new double[zones];
        for (int z = 0; z < zones; z++) {
            zoneCap[z] = (double) partitions * Math.min(zoneNodes[z], rf - requiredZones + 1);
            // With no more zones than replicas, every partition has a replica in every zone.
            zoneMin[z] = zones <= rf ? partitions : 0;
        }
        double[] zoneShare = waterFill((double) partitions * rf, zoneWeight, zoneMin, zoneCap);
        double[] exact = new double[n];
        for (int z = 0; z < zones; z++) {
            int[] members = new int[zoneNodes[z]];
            double[] weights = new double[zoneNodes[z]];
            double[] caps = new double[zoneNodes[z]];
            int k = 0;
            for (int i = 0; i < n; i++) {
                if (zoneOf[i] == z) {
                    members[k] = i;
                    weights[k] = nodes[i].weight();
                    caps[k] = partitions;
                    k++;
                }
            }
            double[] within = waterFill(zoneShare[z], weights, new double[members.length], caps);
            for (k = 0; k < members.length; k++) {
                exact[members[k]] = within[k];
            }
        }
        long total = (long) partitions * rf;
        int[] out = new int[n];
        long given = 0;
        for (int i = 0; i < n; i++) {
            out[i] = (int) Math.floor(exact[i] + 1e-9);
            given += out[i];
        }
        while (given < total) {
            int best = -1;
            for (int i = 0; i < n; i++) {
                if (out[i] >= partitions) {
                    continue;
                }
                if (best < 0) {
                    best = i;
                    continue;
                }
                double fraction = exact[i] - out[i];
                double bestFraction = exact[best] - out[best];
                if (fraction > bestFraction + 1e-9 || (Math.abs(fraction - bestFraction) <= 1e-9 && load[i] > load[best])) {
                    best = i;
                }
            }
            out[best]++;
            given++;
        }
        return out;
    }

    /**
     * Splits {@code total} in proportion to {@code weights}, each part clamped to {@code [mins[i], caps[i]]}: parts
     * are {@code clamp(lambda * weight)} with the one lambda that makes them sum to {@code total} (found by
     * bisection; the clamped sum is monotone in lambda).
     */
    private static double[] waterFill(double total, double[] weights, double[] mins, double[] caps) {
        int n = weights.length;
        double lo = 0;
        double hi = 1;
        while (clampedSum(hi, weights, mins, caps) < total && hi < 1e18) {
            hi *= 2;
        }
        for (int i = 0; i < 200; i++) {
            double mid = (lo + hi) / 2;
            if (clampedSum(mid, weights, mins, caps) < total) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.max(mins[i], Math.min(caps[i], hi * weights[i]));
        }
        return out;
    }

    private static double clampedSum(double lambda, double[] weights, double[] mins, double[] caps) {
        double sum = 0;
        for (int i = 0; i < weights.length; i++) {
            sum += Math.max(mins[i], Math.min(caps[i], lambda * weights[i]));
        }
        return sum;
    }

    private void fillHoles() {
        for (int p = 0; p < partitions; p++) {
            for (int r = 0; r < rf; r++) {
                if (sets[p][r] >= 0) {
                    continue;
                }
                int slot = r;
                int partition = p;
                int chosen = firstCandidate(p, c -> !contains(partition, c) && keepsZones(partition, slot, c));
                if (chosen < 0) {
                    for (int c : preference[p]) { // zone spread cannot be kept: any node not yet in the set
                        if (!contains(p, c)) {
                            chosen = c;
                            break;
                        }
                    }
                }
                sets[p][r] = chosen;
                moved[p][r] = true;
                load[chosen]++;
            }
        }
    }

    /**
     * Gives every partition the zone spread the ring would ({@code min(rf, zones)} zones): needed when a zone
     * appears (a node in a new zone joins). A replica in a zone the partition holds twice moves to a node of a zone
     * it lacks: one below its share if there is one, else the ring's first choice.
     */
    private void spreadOverZones() {
        for (int p = 0; p < partitions; p++) {
            while (reachableZones(p, -1, -1) < requiredZones) {
                int bestR = -1;
                for (int r = 0; r < rf; r++) {
                    if (zoneTwice(p, r) && (bestR < 0 || surplus(sets[p][r]) > surplus(sets[p][bestR])
                            || (surplus(sets[p][r]) == surplus(sets[p][bestR]) && rank[p][sets[p][r]] > rank[p][sets[p][bestR]]))) {
                        bestR = r;
                    }
                }
                int partition = p;
                int chosen = bestR < 0 ? -1
                        : firstCandidate(p, c -> !contains(partition, c) && !zoneHeld(partition, zoneOf[c]));
                if (chosen < 0) {
                    break;
                }
                load[sets[p][bestR]]--;
                sets[p][bestR] = chosen;
                moved[p][bestR] = kept[p][bestR] != chosen;
                load[chosen]++;
            }
        }
    }

    /**
     * The first node of partition p's ring preference that {@code allowed} accepts and is below its share; failing
     * that, the first it accepts; -1 if it accepts none.
     */
    private int firstCandidate(int p, java.util.function.IntPredicate allowed) {
        int fallback = -1;
        for (int c : preference[p]) {
            if (!allowed.test(c)) {
                continue;
            }
            if (load[c] < share[c]) {
                return c;
            }
            if (fallback < 0) {
                fallback = c;
            }
        }
        return fallback;
    }

    private int surplus(int node) {
        return load[node] - share[node];
    }

    private boolean zoneTwice(int p, int r) {
        for (int k = 0; k < rf; k++) {
            if (k != r && zoneOf[sets[p][k]] == zoneOf[sets[p][r]]) {
                return true;
            }
        }
        return false;
    }

    private boolean zoneHeld(int p, int zone) {
        for (int node : sets[p]) {
            if (zoneOf[node] == zone) {
                return true;
            }
        }
        return false;
    }

    private void evenOut() {
        Set<Integer> stuck = new HashSet<>();
        while (true) {
            int receiver = -1;
            for (int i = 0; i < nodes.length; i++) {
                if (load[i] < share[i] && !stuck.contains(i)
                        && (receiver < 0 || share[i] - load[i] > share[receiver] - load[receiver])) {
                    receiver = i;
                }
            }
            if (receiver < 0) {
                return;
            }
            int bestP = -1;
            int bestR = -1;
            for (int p = 0; p < partitions; p++) {
                if (contains(p, receiver)) {
                    continue;
                }
                for (int r = 0; r < rf; r++) {
                    int giver = sets[p][r];
                    if (load[giver] <= share[giver] || !keepsZones(p, r, receiver)) {
                        continue;
                    }
                    if (bestP < 0 || better(p, r, bestP, bestR, receiver)) {
                        bestP = p;
                        bestR = r;
                    }
                }
            }
            if (bestP < 0) {
                stuck.add(receiver); // no partition can give it a replica without losing zone spread
                continue;
            }
            load[sets[bestP][bestR]]--;
            sets[bestP][bestR] = receiver;
            moved[bestP][bestR] = true;
            load[receiver]++;
        }
    }

    /**
     * Removes moves that cancel out. Keeping a partition's constraints can make the steps above place a node X in
     * one partition (p) and take X out of another (q, now holding Y): two moves where one does, if Y fits in p
     * and X back in q. Then Y takes p's slot and q's slot returns to X; loads stay the same and one move less is
     * made. Repeated until no such pair is left (each round removes a move, so it ends).
     */
    private void shortenChains() {
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int q = 0; q < partitions; q++) {
                for (int s = 0; s < rf; s++) {
                    int x = kept[q][s];
                    if (!moved[q][s] || x < 0 || contains(q, x)) {
                        continue;
                    }
                    int y = sets[q][s];
                    for (int p = 0; p < partitions && moved[q][s]; p++) {
                        if (p == q || contains(p, y)) {
                            continue;
                        }
                        for (int r = 0; r < rf; r++) {
                            if (sets[p][r] != x || !moved[p][r] || !keepsZones(p, r, y)) {
                                continue;
                            }
                            sets[q][s] = x;
                            if (!keepsZones(q, s, x)) {
                                sets[q][s] = y;
                                continue;
                            }
                            sets[p][r] = y;
                            moved[q][s] = false;
                            moved[p][r] = kept[p][r] != y;
                            changed = true;
                            break;
                        }
                    }
                }
            }
        }
    }

    /**
     * Whether moving replica (p, r) to the receiver beats moving (bp, br): a slot already moved in this plan first
     * (redirecting a move costs nothing; moving a kept replica costs one), then the one the ring prefers more.
     */
    private boolean better(int p, int r, int bp, int br, int receiver) {
        if (moved[p][r] != moved[bp][br]) {
            return moved[p][r];
        }
        int a = rank[p][receiver];
        int b = rank[bp][receiver];
        if (a != b) {
            return a < b;
        }
        int giverA = rank[p][sets[p][r]];
        int giverB = rank[bp][sets[bp][br]];
        if (giverA != giverB) {
            return giverA > giverB;
        }
        int surplusA = load[sets[p][r]] - share[sets[p][r]];
        int surplusB = load[sets[bp][br]] - share[sets[bp][br]];
        return surplusA > surplusB; // then the lower partition, which was seen first
    }

    private boolean contains(int p, int node) {
        for (int i : sets[p]) {
            if (i == node) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether putting {@code candidate} in position r of partition p keeps its zone spread: the zones it can still
     * cover (distinct zones of its replicas plus its holes) stay at least {@code min(rf, zones)}, or at least what
     * they were when that was already less.
     */
    private boolean keepsZones(int p, int r, int candidate) {
        int before = reachableZones(p, r, sets[p][r]);
        int after = reachableZones(p, r, candidate);
        return after >= Math.min(requiredZones, before);
    }

    private int reachableZones(int p, int r, int atR) {
        int holes = 0;
        long seen = 0;
        Set<Integer> many = null;
        int distinct = 0;
        for (int k = 0; k < rf; k++) {
            int node = k == r ? atR : sets[p][k];
            if (node < 0) {
                holes++;
                continue;
            }
            int z = zoneOf[node];
            boolean fresh;
            if (z < 64) {
                fresh = (seen & (1L << z)) == 0;
                seen |= 1L << z;
            } else {
                if (many == null) {
                    many = new HashSet<>();
                }
                fresh = many.add(z);
            }
            if (fresh) {
                distinct++;
            }
        }
        return distinct + holes;
    }
}
