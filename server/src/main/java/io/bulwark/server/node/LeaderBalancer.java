package io.bulwark.server.node;

import io.bulwark.client.ClientOptions;
import io.bulwark.server.replication.ReplicaHost;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Spreads leadership evenly over the nodes. Elections alone do not: whichever node starts first, or stays up
 * while another restarts, ends up leading most groups and doing most of the work. Every {@code period}, for each
 * group this node leads whose preferred leader ({@link #preferredLeaders}) is another node, the balancer asks its
 * replica to hand leadership over; the replica does so only to a voter that has every chosen entry and was heard
 * from lately, so a node that is down, slow to catch up or cut off is left alone. A group is asked at most once
 * per {@code retry}, so a preferred node that keeps losing leadership is not pressed constantly.
 *
 * <p>Thread-safety: runs on its own thread; {@link #close()} from any thread.
 */
final class LeaderBalancer extends NodeDaemon {

    private final ReplicaHost host;
    private final Supplier<ClusterSpec> spec;
    private final long retryNanos;
    private final io.micrometer.core.instrument.Counter transfers;
    /** Group → when it was last asked (this thread only). */
    private final Map<Integer, Long> lastAsked = new TreeMap<>();

    LeaderBalancer(int nodeId, ReplicaHost host, Supplier<ClusterSpec> spec, Supplier<InetSocketAddress> self,
                   Duration period, Duration retry, io.micrometer.core.instrument.MeterRegistry registry) {
        super(nodeId, "leader-balancer", () -> ClientOptions.of(List.of(self.get())));
        this.host = host;
        this.spec = spec;
        this.retryNanos = retry.toNanos();
        this.transfers = io.micrometer.core.instrument.Counter.builder("bulwark.leader.transfers")
                .description("leaderships this node handed to a group's preferred leader").register(registry);
        every(period, "leader balancing", this::balance);
    }

    /**
     * The preferred leader of each group, indexed like {@code replicas} (a group's replica ids, primary first):
     * groups in order each take, of their replicas, the one preferred by the fewest groups so far (the earlier in
     * the group's list on a tie). Deterministic, so every node computes the same; with equal replica sets the
     * counts differ by at most one.
     */
    static int[] preferredLeaders(int[][] replicas) {
        Map<Integer, Integer> load = new TreeMap<>();
        int[] preferred = new int[replicas.length];
        for (int g = 0; g < replicas.length; g++) {
            int best = -1;
            int bestLoad = Integer.MAX_VALUE;
            for (int node : replicas[g]) {
                int l = load.getOrDefault(node, 0);
                if (l < bestLoad) {
                    best = node;
                    bestLoad = l;
                }
            }
            preferred[g] = best;
            if (best >= 0) {
                load.merge(best, 1, Integer::sum);
            }
        }
        return preferred;
    }

    private void balance() {
        int[] preferred = preferredLeaders(spec.get().topology().replicas());
        long now = System.nanoTime();
        for (int g : host.groups()) {
            if (closed) {
                return;
            }
            if (g >= preferred.length || preferred[g] < 0 || preferred[g] == nodeId) {
                continue;
            }
            Long asked = lastAsked.get(g);
            if (asked != null && now - asked < retryNanos) {
                continue;
            }
            try {
                if (!host.status(g).isLeader()) {
                    continue;
                }
            } catch (IllegalArgumentException removed) {
                continue;
            }
            lastAsked.put(g, now);
            try {
                if (host.transferLeadership(g, preferred[g]).get(5, TimeUnit.SECONDS)) {
                    transfers.increment();
                }
            } catch (Exception e) {
                return; // stopping, or the loop is stalled: the next run tries again
            }
        }
    }
}
