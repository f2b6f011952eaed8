package io.bulwark.sim;

import io.bulwark.core.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs many seeds of a {@link SimConfig} and sums them up. Each seed is independent and replayable.
 * Not thread-safe.
 */
public final class Torture {

    /** The totals over all seeds run; {@code failures} holds the full result of each failing seed. */
    public record Summary(int seeds, long operations, long slotsChosen, int violations, List<SimResult> failures,
                          long elapsedMs) {
    }

    private Torture() {
    }

    /**
     * Runs seeds {@code firstSeed .. firstSeed + seeds - 1} of {@code base}, calling {@code progress} after
     * each one, and stops early after {@code maxFailures} failing seeds.
     */
    public static Summary run(SimConfig base, long firstSeed, int seeds, int maxFailures, Consumer<SimResult> progress) {
        if (seeds < 1) {
            throw new IllegalArgumentException("seeds must be at least 1, was " + seeds);
        }
        // Wall time for the report only; nothing in a run depends on it.
        Clock wall = Clock.system();
        long start = wall.nanoTime();
        long operations = 0;
        long slots = 0;
        int violations = 0;
        int ran = 0;
        List<SimResult> failures = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            SimResult r = Simulation.run(base.withSeed(firstSeed + i));
            ran++;
            operations += r.operations();
            slots += r.slotsChosen();
            violations += r.violations().size();
            if (!r.passed()) {
                failures.add(r);
            }
            progress.accept(r);
            if (failures.size() >= maxFailures) {
                break;
            }
        }
        return new Summary(ran, operations, slots, violations, List.copyOf(failures),
                (wall.nanoTime() - start) / 1_000_000);
    }
}
