package io.bulwark.cli;

import io.bulwark.cli.examples.FiveNodeRingExample;
import io.bulwark.lock.Fence;
import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockLostException;
import io.bulwark.lock.LockOptions;
import io.bulwark.lock.memory.InMemoryLockBackend;
import io.bulwark.lock.redis.LocalRedisServer;
import io.bulwark.lock.redis.RedisLockBackend;
import io.bulwark.lock.redis.RedisLockBackendOptions;
import io.bulwark.ring.BoundedLoad;
import io.bulwark.ring.HashRing;
import io.bulwark.ring.MigrationPlan;
import io.bulwark.ring.Node;
import io.bulwark.ring.PartitionMove;
import io.bulwark.ring.PartitionTable;
import io.bulwark.ring.RingDiff;
import io.bulwark.ring.RingHolder;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import picocli.CommandLine.Command;

/**
 * {@code bulwark demo}: a guided tour of everything Bulwark can do so far, each step a check. Exits 0 only
 * when every check passed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Guided tour of Bulwark with a check at every step; exits 0 only if every check passes.")
final class DemoCommand implements Callable<Integer> {

    /** Held strongly: java.util.logging forgets the level of a logger nobody references. */
    private static final java.util.logging.Logger LOCK_LOG = java.util.logging.Logger.getLogger("io.bulwark.lock");

    private final PrintStream out = System.out;
    private int passed;
    private int failed;

    @Override
    public Integer call() {
        out.println("Bulwark demo: consistent hashing (bulwark-ring), locks (bulwark-lock), consensus (bulwark-paxos,"
                + " checked in the bulwark-sim simulator), the cluster and its transactions (bulwark-txn)");
        out.println();
        step("1. The design note's example: 5 nodes, place items, remove one; only its items move",
                () -> FiveNodeRingExample.run(out));
        step("2. Balance: 100 equal nodes, 1,000,000 keys; largest node <= 1.05x the mean", this::balance);
        step("3. Weights: a node of weight 3 gets three times the keys of weight 1 (within 2%)", this::weights);
        step("4. Zones: 3 replicas of every key land in 3 different zones", this::zones);
        step("5. Adding a node: moves ~1/(N+1) of the keys, all to the newcomer", this::migration);
        step("6. Agreement: fingerprint and serialized form let clients prove they hold the same ring",
                this::fingerprint);
        step("7. Bounded load: no node above ceil(1.25 x mean) even on a coarse ring", this::boundedLoad);
        step("8. Partitions: 64 partitions x 3 replicas; a new node takes exactly the partitions it gets",
                this::partitions);
        step("9. Lock-free readers: a RingHolder publishes whole rings while readers look up keys",
                this::holder);
        step("10. Locks: 8 threads x 200 increments under one lock; every grant's fencing token is higher",
                this::mutualExclusion);
        step("11. Fencing: a holder paused past its lease is refused by the resource, and told so",
                this::fencing);
        step("12. Redis: a local redis-server; 4 workers x 50 fenced increments while one holder is paused"
                + " past its lease", this::redis);
        step("13. Consensus: a simulated 3-replica Paxos group under every fault passes agreement, linearizability"
                + " and convergence checks; a deliberately broken replica is caught", () -> ConsensusChapter.run(out));
        step("14. The cluster: 3 node processes, partitions placed by the ring, each a Paxos group; kill -9 the busiest"
                + " leader under a checked load, restart it, add a node, kill one for good and watch the cluster replace it;"
                + " nothing lost", () -> ClusterChapter.run(out));
        step("15. Transactions: money moves between accounts on different partitions, atomically and serializably,"
                + " while the busiest leader is killed; the total never changes", () -> TransactionChapter.run(out));
        out.println();
        out.printf("demo: %d checks passed, %d failed%n", passed, failed);
        return failed == 0 ? 0 : 1;
    }

    private void step(String title, BooleanSupplier check) {
        out.println(title);
        boolean ok;
        try {
            ok = check.getAsBoolean();
        } catch (RuntimeException e) {
            out.println("  error: " + e);
            ok = false;
        }
        out.println(ok ? "  PASS" : "  FAIL");
        if (ok) {
            passed++;
        } else {
            failed++;
        }
    }

    private boolean mutualExclusion() {
        try (InMemoryLockBackend backend = InMemoryLockBackend.create();
                LockClient locks = LockClient.create(backend)) {
            int[] counter = {0};
            long[] lastToken = {0};
            boolean[] ordered = {true};
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                Thread thread = new Thread(() -> {
                    for (int i = 0; i < 200; i++) {
                        try (LockLease lease = locks.acquire("demo/counter", LockOptions.exclusive())) {
                            // Unsynchronized on purpose: only the lock keeps these read-modify-writes apart.
                            counter[0] = counter[0] + 1;
                            ordered[0] &= lease.fencingToken() > lastToken[0];
                            lastToken[0] = lease.fencingToken();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                });
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join(60_000);
            }
            out.printf("  counter %d (expected 1600), last fencing token %d, tokens strictly increasing: %s%n",
                    counter[0], lastToken[0], ordered[0]);
            return counter[0] == 1600 && ordered[0];
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean fencing() {
        // The lost lease is reported below by the check itself; keep the operator log line out of the tour.
        LOCK_LOG.setLevel(java.util.logging.Level.SEVERE);
        Fence storage = new Fence();
        try (InMemoryLockBackend backend = InMemoryLockBackend.create();
                LockClient a = LockClient.create(backend);
                LockClient b = LockClient.create(backend)) {
            // A takes a short lease and stops renewing, as a process frozen by a long GC pause would.
            LockLease paused = a.acquire("orders/42",
                    LockOptions.exclusive().withLeaseTime(Duration.ofMillis(200)).withAutoRenew(false));
            boolean firstWrite = storage.admit("orders/42", paused.fencingToken());
            // B waits for the lock; it is granted once A's lease has run out on the backend.
            try (LockLease next = b.acquire("orders/42", LockOptions.exclusive().withWaitTimeout(Duration.ofSeconds(5)))) {
                boolean secondWrite = storage.admit("orders/42", next.fencingToken());
                // A wakes up and writes with its old token: the storage refuses it.
                boolean staleWrite = storage.admit("orders/42", paused.fencingToken());
                boolean told = closeReportsLoss(paused);
                out.printf("  A token %d admitted: %s; B token %d admitted: %s; A's late write admitted: %s;"
                        + " A told it lost the lock: %s%n", paused.fencingToken(), firstWrite, next.fencingToken(),
                        secondWrite, staleWrite, told);
                return firstWrite && secondWrite && !staleWrite && told && !paused.isValid()
                        && next.fencingToken() > paused.fencingToken();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private boolean redis() {
        LOCK_LOG.setLevel(java.util.logging.Level.SEVERE);
        try (LocalRedisServer server = LocalRedisServer.start();
                RedisLockBackend backend = RedisLockBackend.create(RedisLockBackendOptions.of(server.uri()));
                LockClient locks = LockClient.create(backend)) {
            out.printf("  started redis-server %s on %s%n", server.version(), server.uri());
            Fence fence = new Fence();
            long[] counter = {0};
            // A holder that stops renewing and is "paused" (its thread blocks) past its 300 ms lease.
            LockLease paused = locks.acquire("demo/redis-counter",
                    LockOptions.exclusive().withLeaseTime(Duration.ofMillis(300)).withAutoRenew(false));
            List<Thread> workers = new ArrayList<>();
            boolean[] failed = {false};
            for (int w = 0; w < 4; w++) {
                Thread worker = new Thread(() -> {
                    for (int i = 0; i < 50; i++) {
                        try (LockLease lease = locks.acquire("demo/redis-counter",
                                LockOptions.exclusive().withWaitTimeout(Duration.ofSeconds(20)))) {
                            if (fence.admit("demo/redis-counter", lease.fencingToken())) {
                                counter[0] = counter[0] + 1;
                            } else {
                                failed[0] = true;
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        } catch (RuntimeException e) {
                            failed[0] = true;
                            return;
                        }
                    }
                });
                workers.add(worker);
                worker.start();
            }
            for (Thread worker : workers) {
                worker.join(60_000);
            }
            // The paused holder wakes up and writes with its old token.
            boolean staleAdmitted = fence.admit("demo/redis-counter", paused.fencingToken());
            boolean told = closeReportsLoss(paused);
            out.printf("  counter %d (expected 200); paused holder's token %d, late write admitted: %s, told it lost"
                    + " the lock: %s; highest token %d%n", counter[0], paused.fencingToken(), staleAdmitted, told,
                    fence.highestToken("demo/redis-counter"));
            return counter[0] == 200 && !failed[0] && !staleAdmitted && told;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (java.io.IOException e) {
            out.println("  could not start a local redis-server: " + e.getMessage());
            return false;
        }
    }

    /** Closes a lease that should have been lost; true if closing says so, as a paused holder must be told. */
    private static boolean closeReportsLoss(LockLease lease) {
        try {
            lease.close();
            return false;
        } catch (LockLostException expected) {
            return true;
        }
    }

    private static List<Node> nodes(int n, int zones) {
        List<Node> list = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            list.add(Node.of("node-" + i, 1, zones == 0 ? null : "zone-" + (char) ('a' + i % zones)));
        }
        return list;
    }

    private boolean balance() {
        HashRing ring = HashRing.of(nodes(100, 0));
        RingReport r = RingReport.measure(ring, ring, 1_000_000, 1, List.of(), List.of());
        out.printf(Locale.ROOT, "  peak/mean %.4f, relative standard deviation %.4f%n", r.peakToMean(), r.stddev());
        return r.peakToMean() <= 1.05;
    }

    private boolean weights() {
        HashRing ring = HashRing.of(Node.of("small", 1), Node.of("big", 3), Node.of("medium", 2));
        double[] shares = ring.shares();
        double[] targets = ring.targetShares();
        boolean ok = true;
        for (int i = 0; i < shares.length; i++) {
            double ratio = shares[i] / targets[i];
            out.printf(Locale.ROOT, "  %-6s weight %.0f: share %.4f, target %.4f, ratio %.4f%n",
                    ring.nodes().get(i).id(), ring.nodes().get(i).weight(), shares[i], targets[i], ratio);
            ok &= Math.abs(ratio - 1) <= 0.02;
        }
        return ok;
    }

    private boolean zones() {
        HashRing ring = HashRing.of(nodes(9, 3));
        Node[] out3 = new Node[3];
        int spread = 0;
        for (int k = 0; k < 100_000; k++) {
            ring.replicas(RingReport.keyHash(7, k), out3, 3);
            if (Arrays.stream(out3).map(Node::zone).distinct().count() == 3) {
                spread++;
            }
        }
        ring.replicas(RingReport.keyHash(7, 0), out3, 3);
        out.printf("  e.g. key 0 -> %s; %,d of 100,000 keys span 3 zones%n", Arrays.toString(out3), spread);
        return spread == 100_000;
    }

    private boolean migration() {
        HashRing before = HashRing.of(nodes(10, 0));
        HashRing after = before.with(Node.of("node-11"));
        MigrationPlan plan = RingDiff.between(before, after, 1);
        double ideal = 1.0 / 11;
        out.printf(Locale.ROOT, "  %d ranges move, %.4f of the key space (ideal %.4f); transfers all to node-11: %s%n",
                plan.moves().size(), plan.primaryMovedFraction(), ideal,
                plan.primaryTransfers().keySet().stream().allMatch(t -> t.endsWith("-> node-11")));
        RingReport keys = RingReport.measure(before, after, 200_000, 3, List.of("node-11"), List.of());
        out.printf(Locale.ROOT, "  200,000 keys: %,d moved (%.4fx ideal), %d between nodes that stayed%n",
                keys.moved(), keys.moved() / keys.idealMoved(), keys.movedBetweenStayers());
        return plan.primaryMovedFraction() <= ideal * 1.05 && keys.movedBetweenStayers() == 0
                && plan.primaryTransfers().keySet().stream().allMatch(t -> t.endsWith("-> node-11"));
    }

    private boolean fingerprint() {
        HashRing server = HashRing.of(nodes(20, 0));
        List<Node> shuffled = new ArrayList<>(nodes(20, 0));
        java.util.Collections.shuffle(shuffled, new java.util.Random(42));
        HashRing client = HashRing.of(shuffled);
        HashRing decoded = HashRing.deserialize(server.serialize());
        HashRing stale = server.reweighted("node-5", 1.5);
        out.printf("  server %016x, client built in another order %016x, decoded %016x (%d bytes), stale %016x%n",
                server.fingerprint(), client.fingerprint(), decoded.fingerprint(), server.serialize().length,
                stale.fingerprint());
        return server.fingerprint() == client.fingerprint() && decoded.fingerprint() == server.fingerprint()
                && stale.fingerprint() != server.fingerprint();
    }

    private boolean boundedLoad() {
        HashRing coarse = HashRing.builder().vnodesPerWeight(4).addAll(nodes(50, 0)).build();
        long[] keys = new long[200_000];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = RingReport.keyHash(11, i);
        }
        BoundedLoad.Assignment a = BoundedLoad.assign(coarse, keys, BoundedLoad.DEFAULT_EPSILON);
        RingReport plain = RingReport.measure(coarse, coarse, keys.length, 11, List.of(), List.of());
        int cap = (int) Math.ceil(1.25 * keys.length / 50);
        out.printf(Locale.ROOT, "  4 points a node: plain peak/mean %.3f; bounded max %d keys, cap %d (peak/mean %.3f),"
                + " %,d keys overflowed%n", plain.peakToMean(), a.maxLoad(), cap, a.maxLoad() / (keys.length / 50.0),
                a.overflowed(keys));
        return a.maxLoad() <= cap;
    }

    private boolean partitions() {
        HashRing ring = HashRing.of(nodes(5, 0));
        PartitionTable before = PartitionTable.of(ring, 64, 3);
        PartitionTable after = PartitionTable.of(ring.with(Node.of("node-6")), 64, 3);
        List<PartitionMove> moves = before.diff(after);
        long held = 0;
        for (int p = 0; p < 64; p++) {
            if (after.replicas(p).stream().anyMatch(n -> n.id().equals("node-6"))) {
                held++;
            }
        }
        boolean onlyNewcomer = moves.stream().allMatch(m -> m.added().size() == 1
                && m.added().get(0).id().equals("node-6"));
        out.printf("  node-6 holds %d partition replicas; %d partitions move; every move adds only node-6: %s%n",
                held, moves.size(), onlyNewcomer);
        return moves.size() == held && onlyNewcomer;
    }

    private boolean holder() {
        RingHolder holder = new RingHolder(HashRing.of(nodes(3, 0)));
        final boolean[] consistent = {true};
        Thread reader = new Thread(() -> {
            for (int i = 0; i < 200_000; i++) {
                HashRing r = holder.get();
                if (!r.contains(r.locate(RingReport.keyHash(5, i)).id())) {
                    consistent[0] = false;
                }
            }
        });
        reader.start();
        for (int i = 4; i <= 30; i++) {
            int id = i;
            holder.update(r -> r.with(Node.of("node-" + id)));
        }
        try {
            reader.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
        out.printf("  27 updates published while a reader did 200,000 lookups; every answer consistent: %s%n",
                consistent[0]);
        return consistent[0] && holder.get().size() == 30 && !reader.isAlive();
    }
}
