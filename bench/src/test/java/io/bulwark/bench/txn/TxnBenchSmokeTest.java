package io.bulwark.bench.txn;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The transaction bench end to end on a real 3-node cluster, briefly: every cell measured, nothing failed. */
class TxnBenchSmokeTest {

    @Test
    void measuresEveryCellOnARealCluster() throws Exception {
        TxnBench.Options o = TxnBench.Options.quickRun().withSeconds(Duration.ofMillis(500), Duration.ofMillis(500))
                .withClients(List.of(1, 8)).withAccounts(20).withEtcd(false);
        TxnBench.Report r = TxnBench.run(o, null);
        assertThat(r.latencies()).hasSize(5).allSatisfy(l -> assertThat(l.count()).isPositive());
        assertThat(r.latencies()).extracting(TxnBench.Latency::operation).contains(TxnBench.PUT_4_AT_ONCE);
        assertThat(r.throughput()).hasSize(2).allSatisfy(t -> {
            assertThat(t.transfers()).isPositive();
            assertThat(t.failures()).isZero();
        });
        assertThat(r.commitToPutRatio(r.engines().get(0), 2)).isPositive();
        assertThat(r.commitToPutsAtOnceRatio(r.engines().get(0))).isPositive();
        assertThat(r.table()).contains("commit p50 / put p50", "4-key commit / 4 puts at once", "conflicts");
    }
}
