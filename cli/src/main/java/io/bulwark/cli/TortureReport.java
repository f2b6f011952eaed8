package io.bulwark.cli;

import io.bulwark.sim.Fault;
import io.bulwark.sim.SimConfig;
import io.bulwark.sim.SimResult;
import io.bulwark.sim.Torture;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongFunction;

/**
 * What {@code bulwark torture} found over its seeds: the totals, the failing runs and how often each rare path
 * ran (summed coverage), as text or JSON. Fed one {@link SimResult} at a time, then the {@link Torture.Summary}.
 * Keeps the full result of failing runs only. Not thread-safe.
 */
final class TortureReport {

    private final SimConfig config;
    private final long firstSeed;
    private final int plannedSeeds;
    private final LongFunction<String> replay;
    /** Probe name to {total count, seeds in which it ran at least once}. */
    private final TreeMap<String, long[]> coverage = new TreeMap<>();
    private final List<SimResult> failures = new ArrayList<>();
    /** The one run of a {@code --seed} replay, kept whole for its timeline and coverage. */
    private SimResult last;
    private long operations;
    private int audited;
    private int ran;
    private Torture.Summary summary;

    TortureReport(SimConfig config, long firstSeed, int plannedSeeds, LongFunction<String> replay) {
        this.config = config;
        this.firstSeed = firstSeed;
        this.plannedSeeds = plannedSeeds;
        this.replay = replay;
    }

    void add(SimResult r) {
        ran++;
        operations += r.operations();
        if (r.audited()) {
            audited++;
        }
        for (Map.Entry<String, Long> e : r.coverage().entrySet()) {
            long[] c = coverage.computeIfAbsent(e.getKey(), k -> new long[2]);
            c[0] += e.getValue();
            c[1] += e.getValue() > 0 ? 1 : 0;
        }
        if (!r.passed()) {
            failures.add(r);
        }
        last = r;
    }

    void finish(Torture.Summary s) {
        this.summary = s;
    }

    long operations() {
        return operations;
    }

    List<Long> failingSeeds() {
        return failures.stream().map(SimResult::seed).toList();
    }

    String header() {
        String seeds = plannedSeeds == 1 ? "seed " + firstSeed
                : String.format(Locale.ROOT, "%,d seeds (%d .. %d)", plannedSeeds, firstSeed, firstSeed + plannedSeeds - 1);
        return String.format(Locale.ROOT, "torture: %s; %d replicas, %d clients, faults %s; %,d ms of faults then"
                + " %,d ms quiet (virtual time); %s reads%s", seeds, config.replicas(), config.clients(),
                faultList(config.faults()), config.faultMs(), config.quietMs(),
                config.leaseReads() ? "lease" : "read-index",
                config.lyingAcceptor() ? "; replica 1 is a deliberately lying acceptor" : "");
    }

    /**
     * A failing run's report, with the replay line corrected to carry this run's options: the simulator's own
     * report only knows the default ones.
     */
    String failureReport(SimResult r) {
        String text = r.report();
        String simulatorReplay = "replay: ./bulwark torture --seed " + r.seed() + " --trace";
        String ours = "replay: " + replay.apply(r.seed());
        int at = text.indexOf(simulatorReplay + "\n");
        if (at >= 0) {
            return text.substring(0, at) + ours + text.substring(at + simulatorReplay.length());
        }
        return ours + "\n" + text;
    }

    void printSummary(PrintWriter out, int maxFailures) {
        out.println();
        out.printf(Locale.ROOT, "seeds run        %,d%s%n", summary.seeds(), summary.seeds() < plannedSeeds
                ? String.format(Locale.ROOT, " of %,d: stopped after %d failing (--max-failures)", plannedSeeds,
                maxFailures) : "");
        out.printf(Locale.ROOT, "operations       %,d checked for linearizability%n", summary.operations());
        out.printf(Locale.ROOT, "slots chosen     %,d checked for agreement%n", summary.slotsChosen());
        out.printf(Locale.ROOT, "final audit      completed in %,d of %,d runs%n", audited, ran);
        out.printf(Locale.ROOT, "violations       %,d%n", summary.violations());
        out.printf(Locale.ROOT, "failing seeds    %s%n", failures.isEmpty() ? "none" : failingSeeds());
        out.printf(Locale.ROOT, "elapsed          %.1f s (%,d ms a seed)%n", summary.elapsedMs() / 1000.0,
                summary.elapsedMs() / Math.max(1, summary.seeds()));
        out.println();
        printCoverage(out, true);
        out.println();
        if (failures.isEmpty()) {
            out.printf(Locale.ROOT, "torture: PASS, no violation in %,d seeds%n", summary.seeds());
        } else {
            out.printf(Locale.ROOT, "torture: FAIL, %,d violation(s) in %d of %,d seeds; replay the first with %s%n",
                    summary.violations(), failures.size(), summary.seeds(), replay.apply(failures.get(0).seed()));
        }
    }

    void printSingle(PrintWriter out, boolean trace) {
        SimResult r = last;
        out.println();
        if (r.passed()) {
            out.print(r.report());
            if (trace) {
                out.printf("faults (%d):%n", r.faultTimeline().size());
                r.faultTimeline().forEach(line -> out.println("  " + line));
            } else {
                out.printf("%d fault events; add --trace to list them%n", r.faultTimeline().size());
            }
            out.printf(Locale.ROOT, "checks: agreement on %,d slots, linearizability of %,d operations, convergence"
                    + " of the replicas: no violations%n", r.slotsChosen(), r.operations());
        } else {
            out.print(failureReport(r));
        }
        out.println();
        printCoverage(out, false);
        out.println();
        out.printf(Locale.ROOT, "torture: %s (%,d ms)%n", r.passed() ? "PASS" : "FAIL", summary.elapsedMs());
    }

    private void printCoverage(PrintWriter out, boolean perSeed) {
        if (coverage.isEmpty()) {
            out.println("coverage: no rare path ran");
            return;
        }
        int width = coverage.keySet().stream().mapToInt(String::length).max().orElse(0);
        if (perSeed) {
            out.printf(Locale.ROOT, "coverage: how often each rare path ran, summed over %,d seeds%n", ran);
            out.printf(Locale.ROOT, "  %-" + width + "s  %10s  %7s%n", "", "total", "seeds");
        } else {
            out.println("coverage: how often each rare path ran");
        }
        for (Map.Entry<String, long[]> e : coverage.entrySet()) {
            if (perSeed) {
                out.printf(Locale.ROOT, "  %-" + width + "s  %,10d  %,7d%n", e.getKey(), e.getValue()[0], e.getValue()[1]);
            } else {
                out.printf(Locale.ROOT, "  %-" + width + "s  %,10d%n", e.getKey(), e.getValue()[0]);
            }
        }
    }

    String toJson(boolean withTimeline) {
        StringBuilder b = new StringBuilder(2048);
        b.append("{\n");
        field(b, "seeds", summary.seeds());
        field(b, "firstSeed", firstSeed);
        field(b, "replicas", config.replicas());
        field(b, "clients", config.clients());
        field(b, "faults", strings(faultNames(config.faults())));
        field(b, "faultMs", config.faultMs());
        field(b, "quietMs", config.quietMs());
        field(b, "leaseReads", config.leaseReads());
        field(b, "lyingAcceptor", config.lyingAcceptor());
        field(b, "operations", summary.operations());
        field(b, "slotsChosen", summary.slotsChosen());
        field(b, "audited", audited);
        field(b, "violations", summary.violations());
        field(b, "failingSeeds", failingSeeds().toString());
        field(b, "stoppedEarly", summary.seeds() < plannedSeeds);
        field(b, "elapsedMs", summary.elapsedMs());
        b.append("  \"coverage\": {");
        int i = 0;
        for (Map.Entry<String, long[]> e : coverage.entrySet()) {
            b.append(i++ == 0 ? "" : ", ").append(RingReport.quote(e.getKey())).append(": ").append(e.getValue()[0]);
        }
        b.append("},\n");
        if (withTimeline) {
            field(b, "faultTimeline", strings(last.faultTimeline()));
            field(b, "trace", strings(last.trace()));
        }
        b.append("  \"failures\": [");
        for (int f = 0; f < failures.size(); f++) {
            SimResult r = failures.get(f);
            b.append(f == 0 ? "\n" : ",\n").append("    {\"seed\": ").append(r.seed())
                    .append(", \"replay\": ").append(RingReport.quote(replay.apply(r.seed())))
                    .append(", \"violations\": ").append(strings(r.violations())).append('}');
        }
        b.append(failures.isEmpty() ? "]\n" : "\n  ]\n");
        b.append("}");
        return b.toString();
    }

    /** Faults as {@code --faults} spells them: {@code all}, {@code none} or the comma-separated names. */
    static String faultList(EnumSet<Fault> faults) {
        if (faults.equals(Fault.all())) {
            return "all";
        }
        return faults.isEmpty() ? "none" : String.join(",", faultNames(faults));
    }

    static List<String> faultNames(EnumSet<Fault> faults) {
        return faults.stream().map(f -> f.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList();
    }

    private static void field(StringBuilder b, String name, Object value) {
        b.append("  \"").append(name).append("\": ").append(value).append(",\n");
    }

    private static String strings(List<String> list) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < list.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(RingReport.quote(list.get(i)));
        }
        return b.append(']').toString();
    }
}
