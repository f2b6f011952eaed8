package io.bulwark.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class SimulationTest {

    @Test
    void aQuietRunPassesAndChecksOperations() {
        SimResult r = Simulation.run(SimConfig.defaults(1).withFaults(EnumSet.noneOf(Fault.class)));
        assertThat(r.passed()).as(r.report()).isTrue();
        assertThat(r.operations()).isGreaterThan(100);
        assertThat(r.audited()).isTrue();
    }

    @Test
    void allFaultsFewSeeds() {
        for (long seed = 1; seed <= 20; seed++) {
            SimResult r = Simulation.run(SimConfig.defaults(seed));
            assertThat(r.passed()).as(r.report()).isTrue();
            System.out.println(r.report().lines().findFirst().orElse(""));
        }
    }
}
