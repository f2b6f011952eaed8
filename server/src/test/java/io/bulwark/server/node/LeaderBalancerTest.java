package io.bulwark.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.client.BulwarkClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class LeaderBalancerTest extends LocalClusterTest {

    private static Map<Integer, Integer> count(int[] preferred) {
        Map<Integer, Integer> c = new TreeMap<>();
        for (int p : preferred) {
            c.merge(p, 1, Integer::sum);
        }
        return c;
    }

    @Test
    void preferredLeadersAreSpreadEvenlyAndTheSameForEveryone() {
        int[][] same = new int[17][];
        for (int g = 0; g < same.length; g++) {
            same[g] = new int[] {1, 2, 3};
        }
        assertThat(count(LeaderBalancer.preferredLeaders(same))).containsExactlyInAnyOrderEntriesOf(Map.of(1, 6, 2, 6, 3, 5));

        // Primaries skewed 4:1:1 across six groups still give two each; each group keeps one of its own replicas.
        int[][] skewed = {{1, 2, 3}, {1, 3, 2}, {1, 2, 3}, {1, 3, 2}, {2, 1, 3}, {3, 2, 1}};
        int[] preferred = LeaderBalancer.preferredLeaders(skewed);
        assertThat(count(preferred)).containsExactlyInAnyOrderEntriesOf(Map.of(1, 2, 2, 2, 3, 2));
        for (int g = 0; g < skewed.length; g++) {
            int p = preferred[g];
            assertThat(skewed[g]).contains(p);
        }
        assertThat(LeaderBalancer.preferredLeaders(skewed)).containsExactly(preferred);

        // Five nodes, replica sets of three: nobody outside a set is picked, loads differ by at most one.
        int[][] five = new int[10][];
        for (int g = 0; g < five.length; g++) {
            five[g] = new int[] {1 + g % 5, 1 + (g + 1) % 5, 1 + (g + 2) % 5};
        }
        assertThat(count(LeaderBalancer.preferredLeaders(five)).values()).containsOnly(2);
    }

    /** Node id → groups it leads, from the nodes' own published status. */
    private Map<Integer, Integer> leads() {
        Map<Integer, Integer> leads = new TreeMap<>();
        for (BulwarkNode n : cluster.nodes.values()) {
            for (int g : n.replicas().groups()) {
                if (n.replicas().status(g).isLeader()) {
                    leads.merge(n.nodeId(), 1, Integer::sum);
                }
            }
        }
        return leads;
    }

    /**
     * Waits (on each replica's published status, with a deadline) until every group is led by its preferred
     * node and by no other, then checks the per-node counts.
     */
    private void awaitPreferredLeaders(Map<Integer, Integer> expected, Duration timeout) throws Exception {
        int[] preferred = LeaderBalancer.preferredLeaders(cluster.spec.topology().replicas());
        for (int g = 0; g < preferred.length; g++) {
            cluster.nodes.get(preferred[g]).replicas().awaitStatus(g, s -> s.isLeader(), timeout);
            for (BulwarkNode n : cluster.nodes.values()) {
                if (n.nodeId() != preferred[g]) {
                    n.replicas().awaitStatus(g, s -> !s.isLeader(), timeout);
                }
            }
        }
        assertThat(leads()).as("groups led per node").isEqualTo(expected);
    }

    @Test
    void leadershipSpreadsAfterStartAndReturnsToARestartedNodeWhileWritesGoOn() throws Exception {
        cluster = new LocalCluster(dir, 3, 8, 3);
        Map<Integer, Integer> expected = count(LeaderBalancer.preferredLeaders(cluster.spec.topology().replicas()));
        assertThat(expected).containsExactlyInAnyOrderEntriesOf(Map.of(1, 3, 2, 3, 3, 3));
        awaitPreferredLeaders(expected, Duration.ofSeconds(20));

        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            cluster.stop(2);
            java.util.concurrent.CountDownLatch writtenWhileDown = new java.util.concurrent.CountDownLatch(100);
            Thread writer = new Thread(() -> {
                for (int i = 0; i < 400; i++) {
                    client.put(("k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8));
                    writtenWhileDown.countDown();
                }
            });
            writer.start();
            // Writes go on while node 2 is down (its groups elected new leaders).
            assertThat(writtenWhileDown.await(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            cluster.start(2);
            writer.join(60_000);
            assertThat(writer.isAlive()).isFalse();
            awaitPreferredLeaders(expected, Duration.ofSeconds(30));
            // Every write went through the handovers (the client retries a command a leader change interrupted).
            for (int i = 0; i < 400; i++) {
                assertThat(client.get(("k" + i).getBytes(StandardCharsets.UTF_8)))
                        .isEqualTo(("v" + i).getBytes(StandardCharsets.UTF_8));
            }
        }
    }
}
