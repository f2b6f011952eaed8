package io.bulwark.lock.redis;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A local {@code redis-server} process on a free loopback port, without persistence ({@code save ""},
 * {@code appendonly no}), for development, tests, demos and benchmarks: they start their own server and
 * stop it at the end. Not for production: it binds to loopback, keeps nothing, and is killed, not shut down.
 *
 * <p>The binary is {@code $BULWARK_REDIS_SERVER}, else {@code redis-server} on {@code PATH}, else the Linux
 * x86-64 Redis 6.2 binary shipped in the {@code com.github.codemonstur:embedded-redis} artifact when that is
 * on the class path (it is a test dependency of this module and a dependency of the CLI and benchmarks, so
 * they need nothing installed). With none of these, {@link #start()} fails with a message saying what to
 * install.
 *
 * <p>Also reads {@code INFO commandstats}, so a benchmark can report how many Redis commands an operation
 * costs. Not thread-safe.
 */
public final class LocalRedisServer implements AutoCloseable {

    private static final long START_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final int IO_TIMEOUT_MS = 5_000;

    private final int port;
    private final String binary;
    private Process process;

    private LocalRedisServer(int port, String binary) {
        this.port = port;
        this.binary = binary;
    }

    /**
     * Starts a server on a free loopback port and waits, with a 10 s deadline, until it answers PING.
     *
     * @throws IllegalStateException if no binary is found, or the server exits or stays silent at start-up
     */
    public static LocalRedisServer start() throws IOException, InterruptedException {
        LocalRedisServer server = new LocalRedisServer(freePort(), binary());
        server.launch();
        return server;
    }

    /** The loopback port the server listens on. */
    public int port() {
        return port;
    }

    /** Lettuce/Redisson URI of this server. */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** The binary this server runs (for the report). */
    public String binaryPath() {
        return binary;
    }

    /** The server's {@code redis_version}, from {@code INFO server}. */
    public String version() throws IOException {
        for (String line : info("server").split("\r\n")) {
            if (line.startsWith("redis_version:")) {
                return line.substring("redis_version:".length());
            }
        }
        return "unknown";
    }

    /**
     * Total calls of every command so far, from {@code INFO commandstats}, without the {@code INFO} calls
     * themselves (so reading the counter does not move it).
     */
    public long commandCalls() throws IOException {
        return commandCallsByName().values().stream().mapToLong(Long::longValue).sum();
    }

    /** Calls per command name (lower case, e.g. {@code evalsha}) so far, without {@code info}; sorted by name. */
    public java.util.SortedMap<String, Long> commandCallsByName() throws IOException {
        java.util.SortedMap<String, Long> calls = new java.util.TreeMap<>();
        for (String line : info("commandstats").split("\r\n")) {
            // cmdstat_evalsha:calls=123,usec=456,...
            if (!line.startsWith("cmdstat_") || line.startsWith("cmdstat_info:")) {
                continue;
            }
            int colon = line.indexOf(':');
            int at = line.indexOf("calls=");
            int end = line.indexOf(',', at);
            calls.put(line.substring("cmdstat_".length(), colon),
                    Long.parseLong(line.substring(at + "calls=".length(), end < 0 ? line.length() : end)));
        }
        return calls;
    }

    /** CPU time the server process has used so far (user + system, {@code INFO cpu}), in microseconds. */
    public long cpuMicros() throws IOException {
        double seconds = 0;
        for (String line : info("cpu").split("\r\n")) {
            if (line.startsWith("used_cpu_user:") || line.startsWith("used_cpu_sys:")) {
                seconds += Double.parseDouble(line.substring(line.indexOf(':') + 1));
            }
        }
        return Math.round(seconds * 1e6);
    }

    /** Starts again, empty, on the same port: a restart that lost every key, as after a crash without persistence. */
    public void restart() throws IOException, InterruptedException {
        stop();
        launch();
    }

    /** Kills the server (SIGKILL: nothing is saved, nothing needs to be) and waits for it to exit. Idempotent. */
    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** Kills the server like {@link #close()}; {@link #restart()} can bring it back on the same port. */
    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("redis-server did not exit within 10 s (port " + port + ")");
            }
            process = null;
        }
    }

    private void launch() throws IOException, InterruptedException {
        process = new ProcessBuilder(binary, "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "no")
                .redirectErrorStream(true).start();
        // Redis logs "Ready to accept connections" once it listens; wait for that line (or for the process
        // to end) instead of polling the port. The reader keeps draining the log so the pipe never fills.
        CompletableFuture<Void> ready = new CompletableFuture<>();
        StringBuffer log = new StringBuffer();
        Process started = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(started.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    if (!ready.isDone()) {
                        log.append(line).append('\n');
                        if (line.contains("Ready to accept connections")) {
                            ready.complete(null);
                        }
                    }
                }
            } catch (IOException e) {
                // The process is gone; handled below.
            }
            ready.completeExceptionally(new IllegalStateException("redis-server exited at start-up: " + log));
        }, "redis-server-log-" + port);
        reader.setDaemon(true);
        reader.start();
        try {
            ready.get(START_DEADLINE_NANOS, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            stop();
            throw (IllegalStateException) e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            stop();
            throw new IllegalStateException("redis-server did not become ready within 10 s on port " + port + ": " + log);
        }
        if (!answersPing()) {
            stop();
            throw new IllegalStateException("redis-server said it was ready but does not answer PING on port " + port);
        }
    }

    private boolean answersPing() {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] reply = socket.getInputStream().readNBytes(7);
            return new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
        }
    }

    /** One {@code INFO section} round trip on a fresh connection; the reply is a RESP bulk string. */
    private String info(String section) throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(("INFO " + section + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = new BufferedInputStream(socket.getInputStream());
            StringBuilder header = new StringBuilder();
            for (int c = in.read(); c != '\n'; c = in.read()) {
                if (c < 0) {
                    throw new IOException("redis-server closed the connection during INFO " + section);
                }
                header.append((char) c);
            }
            String h = header.toString().trim();
            if (!h.startsWith("$")) {
                throw new IOException("unexpected reply to INFO " + section + ": " + h);
            }
            int length = Integer.parseInt(h.substring(1));
            byte[] body = in.readNBytes(length);
            if (body.length != length) {
                throw new IOException("short reply to INFO " + section);
            }
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        try {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(IO_TIMEOUT_MS);
            return socket;
        } catch (IOException e) {
            socket.close();
            throw e;
        }
    }

    private static String binary() throws IOException {
        String configured = System.getenv("BULWARK_REDIS_SERVER");
        if (configured != null && !configured.isBlank()) {
            return configured;
        }
        String path = System.getenv("PATH");
        for (String dir : path == null ? new String[0] : path.split(File.pathSeparator)) {
            File candidate = new File(dir, "redis-server");
            if (candidate.canExecute()) {
                return candidate.getAbsolutePath();
            }
        }
        String shipped = shippedBinary();
        if (shipped != null) {
            return shipped;
        }
        throw new IllegalStateException("redis-server is not on PATH and no shipped binary fits this platform ("
                + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + "); Bulwark needs a real Redis"
                + " here. Install it (Debian/Ubuntu: apt-get install -y redis-server) or set"
                + " BULWARK_REDIS_SERVER to its path.");
    }

    /** The embedded-redis artifact's Linux x86-64 binary copied to an executable temporary file, or null. */
    private static String shippedBinary() throws IOException {
        if (!System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
                || !System.getProperty("os.arch").matches("amd64|x86_64")) {
            return null;
        }
        try (InputStream in = LocalRedisServer.class.getResourceAsStream("/redis-server-6.2.6-v5-linux-amd64")) {
            if (in == null) {
                return null;
            }
            Path file = Files.createTempFile("bulwark-redis-server-", "");
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            if (!file.toFile().setExecutable(true, true)) {
                throw new IOException("cannot make " + file + " executable");
            }
            file.toFile().deleteOnExit();
            return file.toString();
        }
    }

    /** A port that was free on the loopback interface a moment ago. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
