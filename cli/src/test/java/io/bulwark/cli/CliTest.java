package io.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real command line in-process and checks what a user would see. */
class CliTest {

    private record Result(int code, String out, String err) {
    }

    private static synchronized Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void helpListsEveryCommandWithOneLine() {
        Result r = run("--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("demo", "ring", "bench", "Commands:");
    }

    @Test
    void demoRunsEveryCheckAndPasses() {
        Result r = run("demo");
        assertThat(r.out()).contains("demo: 12 checks passed, 0 failed").doesNotContain("FAIL");
        assertThat(r.code()).isZero();
    }

    @Test
    void ringReportsBalanceAndMovementAsJson() {
        Result r = run("ring", "--nodes", "20", "--keys", "200000", "--add", "2", "--json");
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
        Result r = run("ring", "--nodes", "5", "--vnodes", "64", "--keys", "10000", "--remove", "1", "--zones", "2",
                "--svg", svg.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("moved between nodes that stayed: 0 (minimal movement holds)");
        String text = Files.readString(svg);
        assertThat(text).startsWith("<svg").contains("<path", "fill=\"#d62728\"").endsWith("</svg>\n");
    }

    @Test
    void alternativeAlgorithmsGetTheSameReportForAnHonestComparison() {
        Result maglev = run("ring", "--nodes", "30", "--keys", "100000", "--add", "1", "--algorithm", "maglev");
        assertThat(maglev.code()).isZero();
        assertThat(maglev.out()).contains("maglev: 30 nodes", "maglev does not promise minimal movement");
        Result rendezvous = run("ring", "--nodes", "30", "--keys", "100000", "--remove", "2", "--algorithm",
                "rendezvous", "--json");
        assertThat(rendezvous.code()).isZero();
        assertThat(rendezvous.out()).contains("\"algorithm\": \"rendezvous\"", "\"movedBetweenStayers\": 0");
        Result bad = run("ring", "--nodes", "3", "--algorithm", "ketama");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--algorithm must be ring, rendezvous, jump or maglev, was 'ketama'");
    }

    @Test
    void badInputIsRejectedWithAClearMessage() {
        Result r = run("ring", "--nodes", "0");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("--nodes must be between 1 and 10000, was 0");
        Result missing = run("ring");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option: '--nodes=N'");
        Result unknown = run("frobnicate");
        assertThat(unknown.code()).isEqualTo(2);
    }
}
