package io.bulwark.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@link LockBench} compiling and working: runs it in quick mode (a real redis-server, Bulwark and
 * Redisson, well under a minute; not a measurement, per BENCHMARKING.md rule 6) and checks that every
 * configuration produced a row with numbers for every implementation and that every goal was evaluated.
 */
class LockBenchSmokeTest {

    private static final String NUMBER = "-?\\d+(\\.\\d+)?";
    private static final Pattern ROW = Pattern.compile(
            "\\s*(1|8|64) \\| (own|one)\\s+\\| (Bulwark|Redisson RLock|Redisson RFencedLock)\\s+\\| +\\d+ \\| +" + NUMBER
                    + "x \\| +" + NUMBER + " \\| +" + NUMBER + " \\| +" + NUMBER + " \\| +" + NUMBER + " \\| +\\d+ \\| +" + NUMBER + " \\| +" + NUMBER + " \\| +"
                    + NUMBER + " \\| +\\d+ \\| +\\d+");

    @Test
    void quickRunPrintsEveryRowWithNumbers() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

        int status = LockBench.run(out, true);

        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(status).as(text).isEqualTo(LockBench.OK);
        List<String> rows = tableRows(text);
        // 2 contention settings x 3 client counts x 3 implementations, in that order.
        assertThat(rows).as(text).hasSize(2 * LockBench.CLIENTS.length * LockBench.Impl.values().length);
        int i = 0;
        for (String names : new String[] {"own", "one"}) {
            for (int clients : LockBench.CLIENTS) {
                for (LockBench.Impl impl : LockBench.Impl.values()) {
                    String row = rows.get(i++);
                    assertThat(row).as(text).matches(ROW);
                    assertThat(row).startsWith(String.format("%7d | %-9s | %-20s |", clients, names, impl.label));
                    assertThat(row).doesNotContain("NaN");
                    // Every implementation completed pairs and Redis executed commands for them.
                    String[] cells = row.split("\\|");
                    assertThat(Double.parseDouble(cells[3].trim())).as(row).isPositive();
                    assertThat(Double.parseDouble(cells[6].trim())).as(row).isPositive();
                }
            }
        }
        for (String goal : new String[] {"uncontended, 1 client: throughput", "uncontended, 8 clients: p99",
                "uncontended, 64 clients: throughput", "contended, 8 clients: throughput", "contended, 64 clients: p99"}) {
            assertThat(text).containsPattern(Pattern.quote(goal) + " +\\| [<>]= [\\d.]+x +\\| [\\d.]+x.*\\| (pass|MISSED)");
        }
        assertThat(text).containsPattern("goals: \\d+ passed, \\d+ missed");
        assertThat(text).doesNotContain("FAILED");
    }

    /** Data rows of the main table: after its title, column header and rule, up to a blank line. */
    private static List<String> tableRows(String text) {
        List<String> lines = text.lines().toList();
        int at = 0;
        while (at < lines.size() && !lines.get(at).startsWith(LockBench.TABLE_TITLE)) {
            at++;
        }
        assertThat(at).as("the table in%n%s", text).isLessThan(lines.size());
        List<String> rows = new ArrayList<>();
        // Title, note, column header, rule, then the rows.
        for (int i = at + 4; i < lines.size() && !lines.get(i).isBlank(); i++) {
            rows.add(lines.get(i));
        }
        return rows;
    }
}
