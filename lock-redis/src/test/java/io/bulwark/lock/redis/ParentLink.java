package io.bulwark.lock.redis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The child side of {@link ChildJvm}: reports lines on stdout and takes commands from stdin. A child must
 * never outlive its test: it halts when its stdin closes (the test JVM died) or when its lifetime runs out.
 * Thread-safe.
 */
final class ParentLink {

    private final BlockingQueue<String> commands = new LinkedBlockingQueue<>();

    private ParentLink() {
    }

    /** Starts watching stdin and the lifetime; call once, first thing in {@code main}. */
    static ParentLink start(Duration lifetime) {
        ParentLink link = new ParentLink();
        Thread stdin = new Thread(() -> {
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    link.commands.add(line);
                }
            } catch (IOException e) {
                // Same as EOF: the parent is gone.
            }
            System.err.println("stdin closed: the test JVM is gone, halting");
            Runtime.getRuntime().halt(3);
        }, "parent-link-stdin");
        stdin.setDaemon(true);
        stdin.start();
        // The child's own lifetime cap: a timer, not a wait for a condition.
        CompletableFuture.delayedExecutor(lifetime.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
            System.err.println("lifetime of " + lifetime.toMillis() + " ms is over, halting");
            Runtime.getRuntime().halt(4);
        });
        return link;
    }

    /** Prints one protocol line ({@code WORD value...}) and flushes it. */
    void report(String line) {
        synchronized (System.out) {
            System.out.println(line);
            System.out.flush();
        }
    }

    /**
     * Waits for the command {@code expected} on stdin.
     *
     * @throws IllegalStateException if another command or none arrives within {@code timeout}
     */
    void awaitCommand(String expected, Duration timeout) throws InterruptedException {
        String command = commands.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!expected.equals(command)) {
            throw new IllegalStateException("expected command '" + expected + "' within " + timeout.toMillis()
                    + " ms, got " + (command == null ? "none" : "'" + command + "'"));
        }
    }
}
