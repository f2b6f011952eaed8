package io.bulwark.bench.paxos;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * {@code bulwark bench paxos}: how far group commit carries Bulwark's Multi-Paxos beyond the disk's raw
 * fsync rate, end to end.
 *
 * <p>One run, one disk: three replicas in this process ({@link BulwarkEngine}: real loopback TCP, real
 * write-ahead logs with fsync on, in one data directory), closed-loop clients at each concurrency level
 * (warm-up, then a measured window: throughput, HdrHistogram p50/p99/p99.9, leader and total fsyncs per
 * second, commands committed per fsync), and, before and after the levels, the raw rate of a single writer
 * appending a 100-byte record and fsyncing in a loop on that same directory. The goals, at 256 clients:
 * at least {@value #GOAL_COMMANDS_PER_FSYNC} commands per leader fsync, and a throughput at least
 * {@value #GOAL_THROUGHPUT_RATIO}× the raw fsync rate.
 *
 * <p>The harness measures an {@link Engine}; a peer engine with the same durability slots in beside
 * {@link BulwarkEngine} and runs in the same harness, in the same run. Bounded: every level stops at its
 * deadline, the clients' last puts are awaited with a deadline, and the data directory is deleted at the end,
 * also on failure. Not thread-safe: one run at a time.
 */
public final class PaxosBench {

    /** Goal: commands committed per leader fsync at 256 clients. */
    public static final double GOAL_COMMANDS_PER_FSYNC = 50;
    /** Goal: throughput at 256 clients over the raw single-writer fsync rate. */
    public static final double GOAL_THROUGHPUT_RATIO = 20;
    /** The concurrency the goals are stated at. */
    public static final int GOAL_CLIENTS = 256;
    /** Key size of every put; the value fills the command up to {@link Options#commandBytes()}. */
    static final int KEY_BYTES = 16;
    /** Record size of the raw fsync probe: the same size as a command. */
    private static final int RAW_RECORD_BYTES = 100;

    private PaxosBench() {
    }

    /**
     * What to run. Validated when constructed.
     *
     * @param concurrencyLevels  closed-loop clients per level, each 1 to 4,096, at most 16 levels, run in order
     * @param secondsPerLevel    measured window per level, 1 to 3,600 s
     * @param warmupSeconds      warm-up before each level's window, 0 to 600 s
     * @param commandBytes       bytes one put adds to the replicated log (a KV put: {@value #KEY_BYTES}-byte key,
     *                           the value fills the rest), 34 to 65,000
     * @param quick              a smoke run: shorter raw fsync probe, labelled "not a measurement"
     * @param dataDirectory      where a fresh run directory is created (and deleted after); null: the system's
     *                           temporary directory
     */
    public record Options(List<Integer> concurrencyLevels, long secondsPerLevel, long warmupSeconds, int commandBytes,
                          boolean quick, Path dataDirectory) {

        /** Validates every field; see the components for the allowed values. */
        public Options {
            Objects.requireNonNull(concurrencyLevels, "concurrencyLevels");
            concurrencyLevels = List.copyOf(concurrencyLevels);
            if (concurrencyLevels.isEmpty() || concurrencyLevels.size() > 16) {
                throw new IllegalArgumentException("give 1 to 16 concurrency levels, was " + concurrencyLevels.size());
            }
            for (int c : concurrencyLevels) {
                if (c < 1 || c > 4_096) {
                    throw new IllegalArgumentException("each concurrency level must be in [1, 4096], was " + c);
                }
            }
            if (secondsPerLevel < 1 || secondsPerLevel > 3_600) {
                throw new IllegalArgumentException("secondsPerLevel must be in [1, 3600], was " + secondsPerLevel);
            }
            if (warmupSeconds < 0 || warmupSeconds > 600) {
                throw new IllegalArgumentException("warmupSeconds must be in [0, 600], was " + warmupSeconds);
            }
            if (commandBytes < 34 || commandBytes > 65_000) {
                throw new IllegalArgumentException("commandBytes must be in [34, 65000] (a KV put of a "
                        + KEY_BYTES + "-byte key and a value of at least 1 byte, within a 64 KiB batch), was "
                        + commandBytes);
            }
        }

        /** Levels 1, 16 and 256 clients, 10 s each after 3 s of warm-up, 100-byte commands, a temp directory. */
        public static Options defaults() {
            return new Options(List.of(1, 16, GOAL_CLIENTS), 10, 3, 100, false, null);
        }

        /** The smoke preset: levels 1 and 16, 1 s each, no warm-up; keeps the bench working, measures nothing. */
        public static Options quickRun() {
            return defaults().withQuick(true);
        }

        /** With {@code true}, switches to the smoke preset (levels 1 and 16, 1 s, no warm-up); else just clears the flag. */
        public Options withQuick(boolean on) {
            return on ? new Options(List.of(1, 16), 1, 0, commandBytes, true, dataDirectory)
                    : new Options(concurrencyLevels, secondsPerLevel, warmupSeconds, commandBytes, false, dataDirectory);
        }

        public Options withConcurrencyLevels(List<Integer> levels) {
            return new Options(levels, secondsPerLevel, warmupSeconds, commandBytes, quick, dataDirectory);
        }

        public Options withSecondsPerLevel(long seconds) {
            return new Options(concurrencyLevels, seconds, warmupSeconds, commandBytes, quick, dataDirectory);
        }

        public Options withWarmupSeconds(long seconds) {
            return new Options(concurrencyLevels, secondsPerLevel, seconds, commandBytes, quick, dataDirectory);
        }

        public Options withCommandBytes(int bytes) {
            return new Options(concurrencyLevels, secondsPerLevel, warmupSeconds, bytes, quick, dataDirectory);
        }

        public Options withDataDirectory(Path directory) {
            return new Options(concurrencyLevels, secondsPerLevel, warmupSeconds, commandBytes, quick, directory);
        }
    }

    /**
     * One concurrency level's measured window.
     *
     * @param clients                 closed-loop clients
     * @param commands                puts completed inside the window
     * @param seconds                 window length
     * @param commandsPerSecond       throughput
     * @param p50Ms                   median latency, submission to result
     * @param p99Ms                   99th percentile latency
     * @param p999Ms                  99.9th percentile latency
     * @param maxMs                   slowest put
     * @param leaderFsyncsPerSecond   fsyncs of the leader's log
     * @param totalFsyncsPerSecond    fsyncs of all three replicas' logs
     * @param commandsPerLeaderFsync  commands the leader committed per leader fsync
     * @param commandsPerFsync        commands the leader committed per fsync of any replica
     * @param errors                  puts that failed (and were retried) inside the window
     */
    public record Level(int clients, long commands, double seconds, double commandsPerSecond, double p50Ms,
                        double p99Ms, double p999Ms, double maxMs, double leaderFsyncsPerSecond,
                        double totalFsyncsPerSecond, double commandsPerLeaderFsync, double commandsPerFsync,
                        long errors) {
    }

    /**
     * The result of one run. Immutable.
     *
     * @param engine                  the engine's name
     * @param setup                   how the engine was set up
     * @param options                 what was run
     * @param dataDirectory           where the logs were (deleted since)
     * @param cores                   available processors
     * @param maxHeapBytes            the JVM's maximum heap
     * @param startedAt               when the run began
     * @param rawFsyncsPerSecondBefore raw single-writer fsync rate before the levels
     * @param rawFsyncsPerSecondAfter  the same after the levels
     * @param levels                  one entry per concurrency level, in the order run
     * @param notes                   the engine's own observations after the last level ({@link Engine#diagnostics})
     */
    public record Report(String engine, String setup, Options options, String dataDirectory, int cores,
                         long maxHeapBytes, Instant startedAt, double rawFsyncsPerSecondBefore,
                         double rawFsyncsPerSecondAfter, List<Level> levels, List<String> notes) {

        public Report {
            levels = List.copyOf(levels);
            notes = List.copyOf(notes);
        }

        /**
         * The raw rate the ratio goal divides by: the faster of the two probes, so that a slow moment of the
         * disk during one probe cannot flatter the ratio.
         */
        public double rawFsyncsPerSecond() {
            return Math.max(rawFsyncsPerSecondBefore, rawFsyncsPerSecondAfter);
        }

        /** The level the goals are judged at: {@value #GOAL_CLIENTS} clients if run, else the highest level. */
        public Level goalLevel() {
            return levels.stream().filter(l -> l.clients() == GOAL_CLIENTS).findFirst()
                    .orElseGet(() -> levels.stream().max(Comparator.comparingInt(Level::clients)).orElseThrow());
        }

        /** Throughput at the goal level over the raw fsync rate. */
        public double throughputOverRawFsync() {
            double raw = rawFsyncsPerSecond();
            return raw <= 0 ? 0 : goalLevel().commandsPerSecond() / raw;
        }

        /** True if both goals are met at {@value #GOAL_CLIENTS} clients (false if that level was not run). */
        public boolean goalsMet() {
            Level g = goalLevel();
            return g.clients() == GOAL_CLIENTS && g.commandsPerLeaderFsync() >= GOAL_COMMANDS_PER_FSYNC
                    && throughputOverRawFsync() >= GOAL_THROUGHPUT_RATIO;
        }

        /** A readable table, the raw fsync baseline and the goal lines. */
        public String toText() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "=== bench paxos: %s%s ===%n", engine,
                    options.quick() ? " [QUICK: smoke run, not a measurement]" : ""));
            b.append(String.format(Locale.ROOT, "setup: %s%n", setup));
            b.append(String.format(Locale.ROOT, "machine: %d cores, max heap %d MiB; data directory %s; started %s%n",
                    cores, maxHeapBytes >> 20, dataDirectory, startedAt));
            b.append(String.format(Locale.ROOT, "load: closed loop, %d-byte commands (KV put, %d-byte key), warm-up %d s,"
                            + " %d s measured per level%n", options.commandBytes(), KEY_BYTES, options.warmupSeconds(),
                    options.secondsPerLevel()));
            b.append(String.format(Locale.ROOT, "baseline: one writer appending %d-byte records + FileChannel.force(true)"
                            + " on the same directory: %.0f fsyncs/s before, %.0f after%n%n", RAW_RECORD_BYTES,
                    rawFsyncsPerSecondBefore, rawFsyncsPerSecondAfter));
            b.append(String.format(Locale.ROOT, "%7s %11s %8s %8s %9s %8s %11s %10s %12s %10s %7s%n", "clients",
                    "commands/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "leader fs/s", "all fs/s",
                    "cmds/ldr fs", "cmds/fs", "errors"));
            for (Level l : levels) {
                b.append(String.format(Locale.ROOT, "%7d %11.0f %8.2f %8.2f %9.2f %8.2f %11.0f %10.0f %12.1f %10.1f %7d%n",
                        l.clients(), l.commandsPerSecond(), l.p50Ms(), l.p99Ms(), l.p999Ms(), l.maxMs(),
                        l.leaderFsyncsPerSecond(), l.totalFsyncsPerSecond(), l.commandsPerLeaderFsync(),
                        l.commandsPerFsync(), l.errors()));
            }
            Level g = goalLevel();
            String at = g.clients() == GOAL_CLIENTS ? GOAL_CLIENTS + " clients"
                    : g.clients() + " clients (goals are stated at " + GOAL_CLIENTS + "; not run)";
            b.append(String.format(Locale.ROOT, "%ngoals at %s:%n", at));
            b.append(String.format(Locale.ROOT, "  commands per leader fsync     %8.1f   goal >= %.0f    %s%n",
                    g.commandsPerLeaderFsync(), GOAL_COMMANDS_PER_FSYNC,
                    verdict(g.commandsPerLeaderFsync() >= GOAL_COMMANDS_PER_FSYNC)));
            b.append(String.format(Locale.ROOT, "  throughput / raw fsync rate   %7.1fx   goal >= %.0fx   %s"
                            + "  (%.0f commands/s over %.0f fsyncs/s)%n", throughputOverRawFsync(), GOAL_THROUGHPUT_RATIO,
                    verdict(throughputOverRawFsync() >= GOAL_THROUGHPUT_RATIO), g.commandsPerSecond(),
                    rawFsyncsPerSecond()));
            b.append("  peer: none yet in this harness; the baseline is the raw single-writer fsync loop above.\n");
            if (!notes.isEmpty()) {
                b.append(String.format(Locale.ROOT, "%nengine notes (whole run):%n"));
                for (String note : notes) {
                    b.append("  ").append(note).append('\n');
                }
            }
            return b.toString();
        }

        private static String verdict(boolean met) {
            return met ? "MET" : "MISSED";
        }

        /** The same content as JSON (one object; numbers as numbers). */
        public String toJson() {
            StringBuilder b = new StringBuilder();
            b.append("{\n");
            b.append("  \"bench\": \"paxos\",\n");
            b.append("  \"engine\": ").append(quote(engine)).append(",\n");
            b.append("  \"setup\": ").append(quote(setup)).append(",\n");
            b.append("  \"quick\": ").append(options.quick()).append(",\n");
            b.append("  \"startedAt\": ").append(quote(startedAt.toString())).append(",\n");
            b.append("  \"machine\": {\"cores\": ").append(cores).append(", \"maxHeapBytes\": ").append(maxHeapBytes)
                    .append("},\n");
            b.append("  \"dataDirectory\": ").append(quote(dataDirectory)).append(",\n");
            b.append("  \"commandBytes\": ").append(options.commandBytes()).append(",\n");
            b.append("  \"warmupSeconds\": ").append(options.warmupSeconds()).append(",\n");
            b.append("  \"secondsPerLevel\": ").append(options.secondsPerLevel()).append(",\n");
            b.append("  \"rawFsyncsPerSecond\": {\"before\": ").append(num(rawFsyncsPerSecondBefore))
                    .append(", \"after\": ").append(num(rawFsyncsPerSecondAfter)).append(", \"used\": ")
                    .append(num(rawFsyncsPerSecond())).append("},\n");
            b.append("  \"levels\": [\n");
            for (int i = 0; i < levels.size(); i++) {
                Level l = levels.get(i);
                b.append("    {\"clients\": ").append(l.clients())
                        .append(", \"commands\": ").append(l.commands())
                        .append(", \"seconds\": ").append(num(l.seconds()))
                        .append(", \"commandsPerSecond\": ").append(num(l.commandsPerSecond()))
                        .append(", \"p50Ms\": ").append(num(l.p50Ms()))
                        .append(", \"p99Ms\": ").append(num(l.p99Ms()))
                        .append(", \"p999Ms\": ").append(num(l.p999Ms()))
                        .append(", \"maxMs\": ").append(num(l.maxMs()))
                        .append(", \"leaderFsyncsPerSecond\": ").append(num(l.leaderFsyncsPerSecond()))
                        .append(", \"totalFsyncsPerSecond\": ").append(num(l.totalFsyncsPerSecond()))
                        .append(", \"commandsPerLeaderFsync\": ").append(num(l.commandsPerLeaderFsync()))
                        .append(", \"commandsPerFsync\": ").append(num(l.commandsPerFsync()))
                        .append(", \"errors\": ").append(l.errors())
                        .append(i + 1 < levels.size() ? "},\n" : "}\n");
            }
            b.append("  ],\n");
            Level g = goalLevel();
            b.append("  \"goals\": {\"clients\": ").append(g.clients())
                    .append(", \"commandsPerLeaderFsync\": ").append(num(g.commandsPerLeaderFsync()))
                    .append(", \"commandsPerLeaderFsyncGoal\": ").append(num(GOAL_COMMANDS_PER_FSYNC))
                    .append(", \"throughputOverRawFsync\": ").append(num(throughputOverRawFsync()))
                    .append(", \"throughputOverRawFsyncGoal\": ").append(num(GOAL_THROUGHPUT_RATIO))
                    .append(", \"met\": ").append(goalsMet()).append("},\n");
            b.append("  \"notes\": [");
            for (int i = 0; i < notes.size(); i++) {
                b.append(i == 0 ? "" : ", ").append(quote(notes.get(i)));
            }
            b.append("]\n");
            b.append("}\n");
            return b.toString();
        }

        private static String num(double d) {
            return Double.isFinite(d) ? String.format(Locale.ROOT, "%.3f", d) : "null";
        }

        private static String quote(String s) {
            StringBuilder q = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> q.append("\\\"");
                    case '\\' -> q.append("\\\\");
                    case '\n' -> q.append("\\n");
                    case '\r' -> q.append("\\r");
                    case '\t' -> q.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            q.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            q.append(c);
                        }
                    }
                }
            }
            return q.append('"').toString();
        }
    }

    /**
     * Runs from the command line (the {@code bulwark} CLI calls {@link #run} instead): {@code --quick},
     * {@code --seconds=N}, {@code --warmup=N}, {@code --levels=1,16,256}, {@code --dir=PATH}, {@code --json}.
     * Prints progress, then the table (or JSON); exits 0 if the run completed (goals met or not), 1 if it failed.
     */
    public static void main(String[] args) {
        Options options = Options.defaults();
        boolean json = false;
        for (String arg : args) {
            if (arg.equals("--quick")) {
                options = options.withQuick(true);
            } else if (arg.equals("--json")) {
                json = true;
            } else if (arg.startsWith("--seconds=")) {
                options = options.withSecondsPerLevel(Long.parseLong(arg.substring("--seconds=".length())));
            } else if (arg.startsWith("--warmup=")) {
                options = options.withWarmupSeconds(Long.parseLong(arg.substring("--warmup=".length())));
            } else if (arg.startsWith("--levels=")) {
                options = options.withConcurrencyLevels(Stream.of(arg.substring("--levels=".length()).split(","))
                        .map(String::trim).map(Integer::valueOf).toList());
            } else if (arg.startsWith("--dir=")) {
                options = options.withDataDirectory(Path.of(arg.substring("--dir=".length())));
            } else {
                System.err.println("unknown argument " + arg + "; allowed: --quick --seconds=N --warmup=N"
                        + " --levels=a,b,c --dir=PATH --json");
                System.exit(2);
            }
        }
        try {
            Report report = run(options, System.out);
            System.out.println();
            System.out.print(json ? report.toJson() : report.toText());
            System.out.flush();
            System.exit(0);
        } catch (IOException | TimeoutException | RuntimeException e) {
            System.out.println("bench paxos FAILED: " + e);
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            System.exit(1);
        }
    }

    /** Runs the benchmark with {@link BulwarkEngine}; see {@link #run(Options, PrintStream, Engine)}. */
    public static Report run(Options options, PrintStream progress)
            throws IOException, TimeoutException, InterruptedException {
        return run(options, progress, new BulwarkEngine());
    }

    /**
     * Runs the benchmark against {@code engine}, printing progress as it goes, and returns the report (also
     * when goals are missed). The engine is started here and closed before returning.
     *
     * @throws IOException      if the data directory or a replica's storage fails
     * @throws TimeoutException if the engine elects no leader in time
     */
    public static Report run(Options options, PrintStream progress, Engine engine)
            throws IOException, TimeoutException, InterruptedException {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(engine, "engine");
        Instant startedAt = Instant.now();
        Path runDirectory = options.dataDirectory() == null ? Files.createTempDirectory("bulwark-bench-paxos-")
                : Files.createDirectories(options.dataDirectory()).resolve("bench-paxos-" + System.nanoTime());
        Files.createDirectories(runDirectory);
        int valueBytes = options.commandBytes() - engine.commandBytes(KEY_BYTES, 0);
        Duration rawProbe = options.quick() ? Duration.ofMillis(300) : Duration.ofSeconds(3);
        try {
            progress.printf(Locale.ROOT, "bench paxos%s: %s; data in %s%n", options.quick() ? " (quick)" : "",
                    engine.name(), runDirectory);
            progress.printf(Locale.ROOT, "  raw single-writer fsync rate (%d ms)...%n", rawProbe.toMillis());
            double rawBefore = RawFsyncProbe.fsyncsPerSecond(runDirectory, RAW_RECORD_BYTES, rawProbe);
            progress.printf(Locale.ROOT, "    %.0f fsyncs/s%n", rawBefore);
            progress.flush();

            List<Level> levels = new ArrayList<>();
            List<String> notes = List.of();
            try {
                engine.start(runDirectory.resolve("replicas"));
                long nextClientId = 1;
                for (int clients : options.concurrencyLevels()) {
                    progress.printf(Locale.ROOT, "  %d clients: warm-up %d s, measuring %d s%n", clients,
                            options.warmupSeconds(), options.secondsPerLevel());
                    progress.flush();
                    ClosedLoopClients.Measurement m = ClosedLoopClients.run(engine, clients, nextClientId, KEY_BYTES,
                            valueBytes, Duration.ofSeconds(options.warmupSeconds()),
                            Duration.ofSeconds(options.secondsPerLevel()), progress);
                    // Fresh client ids per level: every level starts its sessions at sequence 1.
                    nextClientId += clients;
                    Level level = level(clients, m);
                    levels.add(level);
                    progress.printf(Locale.ROOT, "    => %.0f commands/s, p99 %.2f ms, %.1f commands per leader fsync%n",
                            level.commandsPerSecond(), level.p99Ms(), level.commandsPerLeaderFsync());
                    progress.flush();
                }
                notes = engine.diagnostics();
            } finally {
                engine.close();
            }

            double rawAfter = RawFsyncProbe.fsyncsPerSecond(runDirectory, RAW_RECORD_BYTES, rawProbe);
            progress.printf(Locale.ROOT, "  raw single-writer fsync rate again: %.0f fsyncs/s%n", rawAfter);
            progress.flush();
            return new Report(engine.name(), engine.setup(), options, runDirectory.toString(),
                    Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory(), startedAt, rawBefore,
                    rawAfter, levels, notes);
        } finally {
            io.bulwark.core.storage.Directories.deleteRecursively(runDirectory);
        }
    }

    private static Level level(int clients, ClosedLoopClients.Measurement m) {
        Histogram h = m.latencyMicros();
        long leaderFsyncs = m.after().leaderFsyncs() - m.before().leaderFsyncs();
        long totalFsyncs = m.after().totalFsyncs() - m.before().totalFsyncs();
        long committed = m.after().leaderCommandsCommitted() - m.before().leaderCommandsCommitted();
        double seconds = m.seconds();
        return new Level(clients, m.commands(), seconds, m.commands() / seconds,
                ms(h, 50), ms(h, 99), ms(h, 99.9), h.getTotalCount() == 0 ? 0 : h.getMaxValue() / 1_000.0,
                leaderFsyncs / seconds, totalFsyncs / seconds,
                leaderFsyncs <= 0 ? 0 : (double) committed / leaderFsyncs,
                totalFsyncs <= 0 ? 0 : (double) committed / totalFsyncs, m.errors());
    }

    private static double ms(Histogram h, double percentile) {
        return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1_000.0;
    }

}
