package io.bulwark.paxos;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Protocol scenarios in the style of etcd/raft's data-driven tests: each file under
 * {@code src/test/resources/scenarios} is a sequence of blocks
 * <pre>
 * # why this step matters
 * command args...
 * ----
 * expected output
 * </pre>
 * run against a {@link TestGroup} in which messages move only when a {@code deliver} command says so, and
 * the i-th replica of a group times out after {@code 10 + 3i} ticks (the first listed campaigns first).
 * Run with {@code -Dscenario.rewrite=true} to write the actual outputs back into the files, then review
 * the diff: the expected output is a claim about the protocol that a reviewer signs off.
 *
 * <p>Commands: {@code group IDS... [lease]}, {@code tick ID [N]}, {@code tick-all [N]}, {@code campaign ID}
 * (ticks one replica until it asks for votes), {@code deliver [to=ID] [from=ID] [type=NAME]} (delivers what
 * is queued and matches, once; new messages stay queued), {@code settle} (deliver until quiet),
 * {@code drop [to=ID] [from=ID] [type=NAME]}, {@code run N} (N times: tick all, settle),
 * {@code isolate ID} (messages from or to it are lost), {@code heal}, {@code propose ID TEXT}, {@code read ID READID},
 * {@code crash ID}, {@code restart ID}, {@code status}, {@code log ID}, {@code compact ID} (snapshot and drop the
 * log), {@code wipe ID HEXINC} (restart on an empty disk with a new incarnation), {@code add-replica ID HEXINC},
 * {@code add-learner LEADER ID HEXINC}, {@code membership}.
 */
class ScenarioTest {

    private static final Path DIR = Path.of("src/test/resources/scenarios");

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DIR)) {
            files = s.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
        }
        assertThat(files).as("scenario files").isNotEmpty();
        return files.stream().map(f -> DynamicTest.dynamicTest(f.getFileName().toString(), () -> run(f)));
    }

    private record Block(List<String> comments, String command, List<String> expected) {
    }

    private static void run(Path file) throws IOException {
        List<Block> blocks = parse(Files.readAllLines(file, StandardCharsets.UTF_8), file);
        Scenario scenario = new Scenario();
        StringBuilder rewritten = new StringBuilder();
        List<String> failures = new ArrayList<>();
        for (Block b : blocks) {
            List<String> actual = scenario.execute(b.command());
            if (!actual.equals(b.expected())) {
                failures.add(file.getFileName() + ": '" + b.command() + "'\n--- expected\n"
                        + String.join("\n", b.expected()) + "\n--- actual\n" + String.join("\n", actual));
            }
            for (String c : b.comments()) {
                rewritten.append(c).append('\n');
            }
            rewritten.append(b.command()).append("\n----\n");
            for (String line : actual) {
                rewritten.append(line).append('\n');
            }
            rewritten.append('\n');
        }
        if (Boolean.getBoolean("scenario.rewrite")) {
            Files.writeString(file, rewritten.toString().stripTrailing() + "\n", StandardCharsets.UTF_8);
            return;
        }
        assertThat(failures).as("scenario %s", file.getFileName()).isEmpty();
    }

    private static List<Block> parse(List<String> lines, Path file) {
        List<Block> blocks = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            List<String> comments = new ArrayList<>();
            while (i < lines.size() && (lines.get(i).isBlank() || lines.get(i).startsWith("#"))) {
                if (lines.get(i).startsWith("#")) {
                    comments.add(lines.get(i));
                }
                i++;
            }
            if (i >= lines.size()) {
                break;
            }
            String command = lines.get(i++);
            if (i >= lines.size() || !lines.get(i).equals("----")) {
                throw new IllegalArgumentException(file + ": command '" + command + "' must be followed by ----");
            }
            i++;
            List<String> expected = new ArrayList<>();
            while (i < lines.size() && !lines.get(i).isBlank()) {
                expected.add(lines.get(i++));
            }
            blocks.add(new Block(comments, command, expected));
        }
        return blocks;
    }

    /** Interprets commands against one group. */
    private static final class Scenario {
        private TestGroup group;
        private final TreeMap<Integer, Long> seq = new TreeMap<>();

        List<String> execute(String line) {
            String[] words = line.trim().split("\\s+");
            List<String> out = new ArrayList<>();
            int traceStart = group == null ? 0 : group.trace.size();
            switch (words[0]) {
                case "group" -> {
                    boolean lease = false;
                    List<Integer> ids = new ArrayList<>();
                    for (int i = 1; i < words.length; i++) {
                        if (words[i].equals("lease")) {
                            lease = true;
                        } else {
                            ids.add(Integer.parseInt(words[i]));
                        }
                    }
                    group = new TestGroup(ReplicaOptions.defaults().withLeaseReads(lease), true,
                            ids.stream().mapToInt(Integer::intValue).toArray());
                    traceStart = 0;
                    out.add("ok");
                }
                case "tick" -> group.tick(Integer.parseInt(words[1]), words.length > 2 ? Integer.parseInt(words[2]) : 1);
                case "run" -> group.run(Integer.parseInt(words[1]));
                case "isolate" -> group.isolated.add(Integer.parseInt(words[1]));
                case "heal" -> group.isolated.clear();
                case "tick-all" -> group.tickAll(words.length > 1 ? Integer.parseInt(words[1]) : 1);
                case "campaign" -> {
                    int id = Integer.parseInt(words[1]);
                    for (int i = 0; i < 1000 && group.get(id).role() == Role.FOLLOWER; i++) {
                        group.tick(id, 1);
                    }
                    out.add(id + " is " + group.get(id).role());
                }
                case "deliver", "settle", "drop" -> {
                    Filter f = Filter.parse(words);
                    if (words[0].equals("drop")) {
                        int before = group.inFlight.size();
                        group.inFlight.removeIf(f::matches);
                        out.add("dropped " + (before - group.inFlight.size()));
                    } else if (words[0].equals("settle")) {
                        group.deliverAll(f::matches);
                    } else {
                        int n = group.inFlight.size();
                        List<Message> batch = new ArrayList<>();
                        for (int i = 0; i < n; i++) {
                            batch.add(group.inFlight.poll());
                        }
                        for (Message m : batch) {
                            if (group.isolated.contains(m.to()) || group.isolated.contains(m.from())) {
                                continue;
                            }
                            if (f.matches(m) && !group.down.contains(m.to())) {
                                group.trace.add(m);
                                group.deliver(m);
                            } else {
                                group.inFlight.add(m);
                            }
                        }
                    }
                }
                case "propose" -> {
                    int id = Integer.parseInt(words[1]);
                    long s = seq.merge(id, 1L, Long::sum);
                    out.add(group.get(id).propose(TestGroup.command(id, s, words[2])).toString());
                    group.drain(id);
                }
                case "read" -> {
                    int id = Integer.parseInt(words[1]);
                    group.get(id).read(Long.parseLong(words[2]));
                    group.drain(id);
                }
                case "crash" -> group.crash(Integer.parseInt(words[1]));
                case "compact" -> group.compact(Integer.parseInt(words[1]));
                case "wipe" -> group.wipe(Integer.parseInt(words[1]), Long.parseLong(words[2], 16));
                case "add-replica" -> group.addReplica(Integer.parseInt(words[1]), Long.parseLong(words[2], 16));
                case "add-learner" -> {
                    Replica leader = group.get(Integer.parseInt(words[1]));
                    Membership next = leader.membership().withLearner(Integer.parseInt(words[2]),
                            Long.parseLong(words[3], 16));
                    out.add(leader.proposeMembership(next).toString());
                    group.drain(leader.id());
                }
                case "membership" -> {
                    for (Replica r : group.replicas.values()) {
                        out.add(r.id() + ": " + r.membership() + (r.isVoter() ? "" : " (not a voter here)"));
                    }
                }
                case "restart" -> group.start(Integer.parseInt(words[1]));
                case "status" -> {
                    for (Replica r : group.replicas.values()) {
                        out.add(r.id() + ": " + (group.down.contains(r.id()) ? "down" : r.role()
                                + " promised=" + r.promised() + " chosen=" + r.chosenIndex() + " leader="
                                + r.leaderHint()));
                    }
                }
                case "log" -> {
                    Replica r = group.get(Integer.parseInt(words[1]));
                    for (long s = r.snapshotIndex() + 1; r.entry(s) != null; s++) {
                        out.add(r.entry(s).toString());
                    }
                }
                default -> throw new IllegalArgumentException("unknown scenario command: " + line);
            }
            if (!words[0].equals("group")) {
                List<String> lines = new ArrayList<>();
                for (Message m : group.trace.subList(traceStart, group.trace.size())) {
                    lines.add(format(m));
                }
                // Delivered messages first, in order; then decisions and reads; then the command's own answer.
                lines.addAll(newlyCommittedAndRead());
                lines.addAll(out);
                out = lines;
            }
            if (out.isEmpty()) {
                out.add("ok");
            }
            return out;
        }

        private static String format(Message m) {
            String head = m.from() + "->" + m.to() + " ";
            if (m instanceof Message.PreVote v) {
                return head + "PreVote " + v.ballot() + " chosen=" + v.chosenIndex();
            } else if (m instanceof Message.PreVoteReply v) {
                return head + "PreVoteReply " + v.ballot() + (v.granted() ? " granted" : " refused");
            } else if (m instanceof Message.Prepare v) {
                return head + "Prepare " + v.ballot() + " chosen=" + v.chosenIndex();
            } else if (m instanceof Message.Promise v) {
                return head + "Promise " + v.ballot() + " chosen=" + v.chosenIndex() + " " + v.entries();
            } else if (m instanceof Message.Reject v) {
                return head + "Reject " + v.rejected() + " promised=" + v.promised() + " chosen=" + v.chosenIndex();
            } else if (m instanceof Message.Accept v) {
                return head + "Accept " + v.ballot() + " chosen=" + v.chosenIndex() + " " + v.entries();
            } else if (m instanceof Message.Accepted v) {
                return head + "Accepted " + v.ballot() + " slots=" + v.firstSlot() + ".." + v.lastSlot()
                        + " chosen=" + v.chosenIndex();
            } else if (m instanceof Message.Heartbeat v) {
                return head + "Heartbeat " + v.ballot() + " chosen=" + v.chosenIndex() + " round=" + v.round();
            } else if (m instanceof Message.HeartbeatReply v) {
                return head + "HeartbeatReply " + v.ballot() + " chosen=" + v.chosenIndex() + " round=" + v.round();
            } else if (m instanceof Message.Learn v) {
                return head + "Learn " + v.ballot() + " " + v.entries();
            } else if (m instanceof Message.InstallSnapshot v) {
                return head + "InstallSnapshot " + v.ballot() + " index=" + v.index() + " offset=" + v.offset()
                        + " bytes=" + v.chunk().length;
            } else if (m instanceof Message.SnapshotReply v) {
                return head + "SnapshotReply " + v.ballot() + " index=" + v.index() + " received=" + v.receivedBytes()
                        + " chosen=" + v.chosenIndex();
            }
            return head + m;
        }

        private final TreeMap<Integer, Integer> committedSeen = new TreeMap<>();
        private final TreeMap<Integer, Integer> readsSeen = new TreeMap<>();

        private List<String> newlyCommittedAndRead() {
            List<String> lines = new ArrayList<>();
            for (int id : group.replicas.keySet()) {
                List<Entry> c = group.committed.get(id);
                int from = committedSeen.getOrDefault(id, 0);
                if (from > c.size()) {
                    from = 0; // the replica restarted and replays from its disk
                }
                if (c.size() > from) {
                    lines.add(id + " committed " + c.subList(from, c.size()).stream().map(Entry::toString)
                            .collect(Collectors.joining(" ")));
                    committedSeen.put(id, c.size());
                }
                List<ReadState> r = group.reads.get(id);
                int rf = readsSeen.getOrDefault(id, 0);
                if (rf > r.size()) {
                    rf = 0;
                }
                for (ReadState rs : r.subList(rf, r.size())) {
                    lines.add(id + " read " + rs.readId() + (rs.ok() ? " ready at " + rs.index() : " refused"));
                }
                readsSeen.put(id, r.size());
            }
            return lines;
        }
    }

    private record Filter(Integer to, Integer from, String type) {
        static Filter parse(String[] words) {
            Integer to = null;
            Integer from = null;
            String type = null;
            for (int i = 1; i < words.length; i++) {
                String[] kv = words[i].split("=", 2);
                switch (kv[0]) {
                    case "to" -> to = Integer.parseInt(kv[1]);
                    case "from" -> from = Integer.parseInt(kv[1]);
                    case "type" -> type = kv[1];
                    default -> throw new IllegalArgumentException("unknown filter " + words[i]);
                }
            }
            return new Filter(to, from, type);
        }

        boolean matches(Message m) {
            return (to == null || m.to() == to) && (from == null || m.from() == from)
                    && (type == null || m.getClass().getSimpleName().equals(type));
        }
    }
}
