package io.bulwark.sim.check;

import static io.bulwark.sim.check.KvOperation.cas;
import static io.bulwark.sim.check.KvOperation.get;
import static io.bulwark.sim.check.KvOperation.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The recorder's contract: ids, outcomes, and rejecting events no execution could produce. */
class HistoryTest {

    @Test
    void eachOutcomeIsRecordedUnderTheIdInvokeReturned() {
        History h = new History();
        int completed = h.invoke(1, put("k", "a"), 10);
        int lost = h.invoke(2, put("k", "b"), 11);
        int failed = h.invoke(3, get("k"), 12);
        h.complete(completed, KvResult.ok(), 15);
        h.indeterminate(lost);
        h.fail(failed);

        assertThat(h.size()).isEqualTo(3);
        assertThat(h.entries()).containsExactly(
                HistoryEntry.completed(0, 1, put("k", "a"), 10, 15, KvResult.ok()),
                HistoryEntry.indeterminate(1, 2, put("k", "b"), 11),
                HistoryEntry.failed(2, 3, get("k"), 12));
        assertThat(h.entries().get(1).completeTime()).isEqualTo(HistoryEntry.NEVER);
    }

    @Test
    void aCallStillOpenIsReportedAsIndeterminate() {
        History h = new History();
        int id = h.invoke(1, put("k", "a"), 10);

        assertThat(h.entries().get(id).outcome()).isEqualTo(HistoryEntry.Outcome.INDETERMINATE);

        h.complete(id, KvResult.ok(), 12);
        assertThat(h.entries().get(id).isCompleted()).isTrue();
    }

    @Test
    void entriesIsASnapshot() {
        History h = new History();
        h.invoke(1, get("k"), 0);
        var before = h.entries();
        h.invoke(1, get("k"), 1);

        assertThat(before).hasSize(1);
        assertThatThrownBy(() -> before.add(before.get(0))).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void anUnknownIdIsRejected() {
        History h = new History();
        h.invoke(1, get("k"), 0);

        assertThatThrownBy(() -> h.complete(7, KvResult.value(null), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("complete(7): no call has that id; ids are 0..0, as returned by invoke");
        assertThatThrownBy(() -> h.fail(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCallEndsExactlyOnce() {
        History h = new History();
        int id = h.invoke(1, get("k"), 0);
        h.complete(id, KvResult.value("a"), 3);

        assertThatThrownBy(() -> h.indeterminate(id))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("was already recorded; each call ends exactly once");
        assertThatThrownBy(() -> h.fail(id)).isInstanceOf(IllegalStateException.class);
        assertThat(h.entries().get(id).isCompleted()).isTrue();
    }

    @Test
    void aResultOfTheWrongKindIsRejectedAndNothingChanges() {
        History h = new History();
        int id = h.invoke(1, get("k"), 0);

        assertThatThrownBy(() -> h.complete(id, KvResult.ok(), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("get(\"k\") cannot complete with KvResult.Ok (ok): a get completes with Value");
        assertThatThrownBy(() -> h.complete(id, KvResult.cas(true), 1)).isInstanceOf(IllegalArgumentException.class);

        h.complete(id, KvResult.value("a"), 1);
        assertThat(h.entries().get(id).isCompleted()).isTrue();
    }

    @Test
    void aCompletionBeforeTheInvocationIsRejected() {
        History h = new History();
        int id = h.invoke(1, cas("k", null, "a"), 10);

        assertThatThrownBy(() -> h.complete(id, KvResult.cas(true), 9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("completes at 9, before it was invoked at 10");
    }

    @Test
    void theTimeReservedForNeverIsRejected() {
        History h = new History();
        assertThatThrownBy(() -> h.invoke(1, get("k"), HistoryEntry.NEVER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reserved for 'never'");
        assertThat(h.size()).isZero();

        int id = h.invoke(1, get("k"), 0);
        assertThatThrownBy(() -> h.complete(id, KvResult.value(null), HistoryEntry.NEVER))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void nullKeysAndWrittenValuesAreRejected() {
        assertThatThrownBy(() -> get(null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("key must not be null");
        assertThatThrownBy(() -> put("k", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("use KvOperation.delete");
        assertThatThrownBy(() -> cas("k", "a", null)).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("only the expected value may be null");
        assertThat(cas("k", null, "a").expected()).isNull();
    }

    @Test
    void anEntryThatIsNotCompletedHasNoCompletionTime() {
        assertThatThrownBy(() -> new HistoryEntry(0, 1, get("k"), 0, 5, HistoryEntry.Outcome.INDETERMINATE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("only completed calls have one");
    }

    @Test
    void entriesReadAsTheyAreExplained() {
        assertThat(HistoryEntry.completed(4, 2, cas("k", null, "a\"b"), 1, 2, KvResult.cas(false)))
                .hasToString("#4 client 2: cas(\"k\", absent -> \"a\\\"b\") -> false [1, 2]");
        assertThat(HistoryEntry.indeterminate(5, 3, put("k", "v"), 7))
                .hasToString("#5 client 3: put(\"k\", \"v\") -> ? (indeterminate) [7, never]");
    }
}
