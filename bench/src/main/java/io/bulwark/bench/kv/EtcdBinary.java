package io.bulwark.bench.kv;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where the {@code etcd} server binary is, installing it if needed: {@code $BULWARK_ETCD}, else {@code etcd}
 * on {@code PATH}, else {@code /usr/bin/etcd}, else the Debian package {@code etcd-server} is installed with
 * {@code apt-get install -y etcd-server} (after an {@code apt-get update} if the package is not found) and
 * {@code /usr/bin/etcd} is used. Stateless; thread-safe.
 */
final class EtcdBinary {

    static final String ENVIRONMENT_VARIABLE = "BULWARK_ETCD";
    static final String DEBIAN_PACKAGE = "etcd-server";
    private static final Path DEBIAN_BINARY = Path.of("/usr/bin/etcd");
    private static final long APT_DEADLINE_MINUTES = 10;
    private static final long VERSION_DEADLINE_SECONDS = 10;
    private static final int APT_LINES_KEPT = 20;
    private static final Pattern VERSION = Pattern.compile("etcd Version:\\s*(\\S+)");

    private EtcdBinary() {
    }

    /** The binary if one is installed (see the class comment), else {@code null}; never installs. */
    static Path find() {
        String configured = System.getenv(ENVIRONMENT_VARIABLE);
        if (configured != null && !configured.isBlank()) {
            Path path = Path.of(configured);
            if (!Files.isExecutable(path)) {
                throw new IllegalStateException(ENVIRONMENT_VARIABLE + " is set to " + configured
                        + ", which is not an executable file; point it at an etcd server binary or unset it");
            }
            return path;
        }
        Path onPath = onPath("etcd");
        if (onPath != null) {
            return onPath;
        }
        return Files.isExecutable(DEBIAN_BINARY) ? DEBIAN_BINARY : null;
    }

    /**
     * The binary, installing the Debian package first if none is found; apt's output goes to {@code progress}.
     *
     * @throws IllegalStateException if there is none and it could not be installed (the message says what to do)
     */
    static Path findOrInstall(PrintStream progress) throws IOException, InterruptedException {
        Path found = find();
        if (found != null) {
            return found;
        }
        if (onPath("apt-get") == null) {
            throw new IllegalStateException("etcd is not installed and apt-get is not available to install the Debian"
                    + " package " + DEBIAN_PACKAGE + "; install etcd 3.4 or later and put it on PATH, or set "
                    + ENVIRONMENT_VARIABLE + " to the etcd binary");
        }
        progress.printf(Locale.ROOT, "etcd is not installed: installing the Debian package %s with apt-get...%n",
                DEBIAN_PACKAGE);
        AptRun install = apt(progress, "install", "-y", "--no-install-recommends", DEBIAN_PACKAGE);
        if (install.exitCode != 0) {
            // A fresh machine may have no package lists yet: refresh them once and try again.
            progress.println("apt-get install failed; running apt-get update and trying once more...");
            AptRun update = apt(progress, "update");
            if (update.exitCode == 0) {
                install = apt(progress, "install", "-y", "--no-install-recommends", DEBIAN_PACKAGE);
            } else {
                install = update;
            }
        }
        if (install.exitCode != 0 || !Files.isExecutable(DEBIAN_BINARY)) {
            throw new IllegalStateException("could not install the Debian package " + DEBIAN_PACKAGE + " (apt-get exit "
                    + install.exitCode + "; installing packages needs root). Install it yourself (apt-get install -y "
                    + DEBIAN_PACKAGE + ") or set " + ENVIRONMENT_VARIABLE + " to an etcd binary. Last apt-get output:\n"
                    + String.join("\n", install.lastLines));
        }
        progress.printf(Locale.ROOT, "installed %s: %s%n", DEBIAN_PACKAGE, DEBIAN_BINARY);
        return DEBIAN_BINARY;
    }

    /** The version {@code binary --version} reports, e.g. {@code "3.4.23"}. */
    static String version(Path binary) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(binary.toString(), "--version").redirectErrorStream(true).start();
        String output;
        try {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(VERSION_DEADLINE_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException(binary + " --version did not exit within " + VERSION_DEADLINE_SECONDS + " s");
            }
        } finally {
            process.destroyForcibly();
        }
        Matcher m = VERSION.matcher(output);
        if (!m.find()) {
            throw new IOException(binary + " --version did not print an etcd version: " + output.strip());
        }
        return m.group(1);
    }

    private static Path onPath(String name) {
        String path = System.getenv("PATH");
        for (String dir : path == null ? new String[0] : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** Exit code and the last lines of one apt-get run. */
    private record AptRun(int exitCode, List<String> lastLines) {
    }

    private static AptRun apt(PrintStream progress, String... arguments) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("apt-get", "-q"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process process = builder.start();
        Deque<String> last = new ArrayDeque<>();
        // A reader thread, so that the deadline below holds even if apt-get stops printing.
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                    progress.println("  apt-get: " + line);
                    synchronized (last) {
                        last.addLast(line);
                        if (last.size() > APT_LINES_KEPT) {
                            last.removeFirst();
                        }
                    }
                }
            } catch (IOException e) {
                // apt-get is gone; its exit code says how it ended.
            }
        }, "apt-get-output");
        reader.setDaemon(true);
        reader.start();
        if (!process.waitFor(APT_DEADLINE_MINUTES, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            return new AptRun(-1, List.of("apt-get " + String.join(" ", arguments) + " did not finish within "
                    + APT_DEADLINE_MINUTES + " minutes"));
        }
        reader.join(TimeUnit.SECONDS.toMillis(5));
        synchronized (last) {
            return new AptRun(process.exitValue(), List.copyOf(last));
        }
    }
}
