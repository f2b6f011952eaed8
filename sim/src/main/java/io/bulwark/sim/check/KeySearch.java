package io.bulwark.sim.check;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decides whether the calls on one key are linearizable: Wing and Gong's search with Lowe's just-in-time
 * linearization and memoisation (G. Lowe, "Testing for linearizability", Concurrency and Computation:
 * Practice and Experience, 2017; the same loop as porcupine's {@code checkSingle}).
 *
 * <p>Calls and returns are events in one doubly linked list in time order. The search walks the list from
 * the head: at a call it tries to linearize that call now (apply it to the register, check its result, lift
 * the call and its return out of the list, restart from the head); at a return it has found a call that must
 * already have taken effect but has not, so it backtracks to the most recent choice. It succeeds when the
 * list is empty. A configuration is the set of calls linearized so far plus the register's value; one that
 * has failed is never explored again, which is what keeps the search near-linear on histories with bounded
 * concurrency.
 *
 * <p>A call whose result is unknown may take effect at any time after its invocation, or never. A read of
 * that kind constrains nothing and is dropped. A write of that kind gets a return event at its observation
 * deadline (see {@link #returnTimes}); there it must have taken effect or, if not, it is skipped (never
 * happened). Skipping only when forced loses nothing, since a skipped call changes nothing, and it means a
 * configuration that has used up fewer unknown-result calls always has at least the options of one that has
 * used up more: so a failed configuration also rules out every configuration with the same known calls and
 * value and more unknown-result calls used up ({@link FailedConfigurations}). To make those failures come
 * first, the search tries known-result calls before unknown-result ones. Together these keep a faulty run's
 * timeouts from multiplying the search by the number of their subsets.
 *
 * <p>Stateless; each {@link #run} is independent and single-threaded.
 */
final class KeySearch {

    /** Encoded operation kinds, so the inner loop switches on an int rather than testing types. */
    private static final int GET = 0;
    private static final int PUT = 1;
    private static final int DELETE = 2;
    private static final int CAS = 3;
    /** Encoded result of a call whose result is unknown. */
    private static final int UNKNOWN_RESULT = -1;
    /** Encoded register value for "absent"; present values are 1, 2, ... */
    private static final int ABSENT = 0;
    /** What {@link #step} returns when the call's result contradicts the register. */
    private static final int INCONSISTENT = -1;

    private KeySearch() {
    }

    /**
     * One call as a search sees it. {@code resultKnown == false} makes a completed call indeterminate, which
     * is how a prefix of a history treats calls that complete after the cut.
     */
    record Call(HistoryEntry entry, boolean resultKnown) {

        /** The call as the history recorded it: its result is known if and only if it completed. */
        static Call of(HistoryEntry entry) {
            return new Call(entry, entry.isCompleted());
        }

        KvOperation operation() {
            return entry.operation();
        }

        /** When the result arrived, or {@link HistoryEntry#NEVER} if it is unknown. */
        long completeTime() {
            return resultKnown ? entry.completeTime() : HistoryEntry.NEVER;
        }

        /** The result, or null if unknown. */
        KvResult result() {
            return resultKnown ? ((HistoryEntry.Outcome.Completed) entry.outcome()).result() : null;
        }

        /** Whether this call definitely changed the register: an acknowledged put or delete, or a cas that won. */
        boolean isDefiniteWrite() {
            if (!resultKnown) {
                return false;
            }
            KvOperation op = operation();
            return op instanceof KvOperation.Put || op instanceof KvOperation.Delete
                    || (op instanceof KvOperation.Cas && ((KvResult.CasResult) result()).succeeded());
        }
    }

    /** A search's answer and how many configurations it entered to reach it (the budget counts these). */
    record Outcome(Verdict verdict, long statesExplored) {
    }

    /**
     * When each call stops mattering, which becomes the time of its return event: a known result's
     * completion time; for a read with an unknown result, {@code Long.MIN_VALUE} (it constrains nothing and
     * is dropped); for a write with an unknown result, its observation deadline.
     *
     * <p>A write {@code w} with an unknown result, of value {@code b} (a put's value, a cas's new value,
     * absent for a delete), can only matter to a call that could tell {@code b} from another value: a known
     * read that returned {@code b}, a known cas expecting {@code b}, any known cas that failed, or an
     * unknown-result cas expecting {@code b} (which matters, in turn, only until its own deadline). The
     * deadline of {@code w} is the latest completion (or deadline) of those, computed as a least fixpoint
     * because unknown cases can expect each other's values.
     *
     * <p>Why that is exact: take a linearization, and remove every unknown-result write placed after its
     * deadline. Between such a write and the next put or delete the register differed only in value; no known
     * call sits there (a read or cas there would be an observer completing after the deadline), and an
     * unknown cas there either applied (then it expected the removed value, so it is itself past its deadline
     * and removed) or had no effect (remove it too). What remains is a linearization. So each unknown-result
     * write is, without loss of generality, placed by its deadline or never; a deadline before its invocation
     * means never. This is what stops the timeouts of a faulty run from staying open, and multiplying the
     * search space, until the end of the history.
     */
    static long[] returnTimes(List<Call> calls) {
        // Latest completion of a known call that observes each value, then widened to the fixpoint.
        Map<String, Long> observedUntil = new HashMap<>();
        long lastFailedCasCompleteTime = Long.MIN_VALUE;
        List<KvOperation.Cas> unknownCas = new ArrayList<>();
        for (Call call : calls) {
            KvOperation op = call.operation();
            if (op instanceof KvOperation.Cas cas) {
                if (!call.resultKnown()) {
                    unknownCas.add(cas);
                    continue;
                }
                observedUntil.merge(cas.expected(), call.completeTime(), Math::max);
                if (!((KvResult.CasResult) call.result()).succeeded()) {
                    lastFailedCasCompleteTime = Math.max(lastFailedCasCompleteTime, call.completeTime());
                }
            } else if (op instanceof KvOperation.Get && call.resultKnown()) {
                observedUntil.merge(((KvResult.Value) call.result()).value(), call.completeTime(), Math::max);
            }
        }
        // An unknown cas expecting b and writing c keeps b observable for as long as c is. Each pass only
        // raises values to ones already present, so this stops within (distinct values + 1) passes.
        boolean changed = true;
        while (changed) {
            changed = false;
            for (KvOperation.Cas cas : unknownCas) {
                long writesMatterUntil = observedUntil.getOrDefault(cas.value(), Long.MIN_VALUE);
                if (writesMatterUntil > observedUntil.getOrDefault(cas.expected(), Long.MIN_VALUE)) {
                    observedUntil.put(cas.expected(), writesMatterUntil);
                    changed = true;
                }
            }
        }
        long[] returnTimes = new long[calls.size()];
        for (int i = 0; i < calls.size(); i++) {
            Call call = calls.get(i);
            KvOperation op = call.operation();
            if (call.resultKnown()) {
                returnTimes[i] = call.completeTime();
            } else if (op instanceof KvOperation.Get) {
                returnTimes[i] = Long.MIN_VALUE;
            } else {
                long observed = observedUntil.getOrDefault(writtenValue(op), Long.MIN_VALUE);
                returnTimes[i] = Math.max(observed, lastFailedCasCompleteTime);
            }
        }
        return returnTimes;
    }

    /** The value a write leaves in the register when it takes effect; null (absent) for a delete. */
    private static String writtenValue(KvOperation op) {
        if (op instanceof KvOperation.Put put) {
            return put.value();
        }
        if (op instanceof KvOperation.Cas cas) {
            return cas.value();
        }
        if (op instanceof KvOperation.Delete) {
            return null;
        }
        throw new IllegalArgumentException(op + " is not a write");
    }

    /**
     * Searches for a linearization of {@code calls}, which must all be on the same key, starting from an
     * absent key, entering at most {@code maxStates} configurations before answering {@link Verdict#UNKNOWN}.
     */
    static Outcome run(List<Call> calls, long maxStates) {
        long[] returnTimes = returnTimes(calls);
        List<Call> kept = new ArrayList<>(calls.size());
        List<Long> keptReturnTimes = new ArrayList<>(calls.size());
        for (int i = 0; i < calls.size(); i++) {
            if (returnTimes[i] >= calls.get(i).entry().invokeTime()) {
                kept.add(calls.get(i));
                keptReturnTimes.add(returnTimes[i]);
            }
        }
        return new Search(kept, keptReturnTimes, maxStates).run();
    }

    /** The state of one search: the encoded calls, the event list, the linearized set and the failures. */
    private static final class Search {
        private final long maxStates;
        private final int callCount;

        // Per call, by call index.
        private final int[] kind;
        /** Put: value; cas: expected value. */
        private final int[] argument;
        /** Cas: new value. */
        private final int[] newValue;
        /** Get: value read; cas: 1 succeeded, 0 failed; otherwise {@link #UNKNOWN_RESULT}. */
        private final int[] result;
        private final boolean[] resultKnown;
        /** Bit in {@link #knownBits} or {@link #unknownBits}, by invocation order. */
        private final int[] bit;
        /**
         * Unknown-result calls with the same operation (so the same effect and deadline) are twins. Per call,
         * its twin class and how many of its twins were invoked before it; per class, how many are used up.
         * Twins are used up in invocation order (see {@link #worthTrying}; their deadlines tie, and ties
         * between returns go by invocation), so "every earlier twin is used" is a comparison of counts.
         */
        private final int[] twinClass;
        private final int[] twinRank;
        private final int[] twinsUsed;

        // The event list; node 0 is the head, nodes 1..2n are events in time order, -1 ends the list.
        private final int[] next;
        private final int[] prev;
        /** The call behind each event node. */
        private final int[] callOf;
        /** For a call node its return node; 0 for a return node. */
        private final int[] returnOf;
        /** For a return node its call node; 0 for a call node. */
        private final int[] callNodeOf;

        // The linearized (or skipped) calls, split so that the configuration's key stays short (see encode).
        private final long[] knownBits;
        private final long[] unknownBits;
        /** Lowest known-result bit not yet linearized. */
        private int firstClear;
        /** Highest word of knownBits that is not zero, or -1. */
        private int highWord = -1;

        private final FailedConfigurations failed;
        private final long[] key;
        private int keyLength;
        private long statesExplored;

        Search(List<Call> calls, List<Long> returnTimes, long maxStates) {
            this.maxStates = maxStates;
            this.callCount = calls.size();
            int n = callCount;
            kind = new int[n];
            argument = new int[n];
            newValue = new int[n];
            result = new int[n];
            resultKnown = new boolean[n];
            bit = new int[n];

            Map<String, Integer> codes = new HashMap<>();
            codes.put(null, ABSENT);
            for (int i = 0; i < n; i++) {
                Call call = calls.get(i);
                KvOperation op = call.operation();
                resultKnown[i] = call.resultKnown();
                result[i] = UNKNOWN_RESULT;
                if (op instanceof KvOperation.Get) {
                    kind[i] = GET;
                    if (call.resultKnown()) {
                        result[i] = code(codes, ((KvResult.Value) call.result()).value());
                    }
                } else if (op instanceof KvOperation.Put put) {
                    kind[i] = PUT;
                    argument[i] = code(codes, put.value());
                } else if (op instanceof KvOperation.Delete) {
                    kind[i] = DELETE;
                } else if (op instanceof KvOperation.Cas cas) {
                    kind[i] = CAS;
                    argument[i] = code(codes, cas.expected());
                    newValue[i] = code(codes, cas.value());
                    if (call.resultKnown()) {
                        result[i] = ((KvResult.CasResult) call.result()).succeeded() ? 1 : 0;
                    }
                } else {
                    throw new AssertionError("unhandled operation " + op);
                }
            }

            // Bits follow invocation order so that the known-result set is mostly a prefix (see encode).
            Integer[] byInvocation = new Integer[n];
            for (int i = 0; i < n; i++) {
                byInvocation[i] = i;
            }
            Arrays.sort(byInvocation, Comparator.comparingLong((Integer i) -> calls.get(i).entry().invokeTime())
                    .thenComparingInt(i -> i));
            int knownCount = 0;
            int unknownCount = 0;
            for (int i : byInvocation) {
                bit[i] = resultKnown[i] ? knownCount++ : unknownCount++;
            }
            twinClass = new int[n];
            twinRank = new int[n];
            Map<List<Integer>, Integer> classes = new HashMap<>();
            List<Integer> classSizes = new ArrayList<>();
            for (int i : byInvocation) {
                if (!resultKnown[i]) {
                    int c = classes.computeIfAbsent(List.of(kind[i], argument[i], newValue[i]), k -> classes.size());
                    if (c == classSizes.size()) {
                        classSizes.add(0);
                    }
                    twinClass[i] = c;
                    twinRank[i] = classSizes.get(c);
                    classSizes.set(c, twinRank[i] + 1);
                }
            }
            twinsUsed = new int[classSizes.size()];
            knownBits = new long[(knownCount + 63) >>> 6];
            unknownBits = new long[(unknownCount + 63) >>> 6];
            key = new long[1 + knownBits.length];
            failed = new FailedConfigurations(unknownBits.length);

            // Events: 2i is the call of call i, 2i+1 its return. At equal times calls sort before returns, so
            // intervals that touch count as overlapping: a virtual clock cannot order two events at one instant.
            // Ties among calls, and among returns, go by invocation order.
            int[] invocationRank = new int[n];
            for (int r = 0; r < n; r++) {
                invocationRank[byInvocation[r]] = r;
            }
            Integer[] events = new Integer[2 * n];
            for (int e = 0; e < 2 * n; e++) {
                events[e] = e;
            }
            Arrays.sort(events, Comparator.comparingLong((Integer e) -> (e & 1) == 0
                            ? calls.get(e >>> 1).entry().invokeTime() : returnTimes.get(e >>> 1))
                    .thenComparingInt(e -> e & 1)
                    .thenComparingInt(e -> invocationRank[e >>> 1]));
            next = new int[2 * n + 1];
            prev = new int[2 * n + 1];
            callOf = new int[2 * n + 1];
            returnOf = new int[2 * n + 1];
            callNodeOf = new int[2 * n + 1];
            int[] nodeOfEvent = new int[2 * n];
            for (int node = 1; node <= 2 * n; node++) {
                int e = events[node - 1];
                nodeOfEvent[e] = node;
                callOf[node] = e >>> 1;
            }
            for (int i = 0; i < n; i++) {
                returnOf[nodeOfEvent[2 * i]] = nodeOfEvent[2 * i + 1];
                callNodeOf[nodeOfEvent[2 * i + 1]] = nodeOfEvent[2 * i];
            }
            for (int node = 0; node <= 2 * n; node++) {
                next[node] = node == 2 * n ? -1 : node + 1;
                prev[node] = node - 1;
            }
        }

        private static int code(Map<String, Integer> codes, String value) {
            return codes.computeIfAbsent(value, v -> codes.size());
        }

        /**
         * The search loop. From each configuration the moves are tried in a fixed order: each known-result
         * call before the first return, then each unknown-result call before it, then, if that return belongs
         * to an unknown-result write, skipping that write. When all have failed the configuration is recorded
         * as failed and the last move is undone.
         *
         * <p>Three kinds of move are never tried because another path does the same with more options left:
         * an unknown-result write that would not change the register (skipping it at its deadline is the
         * same); right after an unknown-result write took effect, any move that does not observe the value it
         * wrote (a put or delete), since without that write the register would end the same and the write
         * would still be available; and an unknown-result write while an identical one invoked earlier is
         * unused (swap their roles). Whether the last move was an unknown-result write ({@code mustObserve})
         * is therefore part of the configuration.
         */
        Outcome run() {
            int[] stackNode = new int[callCount];
            int[] stackValue = new int[callCount];
            boolean[] stackSkip = new boolean[callCount];
            boolean[] stackMustObserve = new boolean[callCount];
            int depth = 0;
            int value = ABSENT;
            boolean mustObserve = false;
            int node = next[0];
            boolean unknownPass = false;
            while (next[0] != -1) {
                int move = INCONSISTENT;
                boolean skip = false;
                if (returnOf[node] != 0) {
                    int call = callOf[node];
                    if (resultKnown[call] != unknownPass && worthTrying(call, value, mustObserve)) {
                        move = step(call, value);
                    }
                } else if (!unknownPass) {
                    unknownPass = true;
                    node = next[0];
                    continue;
                } else if (!resultKnown[callOf[node]]) {
                    // The deadline of an unknown-result write that has not taken effect: it never happened.
                    node = callNodeOf[node];
                    move = value;
                    skip = true;
                }
                if (move != INCONSISTENT) {
                    int call = callOf[node];
                    boolean observeNext = skip ? mustObserve : !resultKnown[call];
                    mark(call);
                    if (!coveredByFailure(move, observeNext)) {
                        if (++statesExplored > maxStates) {
                            return new Outcome(Verdict.UNKNOWN, statesExplored);
                        }
                        stackNode[depth] = node;
                        stackValue[depth] = value;
                        stackSkip[depth] = skip;
                        stackMustObserve[depth] = mustObserve;
                        depth++;
                        value = move;
                        mustObserve = observeNext;
                        lift(node);
                        node = next[0];
                        unknownPass = false;
                        continue;
                    }
                    unmark(call);
                }
                if (returnOf[node] != 0 && !skip) {
                    node = next[node];
                    continue;
                }
                // Every move from this configuration has failed: record it, then undo moves until one has an
                // alternative left. A skip is the last alternative, so undoing one exhausts its parent too.
                do {
                    if (depth == 0) {
                        return new Outcome(Verdict.VIOLATION, statesExplored);
                    }
                    encode(value, mustObserve);
                    failed.add(key, keyLength, unknownBits);
                    depth--;
                    node = stackNode[depth];
                    value = stackValue[depth];
                    mustObserve = stackMustObserve[depth];
                    unmark(callOf[node]);
                    unlift(node);
                } while (stackSkip[depth]);
                unknownPass = !resultKnown[callOf[node]];
                node = next[node];
            }
            return new Outcome(Verdict.LINEARIZABLE, statesExplored);
        }

        /** Whether taking call {@code i} next could lead anywhere a different path would not (see run). */
        private boolean worthTrying(int i, int value, boolean mustObserve) {
            if (resultKnown[i]) {
                return !mustObserve || kind[i] == GET || kind[i] == CAS;
            }
            // Only writes have unknown results here; a cas that changes the value expected it, so observes it.
            if (step(i, value) == value || (mustObserve && kind[i] != CAS)) {
                return false;
            }
            // Identical unknown-result calls are interchangeable once invoked: use them in invocation order.
            return twinsUsed[twinClass[i]] == twinRank[i];
        }

        /**
         * Whether a failed configuration covers the one reached by the move just marked, leaving
         * {@code value}: one with the same known calls and value and a subset of the unknown-result calls used
         * up, with the same {@code mustObserve} or, having more moves, without it.
         */
        private boolean coveredByFailure(int value, boolean mustObserve) {
            encode(value, mustObserve);
            if (failed.covers(key, keyLength, unknownBits)) {
                return true;
            }
            if (mustObserve) {
                encode(value, false);
                return failed.covers(key, keyLength, unknownBits);
            }
            return false;
        }

        /** The register's value after call {@code i} takes effect on {@code value}, or INCONSISTENT. */
        private int step(int i, int value) {
            switch (kind[i]) {
                case GET:
                    return result[i] == UNKNOWN_RESULT || result[i] == value ? value : INCONSISTENT;
                case PUT:
                    return argument[i];
                case DELETE:
                    return ABSENT;
                case CAS:
                    boolean matches = value == argument[i];
                    if (result[i] != UNKNOWN_RESULT && (result[i] == 1) != matches) {
                        return INCONSISTENT;
                    }
                    return matches ? newValue[i] : value;
                default:
                    throw new AssertionError("unknown kind " + kind[i]);
            }
        }

        private void mark(int i) {
            int b = bit[i];
            if (!resultKnown[i]) {
                unknownBits[b >>> 6] |= 1L << b;
                twinsUsed[twinClass[i]]++;
                return;
            }
            int word = b >>> 6;
            knownBits[word] |= 1L << b;
            highWord = Math.max(highWord, word);
            if (b == firstClear) {
                firstClear = nextClearBit(b);
            }
        }

        private void unmark(int i) {
            int b = bit[i];
            if (!resultKnown[i]) {
                unknownBits[b >>> 6] &= ~(1L << b);
                twinsUsed[twinClass[i]]--;
                return;
            }
            knownBits[b >>> 6] &= ~(1L << b);
            firstClear = Math.min(firstClear, b);
            while (highWord >= 0 && knownBits[highWord] == 0) {
                highWord--;
            }
        }

        private int nextClearBit(int from) {
            int word = from >>> 6;
            if (word >= knownBits.length) {
                return from;
            }
            long clear = ~knownBits[word] & (-1L << from);
            while (clear == 0) {
                word++;
                if (word == knownBits.length) {
                    return word << 6;
                }
                clear = ~knownBits[word];
            }
            return (word << 6) + Long.numberOfTrailingZeros(clear);
        }

        /**
         * Writes the key of the configuration (known-result calls linearized, {@code value}, whether the next
         * move must observe it) into {@link #key}.
         * Exact and canonical: the calls below {@code firstClear} are all linearized and those in words above
         * {@code highWord} all are not, so only the words in between are stored. A call can only be
         * linearized while its invocation precedes the first remaining return, so every linearized call was
         * invoked before the oldest pending call returns; in invocation order that span is the calls
         * concurrent with it, a few words however long the history.
         */
        private void encode(int value, boolean mustObserve) {
            int length = 0;
            key[length++] = ((long) firstClear << 32) | (mustObserve ? 1L << 31 : 0) | value;
            for (int word = firstClear >>> 6; word <= highWord; word++) {
                key[length++] = knownBits[word];
            }
            keyLength = length;
        }

        /** Removes call node {@code node} and its return from the list; they keep their own links. */
        private void lift(int node) {
            next[prev[node]] = next[node];
            prev[next[node]] = prev[node];
            int ret = returnOf[node];
            next[prev[ret]] = next[ret];
            if (next[ret] != -1) {
                prev[next[ret]] = prev[ret];
            }
        }

        /** Undoes the {@link #lift} of {@code node}; lifts are undone in reverse order. */
        private void unlift(int node) {
            int ret = returnOf[node];
            next[prev[ret]] = ret;
            if (next[ret] != -1) {
                prev[next[ret]] = ret;
            }
            next[prev[node]] = node;
            prev[next[node]] = node;
        }
    }
}
