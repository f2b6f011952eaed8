package io.bulwark.server.node;

import io.bulwark.client.ClientOptions;
import io.bulwark.client.protocol.Topology;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A local cluster of separate node processes on loopback, the way {@code bulwark cluster up}, the demo, the
 * benchmarks and the multi-process tests run one. Layout of its directory: {@code cluster.conf} (the
 * definition), and per node {@code node-N/} (data), {@code node-N.log} (its output) and {@code node-N.pid}.
 *
 * <p>Each node is {@code java -cp <this JVM's class path> NodeMain ...}, so it runs the same code as the
 * launcher. Waits are on conditions with deadlines. Thread-safety: not thread-safe; one controller.
 */
public final class ProcessCluster implements AutoCloseable {

    /** JVM options for node processes: small heaps and the serial collector, so a laptop runs several nodes. */
    public static final List<String> DEFAULT_JVM_ARGS = List.of("-Xms64m", "-Xmx512m", "-XX:+UseSerialGC", "-Xss512k");

    private static final long READY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final long STOP_TIMEOUT_MS = 10_000;

    private final Path dir;
    private ClusterSpec spec;
    private final List<String> jvmArgs;
    /** Options every node of this cluster is started with (kept in the directory, so later controllers use them). */
    private final List<String> nodeArgs;
    private final PrintStream progress;
    private final Map<Integer, Process> processes = new TreeMap<>();

    private static final String NODE_ARGS_FILE = "node-options.conf";

    private ProcessCluster(Path dir, ClusterSpec spec, List<String> jvmArgs, List<String> nodeArgs, PrintStream progress) {
        this.dir = dir;
        this.spec = spec;
        this.jvmArgs = List.copyOf(jvmArgs);
        this.nodeArgs = List.copyOf(nodeArgs);
        this.progress = progress;
    }

    /**
     * Defines a new cluster of {@code nodes} nodes on free loopback ports in {@code dir} (which must not hold
     * one already) and starts every node, returning once all serve.
     *
     * @param progress where to report each step, or null
     */
    public static ProcessCluster create(Path dir, int nodes, int partitions, int replicationFactor,
                                        List<String> jvmArgs, PrintStream progress) throws IOException {
        return create(dir, nodes, partitions, replicationFactor, jvmArgs, List.of(), progress);
    }

    /**
     * As {@link #create(Path, int, int, int, List, PrintStream)}, starting every node (now and later) with
     * {@code nodeArgs}, options of {@link NodeMain} such as {@code --failure-timeout-ms 2000}.
     */
    public static ProcessCluster create(Path dir, int nodes, int partitions, int replicationFactor,
                                        List<String> jvmArgs, List<String> nodeArgs, PrintStream progress)
            throws IOException {
        dir = dir.toAbsolutePath().normalize();
        Files.createDirectories(dir);
        Path conf = dir.resolve(ClusterSpec.FILE_NAME);
        if (Files.exists(conf)) {
            throw new IOException(dir + " already holds a cluster (" + conf + "); use another directory, or stop it"
                    + " and delete the directory first");
        }
        List<Topology.Member> members = new ArrayList<>();
        for (int id = 1; id <= nodes; id++) {
            members.add(new Topology.Member(id, "127.0.0.1", freePort(), freePort(), ""));
        }
        ClusterSpec spec = new ClusterSpec(partitions, replicationFactor, members);
        spec.write(conf);
        Files.write(dir.resolve(NODE_ARGS_FILE), nodeArgs, StandardCharsets.UTF_8);
        ProcessCluster cluster = new ProcessCluster(dir, spec, jvmArgs, nodeArgs, progress);
        try {
            for (int id = 1; id <= nodes; id++) {
                cluster.launch(id);
            }
            for (int id = 1; id <= nodes; id++) {
                cluster.awaitReady(id);
            }
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    /**
     * A controller for the cluster already defined in {@code dir} (its nodes started by another controller, e.g.
     * an earlier {@code bulwark cluster up}): it can add and remove nodes; nodes it did not start are stopped
     * through their pid files.
     */
    public static ProcessCluster attach(Path dir, List<String> jvmArgs, PrintStream progress) throws IOException {
        dir = dir.toAbsolutePath().normalize();
        Path conf = dir.resolve(ClusterSpec.FILE_NAME);
        if (!Files.exists(conf)) {
            throw new IOException("no cluster in " + dir + " (no " + ClusterSpec.FILE_NAME + ")");
        }
        Path options = dir.resolve(NODE_ARGS_FILE);
        List<String> nodeArgs = Files.exists(options) ? Files.readAllLines(options, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isBlank()).toList() : List.of();
        return new ProcessCluster(dir, ClusterSpec.read(conf), jvmArgs, nodeArgs, progress);
    }

    /** A free TCP port on loopback at the time of the call. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    public Path directory() {
        return dir;
    }

    public ClusterSpec spec() {
        return spec;
    }

    /** Options for a client that knows every node. */
    public ClientOptions clientOptions() {
        return ClientOptions.of(seeds(spec));
    }

    static List<InetSocketAddress> seeds(ClusterSpec spec) {
        List<InetSocketAddress> seeds = new ArrayList<>();
        for (Topology.Member m : spec.members()) {
            seeds.add(m.clientAddress());
        }
        return seeds;
    }

    /** The port of node {@code id}'s admin HTTP endpoint (chosen at its first start, kept in the directory). */
    public int adminPort(int id) throws IOException {
        Path file = dir.resolve("node-" + id + ".admin");
        if (Files.exists(file)) {
            return Integer.parseInt(Files.readString(file, StandardCharsets.UTF_8).strip());
        }
        int port = freePort();
        Files.writeString(file, port + "\n", StandardCharsets.UTF_8);
        return port;
    }

    public Path log(int id) {
        return dir.resolve("node-" + id + ".log");
    }

    /**
     * Adds a node: a new member on free loopback ports, started as joining (it hosts nothing yet), then
     * {@link Rebalancer} moves its share of the partitions to it; the directory's definition is replaced once
     * the move is done. Returns what moved.
     */
    public Rebalancer.Result join() throws IOException, java.util.concurrent.TimeoutException, InterruptedException {
        refreshDefinition();
        int id = spec.members().stream().mapToInt(Topology.Member::id).max().orElse(0) + 1;
        List<Topology.Member> members = new ArrayList<>(spec.members());
        members.add(new Topology.Member(id, "127.0.0.1", freePort(), freePort(), ""));
        ClusterSpec next = spec.withMembers(members);
        Path joining = dir.resolve("cluster-next.conf");
        next.write(joining);
        launch(id, joining, true);
        awaitReady(id);
        Rebalancer.Result r = Rebalancer.apply(spec, next, progress);
        next.write(dir.resolve(ClusterSpec.FILE_NAME));
        Files.deleteIfExists(joining);
        spec = next;
        return r;
    }

    /**
     * Removes node {@code id}: {@link Rebalancer} moves its replicas to the nodes below their share, the
     * directory's definition is replaced, and the node's process is stopped (its data directory stays).
     */
    public Rebalancer.Result leave(int id) throws IOException, java.util.concurrent.TimeoutException,
            InterruptedException {
        refreshDefinition();
        spec.member(id);
        List<Topology.Member> members = new ArrayList<>(spec.members());
        members.removeIf(m -> m.id() == id);
        ClusterSpec next = spec.withMembers(members);
        Rebalancer.Result r = Rebalancer.apply(spec, next, progress);
        next.write(dir.resolve(ClusterSpec.FILE_NAME));
        spec = next;
        stop(id);
        processes.remove(id);
        Files.deleteIfExists(dir.resolve("node-" + id + ".pid"));
        return r;
    }

    /**
     * Takes the definition the cluster itself records (its {@link ClusterRecord}) when it differs from this
     * directory's copy: the cluster may have replaced a failed node on its own since this directory was written.
     */
    private void refreshDefinition() throws IOException {
        ClusterRecord r;
        try (io.bulwark.client.BulwarkClient c = io.bulwark.client.BulwarkClient.connect(clientOptions())) {
            r = ClusterRecord.read(c);
        }
        if (r != null && r.supersedes(spec)) {
            say("the cluster's definition changed since this directory recorded it: " + r);
            spec = r.to();
            spec.write(dir.resolve(ClusterSpec.FILE_NAME));
        }
    }

    /** Starts node {@code id} (again) on its data directory and waits until it serves. */
    public void start(int id) throws IOException {
        if (isRunning(id)) {
            throw new IllegalStateException("node " + id + " is already running");
        }
        launch(id);
        awaitReady(id);
    }

    public boolean isRunning(int id) {
        Process p = processes.get(id);
        return p != null && p.isAlive();
    }

    public long pid(int id) {
        Process p = processes.get(id);
        if (p == null) {
            throw new IllegalStateException("node " + id + " was not started by this controller");
        }
        return p.pid();
    }

    /** {@code kill -9}: the node dies at once, with whatever its disk holds. Waits for the exit. */
    public void kill(int id) {
        Process p = processes.get(id);
        if (p == null) {
            return;
        }
        p.destroyForcibly();
        waitFor(p, STOP_TIMEOUT_MS);
        say("node " + id + " killed (kill -9, pid " + p.pid() + ")");
    }

    /** {@code SIGTERM}: the node closes cleanly. Waits for the exit, then kills if it takes too long. */
    public void stop(int id) {
        Process p = processes.get(id);
        if (p == null) {
            stopByPidFile(id);
            return;
        }
        if (!p.isAlive()) {
            return;
        }
        if (pausedPids.contains(p.pid())) {
            resume(id);
        }
        p.destroy();
        if (!waitFor(p, STOP_TIMEOUT_MS)) {
            p.destroyForcibly();
            waitFor(p, STOP_TIMEOUT_MS);
        }
    }

    private final java.util.Set<Long> pausedPids = new java.util.HashSet<>();

    private void stopByPidFile(int id) {
        try {
            ProcessHandle h = liveNodes(dir).get(id);
            if (h != null) {
                terminate(h);
                say("node " + id + " stopped (pid " + h.pid() + ")");
            }
        } catch (IOException e) {
            say("could not stop node " + id + " from its pid file: " + e.getMessage());
        }
    }

    /** {@code SIGSTOP}: the process freezes (as in a long GC pause or a stalled VM) but keeps its sockets. */
    public void pause(int id) throws IOException {
        signal(id, "STOP");
        pausedPids.add(pid(id));
        say("node " + id + " paused (SIGSTOP)");
    }

    /** {@code SIGCONT}. */
    public void resume(int id) {
        try {
            signal(id, "CONT");
            pausedPids.remove(pid(id));
            say("node " + id + " resumed (SIGCONT)");
        } catch (IOException e) {
            throw new IllegalStateException("cannot resume node " + id + ": " + e.getMessage(), e);
        }
    }

    private void signal(int id, String signal) throws IOException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid(id))).redirectErrorStream(true).start();
        try {
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IOException("kill -" + signal + " " + pid(id) + " failed: "
                        + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while signalling node " + id);
        }
    }

    private void launch(int id) throws IOException {
        launch(id, dir.resolve(ClusterSpec.FILE_NAME), false);
    }

    private void launch(int id, Path definition, boolean joining) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(NodeMain.class.getName());
        cmd.add("--id");
        cmd.add(Integer.toString(id));
        cmd.add("--data");
        cmd.add(dir.resolve("node-" + id).toString());
        cmd.add("--cluster");
        cmd.add(definition.toString());
        if (joining) {
            cmd.add("--joining");
        }
        cmd.add("--admin");
        cmd.add("127.0.0.1:" + adminPort(id));
        cmd.addAll(nodeArgs);
        Path log = log(id);
        Files.deleteIfExists(log);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        processes.put(id, p);
        Files.writeString(dir.resolve("node-" + id + ".pid"), p.pid() + "\n", StandardCharsets.UTF_8);
    }

    private void awaitReady(int id) throws IOException {
        Process p = processes.get(id);
        long deadline = System.nanoTime() + READY_TIMEOUT_NANOS;
        Path log = log(id);
        while (true) {
            if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(NodeMain.READY)) {
                say("node " + id + " up (pid " + p.pid() + ", clients at " + clientPortOf(id)
                        + ", data in " + dir.resolve("node-" + id) + ")");
                return;
            }
            if (!p.isAlive()) {
                throw new IOException("node " + id + " exited with status " + p.exitValue() + " before serving; its log "
                        + log + " ends with:\n" + tail(log));
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("node " + id + " did not start serving within "
                        + TimeUnit.NANOSECONDS.toSeconds(READY_TIMEOUT_NANOS) + " s; see " + log);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private String clientPortOf(int id) {
        try {
            return Integer.toString(spec.member(id).clientPort());
        } catch (IllegalArgumentException joiningNode) {
            return "(joining)";
        }
    }

    private static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "(no output)";
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    }

    private static boolean waitFor(Process p, long ms) {
        try {
            return p.waitFor(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String javaBinary() {
        Optional<String> cmd = ProcessHandle.current().info().command();
        return cmd.orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private void say(String line) {
        if (progress != null) {
            progress.println(line);
        }
    }

    /**
     * Stops every node this controller started (clean stop, then kill after a bound). The directory and its
     * data stay; {@link #deleteDirectory} removes them.
     */
    @Override
    public void close() {
        for (Integer id : List.copyOf(processes.keySet())) {
            stop(id);
            try {
                Files.deleteIfExists(dir.resolve("node-" + id + ".pid"));
            } catch (IOException e) {
                // best effort
            }
        }
    }

    /**
     * Stops the nodes of the cluster in {@code dir} from their pid files, whoever started them (as
     * {@code bulwark cluster down} does). Only processes whose command line names this directory are
     * signalled, so a stale pid file never hits an unrelated process.
     *
     * @return the ids of the nodes that were running
     */
    public static List<Integer> stopAll(Path dir, PrintStream progress) throws IOException {
        dir = dir.toAbsolutePath().normalize();
        List<Integer> stopped = new ArrayList<>();
        for (Map.Entry<Integer, ProcessHandle> e : liveNodes(dir).entrySet()) {
            terminate(e.getValue());
            stopped.add(e.getKey());
            if (progress != null) {
                progress.println("node " + e.getKey() + " stopped (pid " + e.getValue().pid() + ")");
            }
        }
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                for (Path pidFile : files.filter(ProcessCluster::isPidFile).toList()) {
                    Files.deleteIfExists(pidFile);
                }
            }
        }
        return stopped;
    }

    /** The live node processes of the cluster in {@code dir}, by id, from its pid files. */
    public static Map<Integer, Long> running(Path dir) throws IOException {
        Map<Integer, Long> live = new TreeMap<>();
        liveNodes(dir.toAbsolutePath().normalize()).forEach((id, h) -> live.put(id, h.pid()));
        return live;
    }

    private static boolean isPidFile(Path f) {
        return f.getFileName().toString().matches("node-\\d+\\.pid");
    }

    /**
     * The node processes named by the pid files in {@code dir} that are alive and whose command line names
     * this directory, so a stale pid file never points at an unrelated process.
     */
    private static Map<Integer, ProcessHandle> liveNodes(Path dir) throws IOException {
        Map<Integer, ProcessHandle> live = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return live;
        }
        try (var files = Files.list(dir)) {
            for (Path pidFile : files.filter(ProcessCluster::isPidFile).toList()) {
                String name = pidFile.getFileName().toString();
                int id = Integer.parseInt(name.substring(5, name.length() - 4));
                long pid;
                try {
                    pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.UTF_8).strip());
                } catch (NumberFormatException e) {
                    continue; // a torn pid file names no process
                }
                Optional<ProcessHandle> h = ProcessHandle.of(pid);
                if (h.isPresent() && h.get().isAlive() && isOurs(h.get(), dir)) {
                    live.put(id, h.get());
                }
            }
        }
        return live;
    }

    /** Resumes (if paused) and stops a node process cleanly, forcibly after a bound. */
    private static void terminate(ProcessHandle h) throws IOException {
        new ProcessBuilder("kill", "-CONT", Long.toString(h.pid())).start();
        h.destroy();
        try {
            h.onExit().get(STOP_TIMEOUT_MS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            h.destroyForcibly();
        }
    }

    private static boolean isOurs(ProcessHandle h, Path dir) {
        Optional<String> line = h.info().commandLine();
        return line.isEmpty() || (line.get().contains(NodeMain.class.getName())
                && line.get().contains(dir.toString()));
    }

    /** Deletes a stopped cluster's directory. */
    public static void deleteDirectory(Path dir) throws IOException {
        io.bulwark.core.storage.Directories.deleteRecursively(dir);
    }
}
