package io.bulwark.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The bug classes that have hit other consensus libraries, each forced to happen often by the fault mix
 * and checked by the simulator's checkers. Every test also asserts, through the coverage counts, that the
 * situation it is named after really occurred, so none can pass by not happening.
 */
class RegressionScenariosTest {

    private static TreeMap<String, Long> runSeeds(SimConfig base, int seeds) {
        TreeMap<String, Long> coverage = new TreeMap<>();
        Torture.Summary s = Torture.run(base, 1, seeds, 1, r -> r.coverage().forEach((k, v) -> coverage.merge(k, v, Long::sum)));
        StringBuilder reports = new StringBuilder();
        s.failures().forEach(f -> reports.append(f.report()));
        assertThat(s.failures()).as(reports.toString()).isEmpty();
        return coverage;
    }

    /**
     * Replicas moved to new nodes (a learner added, promoted, an old voter removed) under every other fault. These
     * seeds each once left a group unable to elect: a new node whose own log ended before it was added refused to
     * promise; a removed replica that knew more made every candidate step aside; a candidate required a quorum of
     * a membership whose voters were partly gone although every slot it governed was known chosen; a learner
     * never heard of its promotion with no leader left to tell it; a new node was promoted before it held any
     * state (it was "close" to the leader's short log with nothing at all). Each runs exactly as it did then.
     */
    @Test
    void placementChangesUnderEveryFaultKeepTheGroupAbleToElect() {
        long moved = 0;
        for (long seed : new long[] {1037, 1042, 1050, 1347, 1382, 1643, 1819, 1842, 20132, 21131, 22793, 23993,
                24859}) {
            // Without leadership transfers, which came later and would change every schedule.
            SimResult r = Simulation.run(SimConfig.defaults(seed)
                    .withFaults(java.util.EnumSet.complementOf(java.util.EnumSet.of(Fault.TRANSFER))));
            assertThat(r.violations()).as(r.report()).isEmpty();
            moved += r.coverage().getOrDefault("replica moved to a new node", 0L);
        }
        assertThat(moved).isPositive();
    }

    @Test
    void snapshotInstallRacingAnElection() {
        // Snapshot every 5 slots and crash or cut off replicas constantly: lagging replicas are installing
        // snapshots while leaders change under them.
        TreeMap<String, Long> c = runSeeds(SimConfig.defaults(0).withSnapshotEvery(5)
                .withFaults(EnumSet.of(Fault.CRASH, Fault.PARTITION, Fault.LOSS)), 25);
        assertThat(c.get("snapshot installed")).isGreaterThan(50);
        assertThat(c.get("leader elected")).isGreaterThan(50);
    }

    @Test
    void followerRestartedWithAWipedDiskIsRebuiltNotTrusted() {
        TreeMap<String, Long> c = runSeeds(SimConfig.defaults(0).withFaults(EnumSet.of(Fault.WIPE, Fault.CRASH)), 25);
        assertThat(c.get("replica rebuilt and promoted")).isGreaterThan(5);
    }

    @Test
    void snapshotTransferCutOffMidwayIsResumed() {
        TreeMap<String, Long> c = runSeeds(SimConfig.defaults(0).withSnapshotEvery(5)
                .withFaults(EnumSet.of(Fault.CRASH, Fault.LOSS, Fault.REORDER, Fault.WIPE)), 25);
        assertThat(c.get("snapshot chunk out of place, sender told where to resume")).isGreaterThan(0);
        assertThat(c.get("snapshot installed")).isGreaterThan(0);
    }

    @Test
    void leaseReadsUnderClockSkewWithinTheBoundStayLinearizable() {
        // Leaders change under partitions while replicas' clocks run at different rates: a deposed
        // leader must stop serving lease reads before a new one can be elected.
        TreeMap<String, Long> c = runSeeds(SimConfig.defaults(0).withLeaseReads(true)
                .withFaults(EnumSet.of(Fault.CLOCK_SKEW, Fault.PARTITION, Fault.CRASH, Fault.LOSS)), 40);
        assertThat(c.get("leader elected")).isGreaterThan(80);
    }

    @Test
    void fsyncFailureStopsTheReplicaAndNothingAcknowledgedIsLost() {
        TreeMap<String, Long> c = runSeeds(SimConfig.defaults(0)
                .withFaults(EnumSet.of(Fault.FSYNC_FAILURE, Fault.TORN_WRITE, Fault.CRASH)), 25);
        assertThat(c.get("fsync failure stopped replica")).isGreaterThan(10);
    }

    @Test
    void candidatesPingPongingVotesStillConverge() {
        // Five replicas, lossy and reordering network, constant partitions: many concurrent candidacies.
        TreeMap<String, Long> c = runSeeds(SimConfig.defaults(0).withReplicas(5)
                .withFaults(EnumSet.of(Fault.PARTITION, Fault.LOSS, Fault.DUPLICATE, Fault.REORDER)), 20);
        assertThat(c.get("leader elected")).isGreaterThan(40);
    }
}
