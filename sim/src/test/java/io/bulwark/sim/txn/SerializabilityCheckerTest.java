package io.bulwark.sim.txn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SerializabilityCheckerTest {

    private static final Map<String, String> INITIAL = Map.of("x", "0:init", "y", "0:init");

    private static SerializabilityChecker.Committed t(String name, Map<String, String> reads, Map<String, String> writes,
                                                      long invoked, long completed) {
        return new SerializabilityChecker.Committed(name, reads, writes, invoked, completed);
    }

    @Test
    void aSerialHistoryPasses() {
        var t1 = t("t1", Map.of("x", "0:init", "y", "0:init"), Map.of("x", "1:t1", "y", "1:t1"), 0, 10);
        var t2 = t("t2", Map.of("x", "1:t1"), Map.of("x", "2:t2"), 20, 30);
        var audit = t("a", Map.of("x", "2:t2", "y", "1:t1"), Map.of(), 40, 50);
        assertThat(SerializabilityChecker.check(List.of(t1, t2, audit), INITIAL)).isEmpty();
    }

    @Test
    void writeSkewIsACycle() {
        // Each reads both and writes one: both committed on the initial versions — no serial order explains it.
        var t1 = t("t1", Map.of("x", "0:init", "y", "0:init"), Map.of("x", "1:t1"), 0, 10);
        var t2 = t("t2", Map.of("x", "0:init", "y", "0:init"), Map.of("y", "1:t2"), 0, 10);
        assertThat(SerializabilityChecker.check(List.of(t1, t2), INITIAL)).anyMatch(v -> v.contains("cycle"));
    }

    @Test
    void aLostUpdateIsReported() {
        var t1 = t("t1", Map.of("x", "0:init"), Map.of("x", "1:t1"), 0, 10);
        var t2 = t("t2", Map.of("x", "0:init"), Map.of("x", "5:t2"), 0, 10);
        assertThat(SerializabilityChecker.check(List.of(t1, t2), INITIAL)).anyMatch(v -> v.contains("lost update"));
    }

    @Test
    void aStaleReadAfterAnAcknowledgedCommitBreaksRealTimeOrder() {
        var t1 = t("t1", Map.of("x", "0:init"), Map.of("x", "1:t1"), 0, 10);
        var late = t("late", Map.of("x", "0:init"), Map.of(), 20, 30);
        assertThat(SerializabilityChecker.check(List.of(t1, late), INITIAL)).anyMatch(v -> v.contains("cycle"));
        // The same read by a transaction that overlapped t1 is fine.
        var overlapping = t("overlapping", Map.of("x", "0:init"), Map.of(), 5, 30);
        assertThat(SerializabilityChecker.check(List.of(t1, overlapping), INITIAL)).isEmpty();
    }

    @Test
    void aDirtyReadOfAValueNoCommittedTransactionWroteIsReported() {
        var r = t("r", Map.of("x", "7:aborted"), Map.of(), 0, 10);
        assertThat(SerializabilityChecker.check(List.of(r), INITIAL)).anyMatch(v -> v.contains("dirty"));
    }
}
