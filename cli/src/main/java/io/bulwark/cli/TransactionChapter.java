package io.bulwark.cli;

import io.bulwark.client.BulwarkClient;
import io.bulwark.server.node.ProcessCluster;
import io.bulwark.sim.txn.BankConfig;
import io.bulwark.sim.txn.BankResult;
import io.bulwark.sim.txn.BankSimulation;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;

/**
 * The demo's transaction chapter: the bank simulation over many seeds (and a broken client it must catch),
 * then the same bank on a real 3-node cluster — concurrent cross-partition transfers and audits while the
 * busiest leader is killed with {@code kill -9} and restarted — with the total checked by every audit and at
 * the end, and the whole history checked for strict serializability. Every process it starts is stopped and
 * its directory deleted, whatever happens.
 */
final class TransactionChapter {

    static final int WORKERS = 6;
    static final int ACCOUNTS = 16;
    static final int SEEDS = 10;

    private TransactionChapter() {
    }

    static boolean run(PrintStream out) {
        boolean simulated = simulate(out);
        return ClusterChapter.withCluster(out, "bulwark-demo-txn", (cluster, client) -> bank(out, cluster, client))
                && simulated;
    }

    private static boolean simulate(PrintStream out) {
        long t0 = System.nanoTime();
        long committed = 0;
        long crashes = 0;
        long recovered = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            BankResult r = BankSimulation.run(BankConfig.defaults(seed));
            if (!r.passed()) {
                out.println("  simulation seed " + seed + " FAILED:\n" + r.report());
                return false;
            }
            committed += r.committed();
            for (var e : r.coverage().entrySet()) {
                if (e.getKey().startsWith("client crash")) {
                    crashes += e.getValue();
                }
                if (e.getKey().startsWith("sweeper recovered") || e.getKey().startsWith("help: forced")) {
                    recovered += e.getValue();
                }
            }
        }
        BankResult broken = null;
        for (long seed = 1; seed <= SEEDS && (broken == null || broken.passed()); seed++) {
            broken = BankSimulation.run(BankConfig.defaults(seed).withSabotage(BankConfig.Sabotage.SKIP_READ_VALIDATION));
        }
        boolean caught = broken != null && !broken.passed();
        out.printf(Locale.ROOT, "  simulator: %d seeds of lost/duplicated messages, failovers and %d coordinator crashes"
                + " at every protocol step; %,d transfers committed, %d abandoned ones finished by helpers: conserved and"
                + " serializable (%.1f s)%n", SEEDS, crashes, committed, recovered, (System.nanoTime() - t0) / 1e9);
        out.println("  a client that skips read validation is caught by the checkers: " + (caught ? "yes" : "NO"));
        return caught;
    }

    private static boolean bank(PrintStream out, ProcessCluster cluster, BulwarkClient client)
            throws IOException, InterruptedException, java.util.concurrent.TimeoutException {
        BankWorkload bank = new BankWorkload(client, WORKERS, ACCOUNTS, 11);
        bank.open();
        out.printf(Locale.ROOT, "  %d accounts of %,d on %d partitions of a 3-node cluster: total %,d%n", ACCOUNTS,
                BankWorkload.INITIAL_BALANCE, bank.partitionsUsed(), bank.total());
        long t0 = System.nanoTime();
        bank.start();
        boolean ok = bank.awaitTransfers(200, 60_000);
        int victim = ClusterChapter.busiestLeader(client, List.of(1, 2, 3));
        long before = bank.transfers();
        cluster.kill(victim);
        boolean resumed = bank.awaitTransfers(200, 60_000);
        out.printf(Locale.ROOT, "  %d workers transferring across partitions; kill -9 of node %d after %,d commits ->"
                + " transfers resumed: %s%n", WORKERS, victim, before, resumed ? "yes" : "NO");
        cluster.start(victim);
        ok &= resumed && bank.awaitTransfers(200, 60_000);
        bank.stop();
        double seconds = (System.nanoTime() - t0) / 1e9;
        BankWorkload.Verdict verdict = bank.verify();
        out.printf(Locale.ROOT, "  node %d restarted; committed: %,d transfers (%.0f/s) and %,d audits; aborted by a"
                + " conflict and retried: %,d; failed or outcome unknown: %d%n", victim, bank.transfers(),
                bank.transfers() / seconds, bank.audits(), bank.conflicts(), bank.failures());
        out.printf(Locale.ROOT, "  total after: %,d (before: %,d); every audit saw the total; history: %s%n",
                verdict.total(), bank.total(), verdict.describe());
        return ok && verdict.ok();
    }
}
