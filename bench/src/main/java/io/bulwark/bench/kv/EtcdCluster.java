package io.bulwark.bench.kv;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * A real three-member etcd cluster on loopback, for {@code bench kv}: three {@code etcd} processes (the Debian
 * package {@code etcd-server}, installed if missing; see {@link EtcdBinary}), each on its own free client and
 * peer ports and its own data directory under one run directory.
 *
 * <p>Durability is etcd's default: every raft batch is fsynced to the write-ahead log before it is
 * acknowledged ({@code --unsafe-no-fsync} is never passed). Every other setting is etcd's default too
 * (heartbeat 100 ms, election timeout 1 s, no auto-compaction), which is what a user gets out of the box.
 *
 * <p>Readiness, leadership and restarts are observed through each member's HTTP endpoints
 * ({@code /health}, and {@code /v3/maintenance/status} of the gRPC gateway), polled every
 * {@value #POLL_INTERVAL_MS} ms until a deadline; nothing waits a fixed time. Each member logs to
 * {@code <name>.log} in the run directory; failures quote its last lines.
 *
 * <p>{@link #close()} kills every member and deletes the run directory; a shutdown hook does the same if the
 * JVM exits first. Members are killed with SIGKILL ({@link Process#destroyForcibly()} on the etcd process
 * itself, not a wrapper). Not thread-safe: one control thread starts, kills, restarts and closes.
 */
public final class EtcdCluster implements AutoCloseable {

    /** Members of the cluster. */
    public static final int MEMBERS = 3;
    static final long POLL_INTERVAL_MS = 20;
    private static final int START_ATTEMPTS = 3;
    private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration EXIT_DEADLINE = Duration.ofSeconds(10);
    private static final int LOG_LINES_QUOTED = 15;
    private static final Pattern MEMBER_ID = Pattern.compile("\"member_id\"\\s*:\\s*\"?(\\d+)\"?");
    private static final Pattern LEADER = Pattern.compile("\"leader\"\\s*:\\s*\"?(\\d+)\"?");

    /**
     * How to start the cluster. Immutable.
     *
     * @param parentDirectory where the run directory is created (and deleted at close); {@code null}: the
     *                        system's temporary directory. Give Bulwark's nodes the same disk.
     * @param startDeadline   for the whole cluster to become healthy, and for a restarted member, in
     *                        {@code [1 s, 10 min]}
     * @param progress        where start-up, installation and failures are reported
     */
    public record Options(Path parentDirectory, Duration startDeadline, PrintStream progress) {

        /** Validates the fields; see the components for the allowed values. */
        public Options {
            Objects.requireNonNull(startDeadline, "startDeadline");
            Objects.requireNonNull(progress, "progress");
            if (startDeadline.compareTo(Duration.ofSeconds(1)) < 0 || startDeadline.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("startDeadline must be in [1 s, 10 min], was " + startDeadline);
            }
        }

        /** The system's temporary directory, 60 s to start, progress on {@code System.out}. */
        public static Options defaults() {
            return new Options(null, Duration.ofSeconds(60), System.out);
        }

        public Options withParentDirectory(Path directory) {
            return new Options(directory, startDeadline, progress);
        }

        public Options withProgress(PrintStream stream) {
            return new Options(parentDirectory, startDeadline, stream);
        }
    }

    private final Path binary;
    private final String version;
    private final Path runDirectory;
    private final Options options;
    private final HttpClient http;
    private final List<Member> members = new ArrayList<>();
    private final Thread cleanupOnExit;
    /** Guards {@link #stopped} and every process start, so that nothing starts after the cleanup. */
    private final Object lifecycle = new Object();
    private boolean stopped;
    private Member killed;

    private EtcdCluster(Path binary, String version, Path runDirectory, Options options) {
        this.binary = binary;
        this.version = version;
        this.runDirectory = runDirectory;
        this.options = options;
        this.http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();
        this.cleanupOnExit = new Thread(this::destroyEverything, "etcd-cluster-cleanup");
    }

    /**
     * Finds or installs etcd, starts three members and waits until every one reports healthy (a leader is
     * elected and every member knows it).
     *
     * @throws IllegalStateException if etcd cannot be found or installed, or a member exits at start-up
     * @throws TimeoutException      if the cluster is not healthy within {@code options.startDeadline()}
     */
    public static EtcdCluster start(Options options) throws IOException, TimeoutException, InterruptedException {
        Objects.requireNonNull(options, "options");
        Path binary = EtcdBinary.findOrInstall(options.progress());
        String version = EtcdBinary.version(binary);
        Path runDirectory = options.parentDirectory() == null ? Files.createTempDirectory("bulwark-etcd-")
                : Files.createTempDirectory(Files.createDirectories(options.parentDirectory()), "bulwark-etcd-");
        EtcdCluster cluster = new EtcdCluster(binary, version, runDirectory, options);
        Runtime.getRuntime().addShutdownHook(cluster.cleanupOnExit);
        try {
            cluster.launchAll();
            return cluster;
        } catch (IOException | TimeoutException | InterruptedException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** The etcd version the members run, e.g. {@code "3.4.23"}. */
    public String version() {
        return version;
    }

    /** The etcd binary the members run. */
    public Path binary() {
        return binary;
    }

    /** Where the members' data directories and logs are (deleted at close). */
    public Path runDirectory() {
        return runDirectory;
    }

    /** Client URLs of all members, in member order, e.g. {@code http://127.0.0.1:40123}. */
    public List<URI> clientEndpoints() {
        return members.stream().map(Member::clientUrl).map(URI::create).toList();
    }

    /**
     * The index of the current leader, as seen by a live member that says it leads; waits for an election if
     * there is none.
     *
     * @throws TimeoutException if no leader is seen within {@code deadline}
     */
    public int awaitLeader(Duration deadline) throws TimeoutException, InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            for (Member m : members) {
                if (m.isRunning()) {
                    Status status = status(m);
                    if (status != null && status.memberId().equals(status.leader())) {
                        return m.index;
                    }
                }
            }
            if (System.nanoTime() - end >= 0) {
                throw new TimeoutException("no etcd member reported itself leader within " + deadline.toMillis()
                        + " ms; " + describeMembers());
            }
            TimeUnit.MILLISECONDS.sleep(POLL_INTERVAL_MS);
        }
    }

    /**
     * Kills the current leader with SIGKILL and waits for its process to exit. Its data directory and ports
     * are kept for {@link #restartKilled()}.
     *
     * @throws IllegalStateException if a member is already down
     * @throws TimeoutException      if no leader is found, or the process does not exit, within the deadline
     */
    public KvEngine.KilledNode killLeader() throws TimeoutException, InterruptedException {
        requireNoneKilled();
        return kill(awaitLeader(options.startDeadline()));
    }

    /**
     * Kills member {@code index} with SIGKILL and waits for its process to exit.
     *
     * @throws IllegalStateException if a member is already down
     * @throws TimeoutException      if the process does not exit within 10 s
     */
    public KvEngine.KilledNode kill(int index) throws TimeoutException, InterruptedException {
        Objects.checkIndex(index, members.size());
        requireNoneKilled();
        Member m = members.get(index);
        Process process = m.process;
        long pid = process.pid();
        long killedAt = System.nanoTime();
        process.destroyForcibly();
        if (!process.waitFor(EXIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("etcd member " + m.name + " (pid " + pid + ") did not exit within "
                    + EXIT_DEADLINE.toSeconds() + " s of SIGKILL");
        }
        killed = m;
        options.progress().printf(Locale.ROOT, "  killed etcd member %s (pid %d) with SIGKILL%n", m.name, pid);
        return new KvEngine.KilledNode(index, "etcd member " + m.name + " (pid " + pid + ")", killedAt);
    }

    /**
     * Starts the killed member again on its data directory and ports and waits until it reports healthy.
     *
     * @throws IllegalStateException if no member is down, or it exits at start-up
     * @throws TimeoutException      if it is not healthy within {@code options.startDeadline()}
     */
    public void restartKilled() throws IOException, TimeoutException, InterruptedException {
        if (killed == null) {
            throw new IllegalStateException("no etcd member is down; kill one before restarting it");
        }
        Member m = killed;
        m.launch();
        awaitHealthy(List.of(m), options.startDeadline());
        killed = null;
        options.progress().printf(Locale.ROOT, "  restarted etcd member %s (pid %d)%n", m.name, m.process.pid());
    }

    /** Kills every member and deletes the run directory. Idempotent. */
    @Override
    public void close() {
        destroyEverything();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanupOnExit);
        } catch (IllegalStateException e) {
            // The JVM is already shutting down; the hook is running or has run.
        }
    }

    private void requireNoneKilled() {
        if (killed != null) {
            throw new IllegalStateException("etcd member " + killed.name + " is already down; restart it first");
        }
    }

    /** Starts the members on fresh ports, retrying with other ports if one was taken in between. */
    private void launchAll() throws IOException, TimeoutException, InterruptedException {
        String token = "bulwark-bench-" + Long.toHexString(ThreadLocalRandom.current().nextLong());
        for (int attempt = 1; ; attempt++) {
            members.clear();
            List<Integer> ports = freePorts(2 * MEMBERS);
            for (int i = 0; i < MEMBERS; i++) {
                members.add(new Member(i, ports.get(2 * i), ports.get(2 * i + 1)));
            }
            String initialCluster = members.stream().map(m -> m.name + "=" + m.peerUrl())
                    .collect(Collectors.joining(","));
            for (Member m : members) {
                m.initialCluster = initialCluster;
                m.token = token;
                Files.createDirectories(m.dataDirectory());
                m.launch();
            }
            options.progress().printf(Locale.ROOT, "started etcd %s: %s%n", version, describeMembers());
            try {
                awaitHealthy(members, options.startDeadline());
                return;
            } catch (IllegalStateException e) {
                boolean portTaken = members.stream().anyMatch(m -> m.logTail().contains("address already in use"));
                if (!portTaken || attempt == START_ATTEMPTS) {
                    throw e;
                }
                options.progress().println("  an etcd port was taken in the meantime; starting again on other ports");
                for (Member m : members) {
                    m.destroy();
                    io.bulwark.core.storage.Directories.deleteRecursively(m.dataDirectory());
                }
            }
        }
    }

    /**
     * Polls {@code /health} of {@code which} until all say healthy.
     *
     * @throws IllegalStateException if one of them exits
     */
    private void awaitHealthy(List<Member> which, Duration deadline) throws TimeoutException, InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        List<Member> waiting = new ArrayList<>(which);
        while (true) {
            for (Member m : waiting) {
                if (!m.isRunning()) {
                    throw new IllegalStateException("etcd member " + m.name + " exited at start-up with code "
                            + m.process.exitValue() + "; last lines of " + m.logFile() + ":\n" + m.logTail());
                }
            }
            waiting.removeIf(this::healthy);
            if (waiting.isEmpty()) {
                return;
            }
            if (System.nanoTime() - end >= 0) {
                throw new TimeoutException("etcd members " + waiting.stream().map(m -> m.name).toList()
                        + " not healthy within " + deadline.toSeconds() + " s; last lines of " + waiting.get(0).logFile()
                        + ":\n" + waiting.get(0).logTail());
            }
            TimeUnit.MILLISECONDS.sleep(POLL_INTERVAL_MS);
        }
    }

    private boolean healthy(Member m) {
        String body = httpOrNull(HttpRequest.newBuilder(URI.create(m.clientUrl() + "/health")).GET());
        return body != null && body.replace(" ", "").contains("\"health\":\"true\"");
    }

    /** A member's view of the cluster: its own id and the leader's (decimal strings), or null if it is unreachable. */
    private record Status(String memberId, String leader) {
    }

    private Status status(Member m) {
        String body = httpOrNull(HttpRequest.newBuilder(URI.create(m.clientUrl() + "/v3/maintenance/status"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")));
        if (body == null) {
            return null;
        }
        Matcher id = MEMBER_ID.matcher(body);
        Matcher leader = LEADER.matcher(body);
        return id.find() && leader.find() ? new Status(id.group(1), leader.group(1)) : null;
    }

    /** The body of a 200 answer, or null if the member is unreachable, slow or answers otherwise. */
    private String httpOrNull(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = http.send(request.timeout(HTTP_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return response.statusCode() == 200 ? response.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private String describeMembers() {
        return members.stream().map(m -> String.format(Locale.ROOT, "%s client %s peer %s %s", m.name, m.clientUrl(),
                m.peerUrl(), m.isRunning() ? "(pid " + m.process.pid() + ")" : "(down)"))
                .collect(Collectors.joining("; "));
    }

    /**
     * Kills what runs and deletes the run directory, once; for close() and the shutdown hook. The hook runs
     * while the control thread may still be in a restart: after this, {@link Member#launch} refuses.
     */
    private void destroyEverything() {
        synchronized (lifecycle) {
            if (stopped) {
                return;
            }
            stopped = true;
            for (Member m : members) {
                m.destroy();
            }
        }
        try {
            io.bulwark.core.storage.Directories.deleteRecursively(runDirectory);
        } catch (IOException e) {
            options.progress().println("could not delete the etcd run directory " + runDirectory + ": " + e);
        }
    }

    private static List<Integer> freePorts(int count) throws IOException {
        // All sockets stay open until every port is picked, so the picks are distinct.
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    /** One etcd member: its ports, directories and current process. */
    private final class Member {
        final int index;
        final String name;
        final int clientPort;
        final int peerPort;
        String initialCluster;
        String token;
        volatile Process process;

        Member(int index, int clientPort, int peerPort) {
            this.index = index;
            this.name = "m" + index;
            this.clientPort = clientPort;
            this.peerPort = peerPort;
        }

        String clientUrl() {
            return "http://127.0.0.1:" + clientPort;
        }

        String peerUrl() {
            return "http://127.0.0.1:" + peerPort;
        }

        Path dataDirectory() {
            return runDirectory.resolve(name + ".etcd");
        }

        Path logFile() {
            return runDirectory.resolve(name + ".log");
        }

        boolean isRunning() {
            Process p = process;
            return p != null && p.isAlive();
        }

        /**
         * Starts the process. On a restart the data directory already holds the member's WAL, and etcd takes
         * its identity and the cluster from there (the initial-cluster flags are then ignored).
         */
        void launch() throws IOException {
            List<String> command = List.of(binary.toString(),
                    "--name", name,
                    "--data-dir", dataDirectory().toString(),
                    "--listen-client-urls", clientUrl(),
                    "--advertise-client-urls", clientUrl(),
                    "--listen-peer-urls", peerUrl(),
                    "--initial-advertise-peer-urls", peerUrl(),
                    "--initial-cluster", initialCluster,
                    "--initial-cluster-token", token,
                    "--initial-cluster-state", "new",
                    "--logger", "zap",
                    "--log-outputs", "stderr");
            ProcessBuilder builder = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()));
            // ETCD_* variables would override the flags above (e.g. ETCD_UNSAFE_NO_FSYNC); none are inherited.
            Map<String, String> environment = builder.environment();
            environment.keySet().removeIf(k -> k.startsWith("ETCD_"));
            synchronized (lifecycle) {
                if (stopped) {
                    throw new IllegalStateException("the etcd cluster is closed (or the JVM is exiting); not starting"
                            + " member " + name);
                }
                process = builder.start();
            }
        }

        /** SIGKILL and wait for the exit; best effort (used at close). */
        void destroy() {
            Process p = process;
            if (p == null) {
                return;
            }
            p.destroyForcibly();
            try {
                p.waitFor(EXIT_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** The last lines of this member's log, for error messages. */
        String logTail() {
            try {
                List<String> lines = Files.readAllLines(logFile(), StandardCharsets.UTF_8);
                return IntStream.range(Math.max(0, lines.size() - LOG_LINES_QUOTED), lines.size())
                        .mapToObj(lines::get).collect(Collectors.joining("\n"));
            } catch (IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }
    }
}
