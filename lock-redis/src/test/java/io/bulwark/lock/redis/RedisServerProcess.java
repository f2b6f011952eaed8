package io.bulwark.lock.redis;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} process on a free loopback port, without persistence, for tests. The binary is
 * {@code $BULWARK_REDIS_SERVER}, else {@code redis-server} on {@code PATH} (CI installs Redis 7), else the
 * Linux x86-64 Redis 6.2 binary shipped inside the {@code embedded-redis} test artifact, so the test command
 * works on a machine with only a JDK and Maven. With none of these the test FAILS. Not thread-safe.
 */
final class RedisServerProcess implements AutoCloseable {

    private static final long START_DEADLINE_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final int port;
    private Process process;

    private RedisServerProcess(int port) {
        this.port = port;
    }

    /** Starts a server on a free port and waits (with a deadline) until it answers PING. */
    static RedisServerProcess start() throws IOException, InterruptedException {
        RedisServerProcess server = new RedisServerProcess(freePort());
        server.restart();
        return server;
    }

    int port() {
        return port;
    }

    String uri() {
        return "redis://127.0.0.1:" + port;
    }

    /** Starts (again, empty) on the same port: a restart without persistence. */
    void restart() throws IOException, InterruptedException {
        stop();
        Path log = Files.createTempFile("redis-" + port, ".log");
        process = new ProcessBuilder(binary(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--protected-mode", "no")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + START_DEADLINE_NANOS;
        while (!answersPing()) {
            if (!process.isAlive()) {
                throw new IllegalStateException("redis-server exited at start-up: " + Files.readString(log));
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("redis-server did not answer PING within 10 s on port " + port);
            }
            Thread.sleep(10); // bounded by the deadline above
        }
    }

    /** Kills the server (SIGKILL: no shutdown, nothing saved) and waits for it to exit. */
    void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException("redis-server did not exit within 10 s");
            }
            process = null;
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private boolean answersPing() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            socket.setSoTimeout(500);
            OutputStream out = socket.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] reply = new byte[7];
            int n = in.readNBytes(reply, 0, 7);
            return n == 7 && new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
        } catch (IOException e) {
            return false;
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
                + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + "); the Redis lock tests need"
                + " a real Redis. Install it (Debian/Ubuntu: apt-get install -y redis-server) and run the tests again.");
    }

    private static String extracted;

    /** The embedded-redis artifact's Linux x86-64 binary, copied once to an executable temporary file. */
    private static synchronized String shippedBinary() throws IOException {
        if (extracted != null) {
            return extracted;
        }
        if (!System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT).contains("linux")
                || !System.getProperty("os.arch").matches("amd64|x86_64")) {
            return null;
        }
        try (InputStream in = RedisServerProcess.class.getResourceAsStream("/redis-server-6.2.6-v5-linux-amd64")) {
            if (in == null) {
                return null;
            }
            Path file = Files.createTempFile("bulwark-redis-server-", "");
            Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            if (!file.toFile().setExecutable(true, true)) {
                throw new IOException("cannot make " + file + " executable");
            }
            file.toFile().deleteOnExit();
            extracted = file.toString();
            return extracted;
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
