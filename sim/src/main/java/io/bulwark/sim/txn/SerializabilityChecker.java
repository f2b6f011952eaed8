package io.bulwark.sim.txn;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Checks that the committed transactions of a history are strictly serializable, in the style of Elle: every
 * written value is unique, so each read names its writer and each write the version it overwrote (a transfer
 * reads every key it writes). From that, per key, the version order is a chain from the initial value; the
 * dependency graph has an edge for every write-write (version order), write-read (read-from) and read-write
 * (anti-dependency) relation, plus real time (a transaction acknowledged before another began precedes it).
 * The history is strictly serializable iff every chain is a simple path and the graph has no cycle.
 *
 * <p>Input: the committed transactions, with their reads and writes; the initial value of every key. Used by
 * the bank simulation and by the multi-process bank workload against a real cluster.
 */
public final class SerializabilityChecker {

    /** A committed transaction as the checker needs it. */
    public record Committed(String name, Map<String, String> reads, Map<String, String> writes, long invokedUs,
                     long completedUs) {
    }

    private SerializabilityChecker() {
    }

    /** Violations found, empty if strictly serializable. */
    public static List<String> check(List<Committed> txns, Map<String, String> initial) {
        List<String> violations = new ArrayList<>();
        int n = txns.size();
        // Who wrote each (key, value).
        TreeMap<String, Integer> writerOf = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            for (Map.Entry<String, String> w : txns.get(i).writes().entrySet()) {
                String kv = w.getKey() + "=" + w.getValue();
                if (writerOf.put(kv, i) != null) {
                    violations.add("value " + kv + " written twice: values must be unique");
                }
            }
        }
        // Version order: the successor of each version of a key is the one transaction that read it and wrote the key.
        TreeMap<String, Integer> successor = new TreeMap<>();
        List<TreeSet<Integer>> edges = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            edges.add(new TreeSet<>());
        }
        for (int i = 0; i < n; i++) {
            Committed t = txns.get(i);
            for (String key : t.writes().keySet()) {
                String before = t.reads().get(key);
                if (before == null) {
                    violations.add(t.name() + " wrote " + key + " without reading it: the checker needs read-before-write");
                    continue;
                }
                Integer other = successor.put(key + "=" + before, i);
                if (other != null) {
                    violations.add("lost update: " + txns.get(other).name() + " and " + t.name() + " both overwrote "
                            + key + "=" + before);
                }
                Integer prev = writerOf.get(key + "=" + before);
                if (prev != null && prev != i) {
                    edges.get(prev).add(i); // ww
                }
            }
            for (Map.Entry<String, String> r : t.reads().entrySet()) {
                String kv = r.getKey() + "=" + r.getValue();
                Integer w = writerOf.get(kv);
                if (w == null) {
                    if (!r.getValue().equals(initial.get(r.getKey()))) {
                        violations.add(t.name() + " read " + kv + ", which no committed transaction wrote (dirty or "
                                + "aborted read)");
                    }
                } else if (w != i) {
                    edges.get(w).add(i); // wr
                }
            }
        }
        for (int i = 0; i < n; i++) {
            Committed t = txns.get(i);
            for (Map.Entry<String, String> r : t.reads().entrySet()) {
                Integer next = successor.get(r.getKey() + "=" + r.getValue());
                if (next != null && next != i) {
                    edges.get(i).add(next); // rw
                }
            }
        }
        addRealTimeEdges(txns, edges);
        List<Integer> cycle = findCycle(edges);
        if (!cycle.isEmpty()) {
            StringBuilder b = new StringBuilder("dependency cycle (not serializable):");
            for (int i : cycle) {
                b.append("\n  ").append(txns.get(i).name()).append(" reads ").append(txns.get(i).reads())
                        .append(" writes ").append(txns.get(i).writes());
            }
            violations.add(b.toString());
        }
        return violations;
    }

    /**
     * T → U whenever T completed before U was invoked (a transaction whose client never heard the outcome has
     * no known completion and precedes nothing). Only edges not implied by others are added: let T* be the
     * latest-completing transaction that completed before U began; by induction every transaction that
     * completed before T* began already has a path to T*, so U needs edges only from T* and the transactions
     * that completed between T*'s invocation and U's — as many as ran concurrently with T*.
     */
    private static void addRealTimeEdges(List<Committed> txns, List<TreeSet<Integer>> edges) {
        int n = txns.size();
        Integer[] byCompletion = new Integer[n];
        for (int i = 0; i < n; i++) {
            byCompletion[i] = i;
        }
        java.util.Arrays.sort(byCompletion, Comparator.comparingLong(i -> completed(txns.get(i))));
        long[] completions = new long[n];
        for (int k = 0; k < n; k++) {
            completions[k] = completed(txns.get(byCompletion[k]));
        }
        for (int u = 0; u < n; u++) {
            long invoked = txns.get(u).invokedUs();
            // Index of the last transaction completing strictly before u's invocation.
            int k = lastBelow(completions, invoked);
            if (k < 0) {
                continue;
            }
            long frontier = txns.get(byCompletion[k]).invokedUs();
            for (; k >= 0 && completions[k] >= frontier; k--) {
                edges.get(byCompletion[k]).add(u);
            }
        }
    }

    private static long completed(Committed t) {
        return t.completedUs() < 0 ? Long.MAX_VALUE : t.completedUs();
    }

    private static int lastBelow(long[] sorted, long value) {
        int lo = 0;
        int hi = sorted.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid] < value) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /** A cycle as a list of node indices, or empty. Iterative DFS with colours. */
    private static List<Integer> findCycle(List<TreeSet<Integer>> edges) {
        int n = edges.size();
        int[] colour = new int[n];
        int[] parent = new int[n];
        for (int start = 0; start < n; start++) {
            if (colour[start] != 0) {
                continue;
            }
            ArrayDeque<java.util.Iterator<Integer>> stack = new ArrayDeque<>();
            ArrayDeque<Integer> nodes = new ArrayDeque<>();
            colour[start] = 1;
            parent[start] = -1;
            stack.push(edges.get(start).iterator());
            nodes.push(start);
            while (!stack.isEmpty()) {
                int v = nodes.peek();
                java.util.Iterator<Integer> it = stack.peek();
                if (it.hasNext()) {
                    int w = it.next();
                    if (colour[w] == 0) {
                        colour[w] = 1;
                        parent[w] = v;
                        stack.push(edges.get(w).iterator());
                        nodes.push(w);
                    } else if (colour[w] == 1) {
                        List<Integer> cycle = new ArrayList<>();
                        for (int x = v; x != w; x = parent[x]) {
                            cycle.add(0, x);
                        }
                        cycle.add(0, w);
                        return cycle;
                    }
                } else {
                    colour[v] = 2;
                    stack.pop();
                    nodes.pop();
                }
            }
        }
        return List.of();
    }
}
