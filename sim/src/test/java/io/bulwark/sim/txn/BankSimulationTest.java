package io.bulwark.sim.txn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BankSimulationTest {

    @Test
    void withoutFaultsEveryTransferAndAuditRunsCleanly() {
        BankResult r = BankSimulation.run(BankConfig.defaults(1).withFaults(false));
        assertThat(r.passed()).as(r.report()).isTrue();
        assertThat(r.committed()).isGreaterThan(200);
        assertThat(r.audits()).isGreaterThan(20);
    }

    @Test
    void underFaultsManySeedsConserveMoneyAndStaySerializable() {
        java.util.TreeMap<String, Long> coverage = new java.util.TreeMap<>();
        long committed = 0;
        for (long seed = 1; seed <= 40; seed++) {
            BankResult r = BankSimulation.run(BankConfig.defaults(seed));
            assertThat(r.passed()).as(r.report()).isTrue();
            committed += r.committed();
            r.coverage().forEach((k, v) -> coverage.merge(k, v, Long::sum));
        }
        assertThat(committed).isGreaterThan(2_000);
        // The run must actually have exercised what it claims: crashes at every protocol step, helpers and
        // sweepers finishing abandoned transactions both ways, commands chosen across failovers.
        assertThat(coverage).containsKeys("client crash after reads, before prepare", "client crash between prepares",
                "client crash after every prepare was sent", "client crash decided, before resolving",
                "client crash between resolutions", "sweeper recovered a transaction: COMMITTED",
                "sweeper recovered a transaction: ABORTED", "transfer committed (client never told)",
                "command chosen across a failover, unanswered", "failover restored from snapshot",
                "prepare refused: CONFLICT", "prepare refused: ALREADY_ABORTED", "help: holder still running, wait",
                "coordinator lost a prepare answer, forces the outcome", "audit validated",
                "audit by range scans validated", "transfer read by range scans", "partition failed over mid-Prepare",
                "partition failed over mid-Resolve", "partition failed over mid-Fence", "one-phase commit attempted");
    }

    /**
     * The same bank with every partition a real simulated Paxos group (3 replicas with disks, crashes with torn
     * writes, flipped bits, fsync failures, wiped disks, partitions, snapshots every 40 slots).
     */
    @Test
    void overRealPaxosGroupsWithDiskFaultsTheBankStaysConservedAndSerializable() {
        java.util.TreeMap<String, Long> coverage = new java.util.TreeMap<>();
        long committed = 0;
        // Seed 7 found a group that could not elect after a rebuilt replica's promotion was forgotten in a power
        // loss and another disk was lost (ReplicaTest.aChosenPromotionSurvivesAPowerLoss...).
        for (long seed = 1; seed <= 10; seed++) {
            BankResult r = BankSimulation.run(BankConfig.defaults(seed).withPaxos(true));
            assertThat(r.passed()).as(r.report()).isTrue();
            committed += r.committed();
            r.coverage().forEach((k, v) -> coverage.merge(k, v, Long::sum));
        }
        assertThat(committed).isGreaterThan(1_000);
        assertThat(coverage).containsKeys("paxos: torn tail truncated", "paxos: corruption detected at start",
                "paxos: fsync failure stopped replica", "paxos: snapshot taken", "paxos: leader elected",
                "sweeper recovered a transaction: COMMITTED", "help: forced COMMITTED");
    }

    @Test
    void aRunReplaysExactlyFromItsSeed() {
        BankResult a = BankSimulation.run(BankConfig.defaults(77));
        BankResult b = BankSimulation.run(BankConfig.defaults(77));
        assertThat(b.committed()).isEqualTo(a.committed());
        assertThat(b.aborted()).isEqualTo(a.aborted());
        assertThat(b.coverage()).isEqualTo(a.coverage());
    }

    @Test
    void theCheckersCatchAClientThatSkipsReadValidation() {
        assertThat(firstFailure(BankConfig.Sabotage.SKIP_READ_VALIDATION)).containsAnyOf("lost update", "cycle", "total");
    }

    @Test
    void theCheckersCatchAClientThatAcknowledgesBeforeEveryPrepare() {
        assertThat(firstFailure(BankConfig.Sabotage.ACK_BEFORE_ALL_PREPARED)).contains("acknowledged committed but is not");
    }

    private static String firstFailure(BankConfig.Sabotage sabotage) {
        for (long seed = 1; seed <= 20; seed++) {
            BankResult r = BankSimulation.run(BankConfig.defaults(seed).withSabotage(sabotage));
            if (!r.passed()) {
                return String.join("\n", r.violations());
            }
        }
        throw new AssertionError("20 seeds of a broken client passed every check");
    }
}
