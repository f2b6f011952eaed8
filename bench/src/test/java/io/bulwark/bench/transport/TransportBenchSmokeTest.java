package io.bulwark.bench.transport;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Keeps {@code bench transport} compiling and working: a second of each cell, numbers not meaningful. */
class TransportBenchSmokeTest {

    @Test
    void bothTransportsEchoEveryRequestAndTheReportComparesThem() throws Exception {
        TransportBench.Report r = TransportBench.run(TransportBench.Options.quickRun(), null);
        assertThat(r.cells()).hasSize(4);
        assertThat(r.cells()).allSatisfy(c -> assertThat(c.calls()).isPositive());
        assertThat(r.table()).contains("Bulwark protocol", "gRPC", "round trips/s");
    }
}
