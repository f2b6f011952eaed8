package io.bulwark.lock.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.lock.LockInfo;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.spi.AbandonRequest;
import io.bulwark.lock.spi.AcquireRequest;
import io.bulwark.lock.spi.LockCommand;
import io.bulwark.lock.spi.OwnerId;
import io.bulwark.lock.spi.ReleaseRequest;
import io.bulwark.lock.spi.RenewRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The reference semantics as readable traces, in the style of etcd-io/raft's data-driven tests: each file
 * under {@code traces/} is a sequence of blocks
 *
 * <pre>
 * # why this case matters
 * acquire 0 a o#1 exclusive lease=100 wait=0
 * ----
 * reply granted a o#1 token=1 lease=100 at=0
 * </pre>
 *
 * <p>Each block's commands run in order against one machine per file; their output must equal the lines
 * after {@code ----}. Commands: {@code acquire T LOCK OWNER MODE lease=N wait=N}, {@code renew T LOCK OWNER
 * lease=N}, {@code release T LOCK OWNER}, {@code abandon T LOCK OWNER}, {@code tick T}, {@code describe T LOCK}.
 * Modes: exclusive, fair, read, write, semaphore:PERMITS/CAPACITY. Limits can be set by a first line
 * {@code limits LOCKS WAITERS HOLDERS}.
 */
class LockStateMachineTraceTest {

    private static final List<String> TRACES = List.of("exclusive.txt", "fair-and-expiry.txt", "read-write.txt",
            "semaphore.txt", "limits-and-conflicts.txt");

    @TestFactory
    Stream<DynamicTest> traces() {
        return TRACES.stream().map(file -> DynamicTest.dynamicTest(file, () -> runTrace(file)));
    }

    private void runTrace(String file) throws IOException {
        String text;
        try (InputStream in = getClass().getResourceAsStream("traces/" + file)) {
            assertThat(in).as("trace " + file).isNotNull();
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        LockStateMachine machine = new LockStateMachine();
        List<String> commands = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        boolean inExpected = false;
        int lineNumber = 0;
        int blockLine = 1;
        for (String raw : (text + "\n\n").split("\n", -1)) {
            lineNumber++;
            String line = raw.strip();
            if (line.startsWith("#")) {
                continue;
            }
            if (line.startsWith("limits ")) {
                String[] f = line.split(" ");
                machine = new LockStateMachine(new LockLimits(Integer.parseInt(f[1]), Integer.parseInt(f[2]),
                        Integer.parseInt(f[3])), 0);
                continue;
            }
            if (line.isEmpty()) {
                if (!commands.isEmpty()) {
                    List<String> actual = new ArrayList<>();
                    for (String command : commands) {
                        actual.addAll(run(machine, command));
                    }
                    assertThat(actual).as("%s, block at line %d: %s", file, blockLine, commands)
                            .containsExactlyElementsOf(expected);
                }
                commands.clear();
                expected.clear();
                inExpected = false;
                blockLine = lineNumber + 1;
            } else if (line.equals("----")) {
                inExpected = true;
            } else if (inExpected) {
                expected.add(line);
            } else {
                commands.add(line);
            }
        }
    }

    private static List<String> run(LockStateMachine machine, String command) {
        String[] f = command.split(" ");
        long now = Long.parseLong(f[1]);
        Map<String, String> options = new HashMap<>();
        for (String field : f) {
            int eq = field.indexOf('=');
            if (eq > 0) {
                options.put(field.substring(0, eq), field.substring(eq + 1));
            }
        }
        List<String> out = new ArrayList<>();
        Ready ready;
        switch (f[0]) {
            case "acquire":
                ready = machine.apply(now, new AcquireRequest(LockName.of(f[2]), owner(f[3]), mode(f[4]),
                        Long.parseLong(options.get("lease")), Long.parseLong(options.get("wait"))));
                break;
            case "renew":
                ready = machine.apply(now, new RenewRequest(LockName.of(f[2]), owner(f[3]),
                        Long.parseLong(options.get("lease"))));
                break;
            case "release":
                ready = machine.apply(now, new ReleaseRequest(LockName.of(f[2]), owner(f[3])));
                break;
            case "abandon":
                ready = machine.apply(now, new AbandonRequest(LockName.of(f[2]), owner(f[3])));
                break;
            case "tick":
                ready = machine.tick(now);
                break;
            case "describe":
                LockInfo info = machine.describe(LockName.of(f[2]), now);
                StringBuilder holders = new StringBuilder();
                for (LockInfo.Holder holder : info.holders()) {
                    holders.append(holders.length() == 0 ? "" : ",").append(holder.owner()).append(':')
                            .append(holder.fencingToken()).append(':').append(holder.remainingLease().toNanos());
                }
                out.add("info " + info.kind().map(Enum::name).orElse("idle") + " holders=[" + holders + "] waiting="
                        + info.waiting());
                return out;
            default:
                throw new IllegalArgumentException("unknown trace command: " + command);
        }
        ready.reply().ifPresent(reply -> out.add("reply " + format(reply)));
        for (LockEvent event : ready.events()) {
            out.add("event " + format(event));
        }
        if (out.isEmpty()) {
            out.add("(nothing)");
        }
        return out;
    }

    private static OwnerId owner(String text) {
        int hash = text.indexOf('#');
        return new OwnerId(text.substring(0, hash), Long.parseLong(text.substring(hash + 1)));
    }

    private static LockMode mode(String text) {
        if (text.startsWith("semaphore:")) {
            String[] pc = text.substring("semaphore:".length()).split("/");
            return LockMode.semaphore(Integer.parseInt(pc[0]), Integer.parseInt(pc[1]));
        }
        switch (text) {
            case "exclusive":
                return LockMode.exclusive();
            case "fair":
                return LockMode.fair();
            case "read":
                return LockMode.read();
            case "write":
                return LockMode.write();
            default:
                throw new IllegalArgumentException("unknown mode " + text);
        }
    }

    /** One line per event; the trace files are written in this form. */
    static String format(LockEvent event) {
        String head = event.name() + " " + event.owner();
        if (event instanceof LockEvent.Granted e) {
            return "granted " + head + " token=" + e.fencingToken() + " lease=" + e.leaseNanos() + " at=" + e.grantedAtNanos();
        } else if (event instanceof LockEvent.Queued e) {
            return "queued " + head + " ahead=" + e.waitersAhead();
        } else if (event instanceof LockEvent.WaitElapsed) {
            return "wait-elapsed " + head;
        } else if (event instanceof LockEvent.Rejected e) {
            return "rejected " + head + " " + e.reason();
        } else if (event instanceof LockEvent.Renewed e) {
            return "renewed " + head + " lease=" + e.leaseNanos() + " at=" + e.renewedAtNanos();
        } else if (event instanceof LockEvent.Released e) {
            return "released " + head + " token=" + e.fencingToken();
        } else if (event instanceof LockEvent.NotHeld) {
            return "not-held " + head;
        } else if (event instanceof LockEvent.Expired e) {
            return "expired " + head + " token=" + e.fencingToken();
        } else if (event instanceof LockEvent.Abandoned e) {
            return "abandoned " + head + " holding=" + e.wasHolding() + " waiting=" + e.wasWaiting();
        }
        throw new AssertionError("unknown event " + event);
    }
}
