package io.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.client.BulwarkClient;
import io.bulwark.server.node.ProcessCluster;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bank over real node processes on loopback, through a kill -9 and a restart. */
class ClusterTransactionTest {

    @TempDir
    Path dir;
    private ProcessCluster cluster;

    @AfterEach
    void tearDown() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void transfersStaySerializableAndConserveMoneyThroughAKillAndRestart() throws Exception {
        cluster = ProcessCluster.create(dir.resolve("cluster"), 3, 8, 3, ProcessCluster.DEFAULT_JVM_ARGS, null);
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            BankWorkload bank = new BankWorkload(client, 6, 16, 7);
            bank.open();
            assertThat(bank.partitionsUsed()).isGreaterThan(4);
            bank.start();
            assertThat(bank.awaitTransfers(100, 60_000)).as("transfers flow before any fault").isTrue();

            int victim = ClusterChapter.busiestLeader(client, List.of(1, 2, 3));
            cluster.kill(victim);
            assertThat(bank.awaitTransfers(100, 60_000)).as("transfers resume after kill -9 of node " + victim).isTrue();
            cluster.start(victim);
            assertThat(bank.awaitTransfers(100, 60_000)).as("transfers continue after the restart").isTrue();
            bank.stop();

            BankWorkload.Verdict verdict = bank.verify();
            System.out.printf("cluster transaction test: %d transfers, %d audits, %d conflicts retried, %d failed "
                    + "commits (%d outcome unknown); %s%n", bank.transfers(), bank.audits(), bank.conflicts(),
                    bank.failures(), bank.unknownOutcomes(), verdict.describe());
            assertThat(verdict.ok()).as(verdict.describe()).isTrue();
            assertThat(bank.audits()).isGreaterThan(10);
        }
    }
}
