package io.bulwark.bench;

import io.bulwark.ring.BoundedLoad;
import io.bulwark.ring.HashRing;
import io.bulwark.ring.Node;
import io.bulwark.ring.RendezvousHash;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongFunction;

/**
 * The placement-quality half of issue 2's goals, measured on the same keys for Bulwark and its peers:
 * balance (largest node's share of 10 million keys over the mean), weighted accuracy, movement when a
 * node joins or leaves, and the bounded-load cap. Deterministic (seeded keys, fixed node names), so it is
 * a measurement, not a timing: the numbers repeat exactly on every machine.
 *
 * <p>Peers: a Ketama {@code TreeMap} ring with 160 points per node (as spymemcached and xmemcached build
 * it) and weighted rendezvous hashing (the balance any consistent scheme can reach at key level).
 */
public final class RingQualityBench {

    /** Keys placed for balance and movement. */
    public static final int KEYS = 10_000_000;
    private static final long SEED = 0x5EEDB0B02024L;

    private RingQualityBench() {
    }

    /** Runs every measurement and prints the table; returns 0. {@code keys} lowers the key count for tests. */
    public static int run(PrintStream out, int keys) {
        long[] hashes = new SplittableRandom(SEED).longs(keys).toArray();
        out.printf(Locale.ROOT, "=== Bulwark ring placement quality (%,d seeded keys, deterministic) ===%n", keys);
        List<Node> hundred = BenchNodes.plain(100);

        HashRing ring = HashRing.of(hundred);
        KetamaTreeMapRing ketama = KetamaTreeMapRing.of(hundred);
        RendezvousHash rendezvous = RendezvousHash.of(hundred);
        double ringPeak = peakToMean(hundred, ring::locate, hashes);
        double ketamaPeak = peakToMean(hundred, ketama::locate, hashes);
        double rendezvousPeak = peakToMean(hundred, rendezvous::locate, hashes);
        out.println();
        out.println("Balance: largest node's keys / mean, 100 equal nodes");
        out.printf(Locale.ROOT, "  Bulwark HashRing (4096 points/node) %.4f%n", ringPeak);
        out.printf(Locale.ROOT, "  Ketama TreeMap (160 points/node)    %.4f%n", ketamaPeak);
        out.printf(Locale.ROOT, "  rendezvous (key-level reference)    %.4f%n", rendezvousPeak);

        List<Node> weighted = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            weighted.add(Node.of("weighted-" + i, 1 + i % 4));
        }
        HashRing weightedRing = HashRing.of(weighted);
        double[] shares = weightedRing.shares();
        double[] targets = weightedRing.targetShares();
        double worst = 0;
        int within = 0;
        double worstHeavy = 0;
        for (int i = 0; i < shares.length; i++) {
            double dev = Math.abs(shares[i] / targets[i] - 1);
            worst = Math.max(worst, dev);
            if (dev <= 0.02) {
                within++;
            }
            if (weightedRing.nodes().get(i).weight() >= 2) {
                worstHeavy = Math.max(worstHeavy, dev);
            }
        }
        out.println();
        out.println("Weights: 20 nodes of weights 1, 2, 3, 4 (exact key-space shares)");
        out.printf(Locale.ROOT, "  nodes within +/-2%% of target: %d of %d; worst deviation %.2f%% (weight >= 2: %.2f%%)%n",
                within, shares.length, 100 * worst, 100 * worstHeavy);

        out.println();
        out.println("Movement when one node joins or leaves 100 nodes (moved keys / ideal keys)");
        HashRing grown = ring.with(Node.of(BenchNodes.id(100)));
        HashRing shrunk = ring.without(BenchNodes.id(42));
        Movement add = movement(ring::locate, grown::locate, hashes, 1.0 / 101);
        Movement remove = movement(ring::locate, shrunk::locate, hashes, 1.0 / 100);
        KetamaTreeMapRing ketamaGrown = ketama.with(Node.of(BenchNodes.id(100)));
        Movement ketamaAdd = movement(ketama::locate, ketamaGrown::locate, hashes, 1.0 / 101);
        out.printf(Locale.ROOT, "  Bulwark add    %.4fx ideal, %d keys moved between nodes that stayed%n", add.ratio,
                add.betweenStayers);
        out.printf(Locale.ROOT, "  Bulwark remove %.4fx ideal, %d keys moved between nodes that stayed%n", remove.ratio,
                remove.betweenStayers);
        out.printf(Locale.ROOT, "  Ketama add     %.4fx ideal, %d keys moved between nodes that stayed%n",
                ketamaAdd.ratio, ketamaAdd.betweenStayers);

        int boundedKeys = Math.min(keys, 1_000_000);
        long[] some = java.util.Arrays.copyOf(hashes, boundedKeys);
        BoundedLoad.Assignment bounded = BoundedLoad.assign(ring, some, BoundedLoad.DEFAULT_EPSILON);
        int cap = (int) Math.ceil(1.25 * boundedKeys / 100);
        out.println();
        out.printf(Locale.ROOT, "Bounded load (epsilon 0.25, %,d keys, 100 nodes): max %d keys, cap %d: %s%n",
                boundedKeys, bounded.maxLoad(), cap, bounded.maxLoad() <= cap ? "within cap" : "ABOVE CAP");

        out.println();
        out.println("Partition tables: a fourth node joins three (replicas moved / the newcomer's share)");
        List<io.bulwark.bench.kv.KvBench.Movement> tables = List.of(io.bulwark.bench.kv.KvBench.movement(16, 3),
                io.bulwark.bench.kv.KvBench.movement(64, 3));
        for (io.bulwark.bench.kv.KvBench.Movement m : tables) {
            out.printf(Locale.ROOT, "  %d partitions x %d: planned (the cluster) %d = %.2fx; recomputed from the ring %d = %.2fx;"
                    + " share %.0f%n", m.partitions(), m.replicationFactor(), m.replicasMoved(), m.ratioToIdeal(),
                    m.ringOnlyReplicas(), m.ringOnlyReplicas() / m.idealReplicas(), m.idealReplicas());
        }

        out.println();
        out.println("Goals (issue 2, section 3)");
        row(out, "balance at 100 nodes (peak/mean)", "<= 1.05", String.format(Locale.ROOT, "%.4f", ringPeak),
                ringPeak <= 1.05);
        row(out, "weighted nodes within +/-2% of target", "all", within + " of " + shares.length,
                within == shares.length);
        row(out, "bounded load never above cap", "<= " + cap, Integer.toString(bounded.maxLoad()),
                bounded.maxLoad() <= cap);
        row(out, "add one node: moved / ideal", "<= 1.05x", String.format(Locale.ROOT, "%.4fx", add.ratio),
                add.ratio <= 1.05);
        row(out, "remove one node: moved / ideal", "<= 1.05x", String.format(Locale.ROOT, "%.4fx", remove.ratio),
                remove.ratio <= 1.05);
        row(out, "keys moved between nodes that stayed", "0", Long.toString(add.betweenStayers + remove.betweenStayers),
                add.betweenStayers + remove.betweenStayers == 0);
        out.println("Goal (issue 5): adding a fourth node moves <= 1.1x the ideal share");
        for (io.bulwark.bench.kv.KvBench.Movement m : tables) {
            row(out, "fourth node, " + m.partitions() + " partitions", "<= 1.1x",
                    String.format(Locale.ROOT, "%.2fx", m.ratioToIdeal()), m.ratioToIdeal() <= 1.1);
        }
        out.flush();
        return 0;
    }

    private static void row(PrintStream out, String goal, String target, String measured, boolean pass) {
        out.printf(Locale.ROOT, " %-40s | %-9s | %-12s | %s%n", goal, target, measured, pass ? "pass" : "MISSED");
    }

    private static double peakToMean(List<Node> nodes, LongFunction<Node> locate, long[] hashes) {
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            index.put(nodes.get(i).id(), i);
        }
        long[] counts = new long[nodes.size()];
        for (long h : hashes) {
            counts[index.get(locate.apply(h).id())]++;
        }
        long max = 0;
        for (long c : counts) {
            max = Math.max(max, c);
        }
        return max / (hashes.length / (double) nodes.size());
    }

    private record Movement(double ratio, long betweenStayers) {
    }

    private static Movement movement(LongFunction<Node> before, LongFunction<Node> after, long[] hashes,
            double idealFraction) {
        long moved = 0;
        long stayers = 0;
        for (long h : hashes) {
            String was = before.apply(h).id();
            String now = after.apply(h).id();
            if (!was.equals(now)) {
                moved++;
                // A stayer-to-stayer move: neither the joining node (node-100) nor the leaving one (node-42).
                if (!now.equals(BenchNodes.id(100)) && !was.equals(BenchNodes.id(42))) {
                    stayers++;
                }
            }
        }
        return new Movement(moved / (idealFraction * hashes.length), stayers);
    }

    /** {@code RingQualityBench}: prints the placement-quality table for 10 million keys. */
    public static void main(String[] args) {
        System.exit(run(System.out, KEYS));
    }
}
