package io.bulwark.sim.check;

import static io.bulwark.sim.check.KvOperation.cas;
import static io.bulwark.sim.check.KvOperation.delete;
import static io.bulwark.sim.check.KvOperation.get;
import static io.bulwark.sim.check.KvOperation.put;
import static io.bulwark.sim.check.KvResult.ok;
import static io.bulwark.sim.check.KvResult.value;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Hand-made histories with a known answer. Each test says in its name what the history shows; the linearizable
 * ones follow Herlihy and Wing's definition (one order, each operation inside its interval, real time kept),
 * the others are the classic anomalies a replicated store must never show.
 */
class LinearizabilityCheckerTest {

    private final LinearizabilityChecker checker = LinearizabilityChecker.create();

    /** Records a call that completed with {@code result}; returns its id. */
    private static int done(History h, int client, KvOperation op, long invokeTime, long completeTime,
            KvResult result) {
        int id = h.invoke(client, op, invokeTime);
        h.complete(id, result, completeTime);
        return id;
    }

    private static int lost(History h, int client, KvOperation op, long invokeTime) {
        int id = h.invoke(client, op, invokeTime);
        h.indeterminate(id);
        return id;
    }

    private static KvResult won(boolean succeeded) {
        return KvResult.cas(succeeded);
    }

    @Nested
    class Linearizable {

        @Test
        void anEmptyHistory() {
            LinearizabilityResult result = checker.check(new History());

            assertThat(result.verdict()).isEqualTo(Verdict.LINEARIZABLE);
            assertThat(result.operationsChecked()).isZero();
            assertThat(result.keyVerdicts()).isEmpty();
        }

        @Test
        void aSequentialHistoryOfEveryOperation() {
            History h = new History();
            done(h, 1, get("k"), 0, 1, value(null));
            done(h, 1, put("k", "a"), 2, 3, ok());
            done(h, 2, get("k"), 4, 5, value("a"));
            done(h, 2, cas("k", "a", "b"), 6, 7, won(true));
            done(h, 1, cas("k", "a", "c"), 8, 9, won(false));
            done(h, 1, cas("k", null, "c"), 10, 11, won(false));
            done(h, 2, get("k"), 12, 13, value("b"));
            done(h, 2, delete("k"), 14, 15, ok());
            done(h, 1, cas("k", null, "d"), 16, 17, won(true));
            done(h, 1, get("k"), 18, 19, value("d"));

            LinearizabilityResult result = checker.check(h);

            assertThat(result.linearizable()).as(result.explanation()).isTrue();
            assertThat(result.operationsChecked()).isEqualTo(10);
            assertThat(result.keyVerdicts().get("k")).isInstanceOf(KeyVerdict.Linearizable.class);
        }

        @Test
        void aReadOverlappingAPutMaySeeTheOldValue() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            done(h, 1, put("k", "b"), 2, 10, ok());
            done(h, 2, get("k"), 3, 4, value("a"));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void aReadOverlappingAPutMaySeeTheNewValue() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            done(h, 1, put("k", "b"), 2, 10, ok());
            done(h, 2, get("k"), 3, 4, value("b"));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void concurrentReadsMayDisagreeWhileAPutIsInFlight() {
            History h = new History();
            done(h, 1, put("k", "b"), 0, 10, ok());
            done(h, 2, get("k"), 1, 8, value("b"));
            done(h, 3, get("k"), 2, 9, value(null));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void aCasRaceWithExactlyOneWinner() {
            History h = new History();
            done(h, 1, cas("k", null, "a"), 0, 10, won(false));
            done(h, 2, cas("k", null, "b"), 1, 9, won(true));
            done(h, 3, cas("k", null, "c"), 2, 8, won(false));
            done(h, 1, get("k"), 11, 12, value("b"));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void anIndeterminatePutWhoseValueIsReadLater() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            lost(h, 2, put("k", "b"), 2);
            done(h, 3, get("k"), 50, 51, value("b"));

            LinearizabilityResult result = checker.check(h);

            assertThat(result.linearizable()).as(result.explanation()).isTrue();
            assertThat(result.operationsChecked()).isEqualTo(3);
        }

        @Test
        void anIndeterminatePutThatTookEffectLongAfterItsClientGaveUp() {
            History h = new History();
            lost(h, 1, put("k", "a"), 0);
            done(h, 2, get("k"), 10, 11, value(null));
            done(h, 2, get("k"), 20, 21, value("a"));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void anIndeterminatePutNeverObserved() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            lost(h, 2, put("k", "b"), 2);
            done(h, 3, get("k"), 50, 51, value("a"));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void anIndeterminateDeleteThatEitherHappenedOrNot() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            lost(h, 2, delete("k"), 2);
            done(h, 3, get("k"), 10, 11, value("a"));
            done(h, 3, get("k"), 12, 13, value(null));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void anIndeterminateCasWhoseWriteIsRead() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            lost(h, 2, cas("k", "a", "b"), 2);
            done(h, 3, get("k"), 10, 11, value("b"));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void aCallStillOpenWhenTheHistoryEndsCountsAsIndeterminate() {
            History h = new History();
            h.invoke(1, put("k", "a"), 0);
            done(h, 2, get("k"), 5, 6, value("a"));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void anIndeterminateReadImposesNothingAndIsNotCounted() {
            History h = new History();
            lost(h, 1, get("k"), 0);
            done(h, 2, get("k"), 5, 6, value(null));

            LinearizabilityResult result = checker.check(h);

            assertThat(result.linearizable()).isTrue();
            assertThat(result.operationsChecked()).isEqualTo(1);
        }

        @Test
        void aFailedOperationIsIgnored() {
            History h = new History();
            int failed = h.invoke(1, put("k", "a"), 0);
            h.fail(failed);
            done(h, 2, get("k"), 5, 6, value(null));

            LinearizabilityResult result = checker.check(h);

            assertThat(result.linearizable()).isTrue();
            assertThat(result.operationsChecked()).isEqualTo(1);
        }

        @Test
        void intervalsThatTouchCountAsConcurrent() {
            // The put completes at the instant the get is invoked: a virtual clock cannot order the two.
            History h = new History();
            done(h, 1, put("k", "a"), 0, 5, ok());
            done(h, 2, get("k"), 5, 6, value(null));

            assertThat(checker.check(h).linearizable()).isTrue();
        }

        @Test
        void keysAreIndependent() {
            History h = new History();
            done(h, 1, put("x", "1"), 0, 1, ok());
            done(h, 1, put("y", "2"), 2, 3, ok());
            done(h, 2, get("x"), 4, 5, value("1"));
            done(h, 2, get("y"), 4, 5, value("2"));

            LinearizabilityResult result = checker.check(h);

            assertThat(result.linearizable()).isTrue();
            assertThat(result.keyVerdicts()).containsOnlyKeys("x", "y");
            assertThat(result.keyVerdicts().get("x").operationsChecked()).isEqualTo(2);
        }
    }

    @Nested
    class NotLinearizable {

        @Test
        void aStaleReadAfterACompletedPut() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            int read = done(h, 2, get("k"), 2, 3, value(null));

            KeyVerdict.Violation violation = violation(checker.check(h), "k");

            assertThat(violation.unexplained().id()).isEqualTo(read);
        }

        @Test
        void aReadOfAValueNeverWritten() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 10, ok());
            int read = done(h, 2, get("k"), 1, 9, value("z"));

            assertThat(violation(checker.check(h), "k").unexplained().id()).isEqualTo(read);
        }

        @Test
        void twoCasBothSucceedingFromTheSameExpectedValue() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            done(h, 2, cas("k", "a", "b"), 2, 10, won(true));
            int second = done(h, 3, cas("k", "a", "c"), 3, 11, won(true));

            KeyVerdict.Violation violation = violation(checker.check(h), "k");

            assertThat(violation.unexplained().id()).isEqualTo(second);
            assertThat(violation.window()).extracting(HistoryEntry::id).containsExactly(0, 1, 2);
        }

        @Test
        void aReadThatGoesBackInTime() {
            // r1 sees the new value; r2, invoked after r1 completed, sees the old one. Either alone is fine.
            History h = new History();
            done(h, 1, put("k", "old"), 0, 1, ok());
            done(h, 1, put("k", "new"), 2, 20, ok());
            done(h, 2, get("k"), 3, 4, value("new"));
            int r2 = done(h, 3, get("k"), 5, 6, value("old"));

            KeyVerdict.Violation violation = violation(checker.check(h), "k");

            assertThat(violation.unexplained().id()).isEqualTo(r2);
            assertThat(violation.window()).extracting(HistoryEntry::id).containsExactly(0, 1, 2, 3);
        }

        @Test
        void aLostAcknowledgedWrite() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            done(h, 2, put("k", "b"), 2, 3, ok());
            int read = done(h, 3, get("k"), 10, 11, value("a"));

            KeyVerdict.Violation violation = violation(checker.check(h), "k");

            assertThat(violation.unexplained().id()).isEqualTo(read);
            // put "a" was certainly overwritten by put "b" before the read, so it cannot be the explanation.
            assertThat(violation.window()).extracting(HistoryEntry::id).containsExactly(1, 2);
            assertThat(violation.explanation())
                    .contains("key \"k\" is not linearizable")
                    .contains("#2 client 3: get(\"k\") -> \"a\" [10, 11]   <-- cannot be explained")
                    .contains("#1 client 2: put(\"k\", \"b\") -> ok [2, 3]");
        }

        @Test
        void aDeletedValueReadAgain() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            done(h, 1, delete("k"), 2, 3, ok());
            done(h, 2, get("k"), 4, 5, value("a"));

            violation(checker.check(h), "k");
        }

        @Test
        void anIndeterminatePutSeenBeforeItWasInvoked() {
            History h = new History();
            done(h, 1, get("k"), 0, 1, value("a"));
            lost(h, 2, put("k", "a"), 5);

            violation(checker.check(h), "k");
        }

        @Test
        void theValueOfAFailedPutIsRead() {
            History h = new History();
            int failed = h.invoke(1, put("k", "a"), 0);
            h.fail(failed);
            done(h, 2, get("k"), 5, 6, value("a"));

            violation(checker.check(h), "k");
        }

        @Test
        void aFailedCasThatShouldHaveWon() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            done(h, 2, cas("k", "a", "b"), 2, 3, won(false));

            violation(checker.check(h), "k");
        }

        @Test
        void theFirstImpossibleResultIsTheOneReported() {
            History h = new History();
            done(h, 1, put("k", "a"), 0, 1, ok());
            int first = done(h, 2, get("k"), 2, 3, value("x"));
            done(h, 2, get("k"), 4, 5, value("y"));
            done(h, 1, put("k", "b"), 6, 7, ok());
            done(h, 2, get("k"), 8, 9, value("z"));

            KeyVerdict.Violation violation = violation(checker.check(h), "k");

            assertThat(violation.unexplained().id()).isEqualTo(first);
            assertThat(violation.explanation()).contains("together with the 1 result on this key");
        }

        @Test
        void oneBadKeyMakesTheHistoryAViolationAndTheOthersStayLinearizable() {
            History h = new History();
            done(h, 1, put("a", "1"), 0, 1, ok());
            done(h, 1, put("b", "1"), 0, 1, ok());
            done(h, 1, put("c", "1"), 0, 1, ok());
            done(h, 2, get("a"), 2, 3, value("1"));
            done(h, 2, get("b"), 2, 3, value(null));
            done(h, 2, get("c"), 2, 3, value("1"));

            LinearizabilityResult result = checker.check(h);

            assertThat(result.verdict()).isEqualTo(Verdict.VIOLATION);
            assertThat(result.violationKey()).contains("b");
            assertThat(result.keyVerdicts()).extractingFromEntries(e -> e.getValue().verdict())
                    .containsExactly(Verdict.LINEARIZABLE, Verdict.VIOLATION, Verdict.LINEARIZABLE);
            assertThat(result.explanation()).startsWith("VIOLATION: 6 operations on 3 keys checked; 1 key violates");
        }

        private KeyVerdict.Violation violation(LinearizabilityResult result, String key) {
            assertThat(result.verdict()).as(result.explanation()).isEqualTo(Verdict.VIOLATION);
            assertThat(result.linearizable()).isFalse();
            assertThat(result.violationKey()).contains(key);
            KeyVerdict.Violation violation = result.firstViolation().orElseThrow();
            assertThat(violation.window()).contains(violation.unexplained());
            return violation;
        }
    }

    @Nested
    class Budget {

        /**
         * Ten concurrent puts, reads pinning each value in turn, then a read of a value none wrote: refuting it
         * means trying every order of the puts the reads allow (about 400,000 configurations).
         */
        private History manyConcurrentPutsThenAnImpossibleRead() {
            History h = new History();
            for (int c = 0; c < 10; c++) {
                done(h, c, put("k", "v" + c), c, 100 + c, ok());
                done(h, 20 + c, get("k"), 50 + c, 60 + c, value("v" + c));
            }
            done(h, 99, get("k"), 200, 201, value("nobody wrote this"));
            return h;
        }

        @Test
        void aKeyThatExceedsTheBudgetIsUnknownNotAHang() {
            LinearizabilityResult result = LinearizabilityChecker.withMaxStatesPerKey(1_000)
                    .check(manyConcurrentPutsThenAnImpossibleRead());

            assertThat(result.verdict()).isEqualTo(Verdict.UNKNOWN);
            assertThat(result.unknownKeys()).containsExactly("k");
            assertThat(result.keyVerdicts().get("k").statesExplored()).isEqualTo(1_001);
            assertThat(result.explanation()).contains("search budget exceeded, no verdict for keys \"k\"");
        }

        @Test
        void theSameKeyWithTheDefaultBudgetIsAViolation() {
            LinearizabilityResult result = checker.check(manyConcurrentPutsThenAnImpossibleRead());

            assertThat(result.verdict()).isEqualTo(Verdict.VIOLATION);
            assertThat(result.firstViolation().orElseThrow().unexplained().operation()).isEqualTo(get("k"));
        }

        @Test
        void aViolationOnAnotherKeyOutranksAnUnknownKey() {
            History h = manyConcurrentPutsThenAnImpossibleRead();
            done(h, 1, put("other", "a"), 300, 301, ok());
            done(h, 1, get("other"), 302, 303, value("b"));

            LinearizabilityResult result = LinearizabilityChecker.withMaxStatesPerKey(1_000).check(h);

            assertThat(result.verdict()).isEqualTo(Verdict.VIOLATION);
            assertThat(result.unknownKeys()).containsExactly("k");
            assertThat(result.violationKey()).contains("other");
        }

        @Test
        void aNonPositiveBudgetIsRejected() {
            assertThatThrownBy(() -> LinearizabilityChecker.withMaxStatesPerKey(0))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("maxStatesPerKey must be positive, was 0");
        }

        @Test
        void theDefaultBudgetIsFiveMillion() {
            assertThat(LinearizabilityChecker.create().maxStatesPerKey()).isEqualTo(5_000_000L);
        }
    }

    @Nested
    class Results {

        @Test
        void anOverallVerdictThatContradictsTheKeysIsRejected() {
            Map<String, KeyVerdict> keys = Map.of("k", new KeyVerdict.Unknown("k", 3, 10));

            assertThatThrownBy(() -> new LinearizabilityResult(Verdict.LINEARIZABLE, 3, keys))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("contradicts the per-key verdicts, which combine to UNKNOWN");
        }

        @Test
        void keyVerdictsIterateInKeyOrder() {
            Map<String, KeyVerdict> keys = Map.of("b", new KeyVerdict.Linearizable("b", 1, 1),
                    "a", new KeyVerdict.Linearizable("a", 1, 1), "c", new KeyVerdict.Linearizable("c", 1, 1));

            LinearizabilityResult result = new LinearizabilityResult(Verdict.LINEARIZABLE, 3, keys);

            assertThat(List.copyOf(result.keyVerdicts().keySet())).containsExactly("a", "b", "c");
        }

        @Test
        void entriesCanBeCheckedWithoutAHistory() {
            List<HistoryEntry> entries = List.of(
                    HistoryEntry.completed(0, 1, put("k", "a"), 0, 1, ok()),
                    HistoryEntry.indeterminate(1, 2, put("k", "b"), 2),
                    HistoryEntry.failed(2, 3, put("k", "c"), 2),
                    HistoryEntry.completed(3, 1, get("k"), 5, 6, value("b")));

            assertThat(checker.check(entries).linearizable()).isTrue();
        }
    }
}
