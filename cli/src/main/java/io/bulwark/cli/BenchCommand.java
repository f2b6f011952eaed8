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
        subcommands = {BenchCommand.Ring.class, BenchCommand.Placement.class, BenchCommand.Lock.class,
            BenchCommand.Paxos.class, BenchCommand.Kv.class, BenchCommand.Txn.class, BenchCommand.Transport.class})
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

    /** {@code bulwark bench paxos}. */
    @Command(name = "paxos", mixinStandardHelpOptions = true,
            description = {"Multi-Paxos: 3 replicas in this process over loopback TCP, the real log on disk, fsync on.",
                "Closed-loop clients at each level, 100-byte commands: throughput, p50/p99/p99.9, fsyncs/s and",
                "commands per fsync, beside the raw single-writer fsync rate of the same disk measured in the same run.",
                "About 45 seconds with the defaults."})
    static final class Paxos implements Callable<Integer> {

        @picocli.CommandLine.Mixin
        QuickOption options;

        @Option(names = "--levels", split = ",", paramLabel = "N",
                description = "Client concurrency levels (default: 1,16,256).")
        java.util.List<Integer> levels;

        @Option(names = "--seconds", paramLabel = "S", description = "Measured seconds per level (default: 10).")
        Long seconds;

        @Option(names = "--dir", paramLabel = "DIR",
                description = "Directory for the replicas' data (default: a temporary directory, deleted after).")
        java.nio.file.Path dir;

        @Option(names = "--json", description = "Print the report as JSON.")
        boolean json;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            io.bulwark.bench.paxos.PaxosBench.Options o = io.bulwark.bench.paxos.PaxosBench.Options.defaults()
                    .withQuick(options.quick);
            try {
                if (levels != null) {
                    o = o.withConcurrencyLevels(levels);
                }
                if (seconds != null) {
                    o = o.withSecondsPerLevel(seconds);
                }
                if (dir != null) {
                    o = o.withDataDirectory(dir);
                }
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            io.bulwark.bench.paxos.PaxosBench.Report report =
                    io.bulwark.bench.paxos.PaxosBench.run(o, json ? System.err : System.out);
            System.out.println();
            System.out.print(json ? report.toJson() : report.toText());
            System.out.flush();
            return 0;
        }
    }

    /** {@code bulwark bench kv}. */
    @Command(name = "kv", mixinStandardHelpOptions = true,
            description = {"A 3-node Bulwark cluster vs a 3-member etcd cluster in one run, same load generator:",
                "put-only, 90/10 get/put and get-only at 1, 16 and 256 clients (capacity, then latency at a common",
                "rate), the failover gap after kill -9 of a leader, and the share a fourth node takes. About 9 minutes.",
                "Installs the Debian package etcd-server with apt-get if etcd is not on the PATH."})
    static final class Kv implements Callable<Integer> {

        @picocli.CommandLine.Mixin
        QuickOption options;

        @Option(names = "--clients", split = ",", paramLabel = "N", description = "Concurrency levels (default: 1,16,256).")
        java.util.List<Integer> clients;

        @Option(names = "--seconds", paramLabel = "S", description = "Open-loop seconds per cell (default: 10).")
        Double seconds;

        @Option(names = "--saturation", paramLabel = "S", description = "Closed-loop seconds per cell (default: 5).")
        Double saturation;

        @Option(names = "--no-failover", description = "Skip the kill -9 failover probe.")
        boolean noFailover;

        @Option(names = "--dir", paramLabel = "DIR", description = "Parent directory for both clusters' data "
                + "(default: the temporary directory; deleted after).")
        java.nio.file.Path dir;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            io.bulwark.bench.kv.EtcdOnlyBench.Options o = options.quick
                    ? io.bulwark.bench.kv.EtcdOnlyBench.Options.quickRun()
                    : io.bulwark.bench.kv.EtcdOnlyBench.Options.defaults();
            try {
                if (clients != null) {
                    o = o.withClients(clients);
                }
                if (seconds != null || saturation != null) {
                    o = o.withDurations(o.warmup(), saturation == null ? o.saturation()
                            : java.time.Duration.ofMillis(Math.round(saturation * 1000)), seconds == null ? o.latency()
                            : java.time.Duration.ofMillis(Math.round(seconds * 1000)));
                }
                o = o.withFailover(!noFailover);
                if (dir != null) {
                    o = o.withParentDirectory(dir);
                }
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            io.bulwark.bench.kv.KvBench.Report report = io.bulwark.bench.kv.KvBench.run(o, System.out);
            System.out.println();
            System.out.print(report.toText());
            System.out.flush();
            return 0;
        }
    }

    @Command(name = "txn", mixinStandardHelpOptions = true,
            description = "Transactions on a local 3-node cluster (16 partitions, fsync on) and, in the same run, a "
                + "3-member etcd: latency of a put, of 4 puts at once (the floor of a 4-partition commit) and of "
                + "1/2/4-key commits, and transfer throughput with conflict rates at each concurrency (~4 min; "
                + "installs etcd-server if missing).")
    static final class Txn implements Callable<Integer> {

        @picocli.CommandLine.Mixin
        QuickOption options;

        @Option(names = "--clients", split = ",", paramLabel = "N", description = "Concurrency levels (default: 1,16,64).")
        java.util.List<Integer> clients;

        @Option(names = "--accounts", paramLabel = "N", description = "Accounts the transfers use (default: 1000).")
        Integer accounts;

        @Option(names = "--seconds", paramLabel = "S", description = "Measured seconds per cell (default: 10).")
        Double seconds;

        @Option(names = "--dir", paramLabel = "DIR", description = "Parent directory for the clusters' data "
                + "(default: the temporary directory; deleted after).")
        java.nio.file.Path dir;

        @Option(names = "--no-etcd", description = "Measure Bulwark alone (no peer; ratios need etcd).")
        boolean noEtcd;

        @Option(names = "--rate", paramLabel = "OPS", description = {"Arrival rate of the latency cells (one client,"
            + " open loop), per second (default: 100)."})
        Double rate;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            io.bulwark.bench.txn.TxnBench.Options o = options.quick ? io.bulwark.bench.txn.TxnBench.Options.quickRun()
                    : io.bulwark.bench.txn.TxnBench.Options.defaults();
            try {
                if (clients != null) {
                    o = o.withClients(clients);
                }
                if (accounts != null) {
                    o = o.withAccounts(accounts);
                }
                if (seconds != null) {
                    if (seconds <= 0) {
                        throw new IllegalArgumentException("--seconds must be positive, was " + seconds);
                    }
                    java.time.Duration d = java.time.Duration.ofMillis(Math.round(seconds * 1000));
                    o = o.withSeconds(d, d);
                }
                if (dir != null) {
                    o = o.withParentDirectory(dir);
                }
                o = o.withEtcd(!noEtcd);
                if (rate != null) {
                    o = o.withLatencyRate(rate);
                }
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            System.out.println("bench txn: starting a 3-node Bulwark cluster" + (noEtcd ? "" : " and a 3-member etcd cluster"
                    + " (installing etcd-server if missing)") + ", then measuring each cell on each ("
                    + (options.quick ? "quick" : "~4 min") + ")");
            io.bulwark.bench.txn.TxnBench.Report r = io.bulwark.bench.txn.TxnBench.run(o, System.out);
            System.out.println();
            System.out.print(r.table());
            return 0;
        }
    }

    @Command(name = "transport", mixinStandardHelpOptions = true,
            description = {"Bulwark's own client protocol (framed TCP with CRC32C, pipelined) against gRPC (Netty, HTTP/2)",
                "on loopback, in the same run: echo round trips of 100-byte payloads at 1, 16 and 64 requests in flight",
                "(~1 min)."})
    static final class Transport implements Callable<Integer> {

        @picocli.CommandLine.Mixin
        QuickOption options;

        @Option(names = "--in-flight", split = ",", paramLabel = "N", description = "Requests in flight per cell"
                + " (default: 1,16,64).")
        java.util.List<Integer> inFlight;

        @Option(names = "--seconds", paramLabel = "S", description = "Seconds per cell per round (default: 6; 3 rounds).")
        Double seconds;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            io.bulwark.bench.transport.TransportBench.Options o = options.quick
                    ? io.bulwark.bench.transport.TransportBench.Options.quickRun()
                    : io.bulwark.bench.transport.TransportBench.Options.defaults();
            try {
                if (inFlight != null) {
                    o = o.withInFlight(inFlight);
                }
                if (seconds != null) {
                    if (seconds <= 0) {
                        throw new IllegalArgumentException("--seconds must be positive, was " + seconds);
                    }
                    o = o.withSeconds(java.time.Duration.ofMillis(Math.round(seconds * 1000)));
                }
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            }
            System.out.println("bench transport: echo servers on loopback, each cell on both transports in turn ("
                    + (options.quick ? "quick" : "~1 min") + ")");
            io.bulwark.bench.transport.TransportBench.Report r = io.bulwark.bench.transport.TransportBench.run(o, System.out);
            System.out.println();
            System.out.print(r.table());
            return 0;
        }
    }
}
