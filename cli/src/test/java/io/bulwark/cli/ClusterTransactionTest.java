package io.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.client.BulwarkClient;
import io.bulwark.server.node.ProcessCluster;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bank over real node processes on loopback, through a kill -9 and a restart. */
class ClusterTransactionTest extends ProcessClusterFixture {

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

    @Test
    void theTxnCommandTransfersAtomicallyAndRefusesImpossibleTransfers() throws Exception {
        cluster = ProcessCluster.create(dir.resolve("cluster"), 3, 8, 3, ProcessCluster.DEFAULT_JVM_ARGS, null);
        String endpoints = String.join(",", cluster.clientOptions().seeds().stream()
                .map(a -> a.getHostString() + ":" + a.getPort()).toList());
        try (BulwarkClient client = BulwarkClient.connect(cluster.clientOptions())) {
            String a = "alice";
            String b = "bob";
            for (int i = 0; client.partitionOf(b(b)) == client.partitionOf(b(a)); i++) {
                b = "bob-" + i;
            }
            client.put(b(a), b("100"));
            client.put(b(b), b("5"));

            CliRunner.Result ok = CliRunner.run("txn", "transfer", a, b, "30", "--endpoints", endpoints);
            assertThat(ok.code()).as(ok.err()).isZero();
            assertThat(ok.out()).contains("committed", "across two partitions");
            assertThat(s(client.get(b(a)))).isEqualTo("70");
            assertThat(s(client.get(b(b)))).isEqualTo("35");

            CliRunner.Result poor = CliRunner.run("txn", "transfer", a, b, "1000", "--endpoints", endpoints);
            assertThat(poor.code()).isEqualTo(1);
            assertThat(poor.err()).contains("insufficient balance", "nothing written");
            CliRunner.Result missing = CliRunner.run("txn", "transfer", a, "nobody", "1", "--endpoints", endpoints);
            assertThat(missing.code()).isEqualTo(2);
            assertThat(missing.err()).contains("nobody does not exist");
            client.put(b("text"), b("abc"));
            assertThat(CliRunner.run("txn", "transfer", "text", a, "1", "--endpoints", endpoints).err())
                    .contains("not a whole number");
            assertThat(CliRunner.run("txn", "transfer", a, a, "1", "--endpoints", endpoints).code()).isEqualTo(2);
            assertThat(CliRunner.run("txn", "transfer", a, b, "0", "--endpoints", endpoints).code()).isEqualTo(2);
            assertThat(s(client.get(b(a)))).isEqualTo("70");

            CliRunner.Result run = CliRunner.run("txn", "run", "--get", a, "--put", "x=1", "--del", b, "--json",
                    "--endpoints", endpoints);
            assertThat(run.code()).as(run.err()).isZero();
            assertThat(run.out()).contains("\"committed\":true", "\"alice\":\"70\"");
            assertThat(client.get(b(b))).isNull();
            assertThat(s(client.get(b("x")))).isEqualTo("1");
        }
    }

    private static byte[] b(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String s(byte[] v) {
        return v == null ? null : new String(v, java.nio.charset.StandardCharsets.UTF_8);
    }
}
