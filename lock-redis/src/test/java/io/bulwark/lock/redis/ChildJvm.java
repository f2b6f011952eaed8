package io.bulwark.lock.redis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A test {@code main} class run in a JVM of its own, on this JVM's test class path, so a test can pause it
 * (SIGSTOP), resume it (SIGCONT) or kill it like any real client process. The child speaks a line protocol:
 * it prints {@code WORD value...} lines on stdout, which the test awaits with {@link #awaitLine}; it reads
 * commands from stdin ({@link #send}); its stderr goes to a file quoted in every failure message. Closing
 * kills the process (SIGKILL also ends a stopped process) and waits for it, so a failed test leaves nothing
 * running. Linux only (signals by {@code kill}, process state from {@code /proc}). Not thread-safe.
 */
final class ChildJvm implements AutoCloseable {

    private static final String EOF = "\u0000EOF";

    private final String name;
    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> transcript = new ArrayList<>(); // guarded by itself

    private ChildJvm(String name, Process process, Path stderr) {
        this.name = name;
        this.process = process;
        this.stderr = stderr;
        Thread reader = new Thread(this::readStdout, "child-jvm-reader-" + name);
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code mainClass} with {@code args} in a new JVM tuned for fast start-up. */
    static ChildJvm start(String name, Class<?> mainClass, String... args) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java,
                // Short-lived, small processes: C1 only and the serial collector start fastest on 2 cores.
                "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), mainClass.getName()));
        command.addAll(List.of(args));
        Path stderr = Files.createTempFile("bulwark-child-" + name + "-", ".err");
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        return new ChildJvm(name, process, stderr);
    }

    long pid() {
        return process.pid();
    }

    /**
     * Waits until the child prints a line starting with {@code word + " "} (or equal to {@code word}) and
     * returns the rest of it; lines with other words are kept in the transcript only.
     *
     * @throws AssertionError if the child exits or {@code timeout} passes first
     */
    String awaitLine(String word, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            String line = left > 0 ? lines.poll(left, TimeUnit.NANOSECONDS) : null;
            if (line == null) {
                throw failure("no '" + word + "' line within " + timeout.toMillis() + " ms");
            }
            if (line.equals(EOF)) {
                lines.add(EOF); // later waits fail fast too
                throw failure("exited before printing '" + word + "'");
            }
            if (line.equals(word)) {
                return "";
            }
            if (line.startsWith(word + " ")) {
                return line.substring(word.length() + 1);
            }
        }
    }

    /** Writes one command line to the child's stdin (buffered by the pipe even while the child is stopped). */
    void send(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to child " + name, e);
        }
    }

    /** Sends {@code SIG<signal>} ({@code STOP}, {@code CONT}) to the child with the {@code kill} command. */
    void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            kill.destroyForcibly();
            throw failure("kill -" + signal + " failed: " + new String(kill.getInputStream().readAllBytes(),
                    StandardCharsets.UTF_8));
        }
    }

    /**
     * Waits until the kernel reports the child in {@code state} ('T' stopped, 'S' sleeping, 'R' running:
     * the third field of {@code /proc/<pid>/stat}); signals are delivered asynchronously.
     */
    void awaitState(char state, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        char seen;
        while ((seen = state()) != state) {
            if (System.nanoTime() - deadline > 0) {
                throw failure("state '" + seen + "', not '" + state + "', " + timeout.toMillis() + " ms after the signal");
            }
            LockSupport.parkNanos(1_000_000); // bounded by the deadline above
        }
    }

    private char state() throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid()), "stat"));
        // "pid (comm) S ...": comm may contain spaces and parentheses, so look after the last ')'.
        return stat.charAt(stat.lastIndexOf(')') + 2);
    }

    /** Waits for the child to exit and returns its exit code. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw failure("did not exit within " + timeout.toMillis() + " ms");
        }
        return process.exitValue();
    }

    /** What the child printed so far, stdout then stderr, for failure messages. */
    String transcript() {
        String err;
        try {
            err = Files.readString(stderr);
        } catch (IOException e) {
            err = "(stderr unreadable: " + e + ")";
        }
        synchronized (transcript) {
            return "--- stdout of " + name + " ---\n" + String.join("\n", transcript)
                    + "\n--- stderr of " + name + " ---\n" + err;
        }
    }

    AssertionError failure(String what) {
        return new AssertionError("child " + name + " (pid " + pid() + "): " + what + "\n" + transcript());
    }

    @Override
    public void close() throws InterruptedException, IOException {
        process.destroyForcibly(); // SIGKILL: also ends a process that is stopped
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            throw new IllegalStateException("child " + name + " (pid " + pid() + ") did not die within 10 s of SIGKILL");
        }
        Files.deleteIfExists(stderr);
    }

    private void readStdout() {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(process.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                synchronized (transcript) {
                    transcript.add(line);
                }
                lines.add(line);
            }
        } catch (IOException e) {
            synchronized (transcript) {
                transcript.add("(stdout read failed: " + e + ")");
            }
        } finally {
            lines.add(EOF);
        }
    }
}
