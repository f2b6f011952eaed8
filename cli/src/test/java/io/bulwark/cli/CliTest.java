package io.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.sim.Fault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real command line in-process and checks what a user would see. */
class CliTest {

    private static CliRunner.Result run(String... args) {
        return CliRunner.run(args);
    }

    @Test
    void helpListsEveryCommandWithOneLine() {
        CliRunner.Result r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("demo", "ring", "bench", "torture", "Commands:");
    }

    @Test
    void demoRunsEveryCheckAndPasses() {
        CliRunner.Result r = run("demo");
        assertThat(r.out()).contains("demo: 15 checks passed, 0 failed").doesNotContain("FAIL");
        assertThat(r.out()).contains("13. Consensus", "no violations", "broken replica 1", "caught at seed");
        assertThat(r.out()).contains("14. The cluster", "writes resumed: yes", "caught up with the leaders",
                "exactly the planned moves: yes", "lost: 0, violations: 0", "is refused and stores nothing: yes");
        assertThat(r.out()).contains("15. Transactions", "is caught by the checkers: yes", "transfers resumed: yes",
                "serializable, total 16000 conserved");
        assertThat(r.code()).isZero();
    }

    @Test
    void ringReportsBalanceAndMovementAsJson() {
        CliRunner.Result r = run("ring", "--nodes", "20", "--keys", "200000", "--add", "2", "--json");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("\"peakToMean\": 1.0", "\"stddev\": 0.0", "\"movedBetweenStayers\": 0")
                .contains("\"moved\": ", "\"idealMoved\": ");
        // moved / ideal within 10% for 2 of 22 nodes with 200k keys
        String ratio = r.out().replaceAll("(?s).*\"movedToIdeal\": ([0-9.]+).*", "$1");
        assertThat(Double.parseDouble(ratio)).isBetween(0.9, 1.1);
    }

    @Test
    void ringDrawsAnSvg(@TempDir Path dir) throws Exception {
        Path svg = dir.resolve("ring.svg");
        CliRunner.Result r = run("ring", "--nodes", "5", "--vnodes", "64", "--keys", "10000", "--remove", "1", "--zones", "2",
                "--svg", svg.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("moved between nodes that stayed: 0 (minimal movement holds)");
        String text = Files.readString(svg);
        assertThat(text).startsWith("<svg").contains("<path", "fill=\"#d62728\"").endsWith("</svg>\n");
    }

    @Test
    void alternativeAlgorithmsGetTheSameReportForAnHonestComparison() {
        CliRunner.Result maglev = run("ring", "--nodes", "30", "--keys", "100000", "--add", "1", "--algorithm", "maglev");
        assertThat(maglev.code()).isZero();
        assertThat(maglev.out()).contains("maglev: 30 nodes", "maglev does not promise minimal movement");
        CliRunner.Result rendezvous = run("ring", "--nodes", "30", "--keys", "100000", "--remove", "2", "--algorithm",
                "rendezvous", "--json");
        assertThat(rendezvous.code()).isZero();
        assertThat(rendezvous.out()).contains("\"algorithm\": \"rendezvous\"", "\"movedBetweenStayers\": 0");
        CliRunner.Result bad = run("ring", "--nodes", "3", "--algorithm", "ketama");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--algorithm must be ring, rendezvous, jump or maglev, was 'ketama'");
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        CliRunner.Result r = run("ring", "--nodes", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--nodes must be between 1 and 10000, was 0");
        CliRunner.Result missing = run("ring");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option: '--nodes=N'");
        CliRunner.Result unknown = run("frobnicate");
        assertThat(unknown.code()).isEqualTo(2);
    }

    @Test
    void tortureSumsSeedsAsJsonOnStdoutOnly() {
        CliRunner.Result r = run("torture", "--seeds", "3", "--json");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out().strip()).startsWith("{").endsWith("}");
        assertThat(r.out()).contains("\"seeds\": 3,", "\"firstSeed\": 1,", "\"violations\": 0,",
                "\"failingSeeds\": [],", "\"operations\": ", "\"slotsChosen\": ", "\"elapsedMs\": ",
                "\"coverage\": {\"", "\"leader elected\": ", "\"failures\": []");
        assertThat(number(r.out(), "operations")).isGreaterThan(100);
        assertThat(number(r.out(), "slotsChosen")).isGreaterThan(0);
    }

    @Test
    void tortureTextSummaryHasTotalsAndCoverage() {
        CliRunner.Result r = run("torture", "--seeds", "2", "--first-seed", "40", "--replicas", "5", "--faults",
                "crash,partition,loss");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("torture: 2 seeds (40 .. 41); 5 replicas", "faults crash,partition,loss",
                "seeds run        2", "operations ", "slots chosen ", "violations       0", "failing seeds    none",
                "elapsed ", "coverage: how often each rare path ran, summed over 2 seeds", "leader elected",
                "torture: PASS, no violation in 2 seeds");
    }

    @Test
    void theReplayCommandAFailingRunPrintsWorks() {
        CliRunner.Result r = run("torture", "--seed", "5", "--trace");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("seed 5 passed: ", "faults (", "faults stop", "checks: agreement on",
                "coverage: how often each rare path ran", "torture: PASS");
    }

    @Test
    void aBrokenReplicaFailsTheRunAndItsReplayCommandReproducesIt() {
        CliRunner.Result r = run("torture", "--seeds", "30", "--lying-acceptor", "--fault-ms", "2000", "--quiet-ms", "1000",
                "--max-failures", "1");
        assertThat(r.code()).as(r.out()).isEqualTo(1);
        Matcher replay = Pattern.compile("replay: \\./bulwark torture (--seed \\d+ --trace .*)").matcher(r.out());
        assertThat(replay.find()).as(r.out()).isTrue();
        assertThat(replay.group(1)).endsWith("--fault-ms 2000 --quiet-ms 1000 --lying-acceptor");
        assertThat(r.out()).contains("violation: ", "stopped after 1 failing (--max-failures)", "torture: FAIL");
        String firstViolation = r.out().lines().filter(l -> l.startsWith("violation: ")).findFirst().orElseThrow();

        CliRunner.Result again = run(("torture " + replay.group(1)).split(" "));
        assertThat(again.code()).isEqualTo(1);
        assertThat(again.out()).contains(firstViolation, "last events:", "torture: FAIL");
    }

    @Test
    void tortureRejectsBadInputWithAClearMessage() {
        assertRejected(new String[] {"torture", "--seeds", "0"}, "--seeds must be between 1 and 10000000, was 0");
        assertRejected(new String[] {"torture", "--seeds", "3", "--replicas", "12"},
                "--replicas must be between 1 and 9, was 12");
        assertRejected(new String[] {"torture", "--seeds", "3", "--faults", "crash,meteor"},
                "--faults: unknown fault 'meteor'; known: all, none, crash, partition");
        assertRejected(new String[] {"torture", "--seeds", "3", "--trace"}, "--trace replays one seed");
        assertRejected(new String[] {"torture", "--seed", "1", "--seeds", "3"}, "--seed runs one seed");
        assertRejected(new String[] {"torture", "--seeds", "3", "--quiet-ms", "10"},
                "--quiet-ms must be between 100 and 600000, was 10");
        assertRejected(new String[] {"torture", "--seeds", "three"}, "Invalid value for option '--seeds'");
    }

    @Test
    void tortureHelpNamesEveryFault() {
        CliRunner.Result r = run("torture", "--help");
        assertThat(r.code()).isZero();
        for (Fault f : Fault.values()) {
            assertThat(r.out()).as("torture --help must list fault %s", f)
                    .contains(f.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        }
    }

    private static void assertRejected(String[] args, String message) {
        CliRunner.Result r = run(args);
        assertThat(r.code()).as(String.join(" ", args)).isEqualTo(2);
        assertThat(r.err()).contains(message);
    }

    private static long number(String json, String field) {
        Matcher m = Pattern.compile("\"" + field + "\": (\\d+)").matcher(json);
        assertThat(m.find()).as(field + " in " + json).isTrue();
        return Long.parseLong(m.group(1));
    }
}
