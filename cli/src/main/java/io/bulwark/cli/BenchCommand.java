package io.bulwark.cli;

import io.bulwark.bench.LockBench;
import io.bulwark.bench.RingBench;
import io.bulwark.bench.RingQualityBench;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bulwark bench}: benchmark suites that compare Bulwark with its peers in one run. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Run a benchmark suite against its peers in one run and print the ratio table.",
        subcommands = {BenchCommand.Ring.class, BenchCommand.Placement.class, BenchCommand.Lock.class})
final class BenchCommand implements Runnable {

    @picocli.CommandLine.Spec
    private picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** The {@code --quick} option every timed suite has. */
    static final class QuickOption {
        @Option(names = "--quick", description = "Short smoke run (seconds); numbers are not meaningful.")
        boolean quick;
    }

    /** {@code bulwark bench ring}. */
    @Command(name = "ring", mixinStandardHelpOptions = true,
            description = {"Ring lookups, replicas and change cost vs Guava consistentHash and a Ketama TreeMap ring.",
                "JMH, about 5 minutes on 2 cores; --quick for a smoke run."})
    static final class Ring implements Callable<Integer> {

        @picocli.CommandLine.Mixin
        QuickOption options;

        @Override
        public Integer call() {
            return RingBench.run(System.out, options.quick);
        }
    }

    /** {@code bulwark bench placement}. */
    @Command(name = "placement", mixinStandardHelpOptions = true,
            description = {"Ring balance, weights, movement and bounded load vs a Ketama ring and rendezvous hashing.",
                "10 million seeded keys, deterministic; about a minute."})
    static final class Placement implements Callable<Integer> {

        @Option(names = "--keys", description = "Keys to place (default: ${DEFAULT-VALUE}).")
        int keys = RingQualityBench.KEYS;

        @Override
        public Integer call() {
            if (keys < 1000 || keys > 50_000_000) {
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--keys must be between 1000 and 50000000, was " + keys);
            }
            return RingQualityBench.run(System.out, keys);
        }
    }

    /** {@code bulwark bench lock}. */
    @Command(name = "lock", mixinStandardHelpOptions = true,
            description = {"Redis locks: Bulwark vs Redisson RLock and RFencedLock on one local redis-server.",
                "Throughput and p50/p99/p99.9 at 1, 8 and 64 clients, distinct names and one name; about 2.5 minutes."})
    static final class Lock implements Callable<Integer> {

        @picocli.CommandLine.Mixin
        QuickOption options;

        @Override
        public Integer call() {
            return LockBench.run(System.out, options.quick);
        }
    }
}
