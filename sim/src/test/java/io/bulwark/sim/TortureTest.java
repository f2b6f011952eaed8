package io.bulwark.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Many seeds with every fault on: the safety net that runs in every build. */
class TortureTest {

    /** Seeds per build; {@code -Dbulwark.torture.seeds=N} runs more. */
    static final int SEEDS = Integer.getInteger("bulwark.torture.seeds", 200);

    @Test
    void everyFaultManySeedsNoViolation() {
        TreeMap<String, Long> coverage = new TreeMap<>();
        Torture.Summary s = Torture.run(SimConfig.defaults(0), 1000, SEEDS, 3,
                r -> r.coverage().forEach((k, v) -> coverage.merge(k, v, Long::sum)));
        StringBuilder reports = new StringBuilder();
        s.failures().forEach(f -> reports.append(f.report()).append('\n'));
        assertThat(s.failures()).as(reports.toString()).isEmpty();
        assertThat(s.seeds()).isEqualTo(SEEDS);
        System.out.printf("torture: %d seeds, %d operations, %d slots, %d ms, coverage %s%n", s.seeds(),
                s.operations(), s.slotsChosen(), s.elapsedMs(), coverage);
        // A pass means little if the rare paths never ran: every one must have happened somewhere.
        assertThat(coverage).containsKeys("leader elected", "snapshot taken", "snapshot installed",
                "torn tail truncated", "corruption detected at start", "fsync failure stopped replica",
                "duplicate command not reapplied", "replica moved to a new node", "leadership handed over");
    }

    @Test
    void aLyingAcceptorIsCaughtWithinAFewSeeds() {
        Torture.Summary s = Torture.run(SimConfig.defaults(0).withLyingAcceptor(true), 1, 20, 1, r -> { });
        assertThat(s.failures()).as("the broken replica must be caught").isNotEmpty();
        System.out.println("lying acceptor caught at seed " + s.failures().get(0).seed() + " after " + s.seeds()
                + " seeds: " + s.failures().get(0).violations().get(0).lines().findFirst().orElse(""));
    }

    @Test
    void aSeedReplaysExactly() {
        SimResult a = Simulation.run(SimConfig.defaults(4242));
        SimResult b = Simulation.run(SimConfig.defaults(4242));
        assertThat(b.events()).isEqualTo(a.events());
        assertThat(b.operations()).isEqualTo(a.operations());
        assertThat(b.faultTimeline()).isEqualTo(a.faultTimeline());
        assertThat(b.coverage()).isEqualTo(a.coverage());
    }
}
