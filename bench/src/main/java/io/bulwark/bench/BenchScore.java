package io.bulwark.bench;

import java.util.Collection;
import java.util.Optional;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * One JMH result reduced to what the ratio table needs.
 *
 * @param benchmark         benchmark class simple name, e.g. {@code RingLookupBenchmark}
 * @param method            benchmark method, e.g. {@code bulwarkRing}
 * @param nodes             the {@code nodes} parameter
 * @param score             mean time per operation in {@code unit}
 * @param error             half-width of JMH's 99.9% confidence interval; {@code NaN} with one iteration
 * @param unit              JMH's score unit, e.g. {@code ns/op}
 * @param allocBytesPerOp   bytes allocated per operation ({@code gc.alloc.rate.norm}); {@code NaN} if the
 *                          GC profiler reported nothing
 */
record BenchScore(String benchmark, String method, int nodes, double score, double error, String unit,
                  double allocBytesPerOp) {

    /** The GC profiler's allocation-per-operation metric. */
    static final String ALLOC_NORM = "gc.alloc.rate.norm";

    /** Reduces a JMH run result; the benchmark must have a {@code nodes} parameter. */
    static BenchScore of(RunResult run) {
        String full = run.getParams().getBenchmark();
        int dot = full.lastIndexOf('.');
        String className = full.substring(0, dot);
        String method = full.substring(dot + 1);
        String simpleClass = className.substring(className.lastIndexOf('.') + 1);
        int nodes = Integer.parseInt(run.getParams().getParam("nodes"));
        Result<?> primary = run.getPrimaryResult();
        Result<?> alloc = run.getSecondaryResults().get(ALLOC_NORM);
        return new BenchScore(simpleClass, method, nodes, primary.getScore(), primary.getScoreError(),
                primary.getScoreUnit(), alloc == null ? Double.NaN : alloc.getScore());
    }

    /** The score of {@code benchmark.method} at {@code nodes}, if it was run. */
    static Optional<BenchScore> find(Collection<BenchScore> scores, Class<?> benchmark, String method, int nodes) {
        String name = benchmark.getSimpleName();
        return scores.stream()
                .filter(s -> s.benchmark.equals(name) && s.method.equals(method) && s.nodes == nodes)
                .findFirst();
    }
}
