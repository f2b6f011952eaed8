package io.bulwark.sim.check;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The outcome of {@link LinearizabilityChecker#check}: the overall {@link Verdict}, how many operations were
 * checked, and one {@link KeyVerdict} per key that had any operation to check, in key order.
 *
 * <p>The overall verdict is always the combination of the per-key verdicts (see {@link Verdict}); the
 * constructor rejects a result where it is not. Immutable and thread-safe.
 *
 * @param verdict            {@link Verdict#VIOLATION} if any key is one, else {@link Verdict#UNKNOWN} if any
 *                           key is, else {@link Verdict#LINEARIZABLE}
 * @param operationsChecked  the sum of the keys' {@link KeyVerdict#operationsChecked()}
 * @param keyVerdicts        per-key outcomes, iterated in ascending key order
 */
public record LinearizabilityResult(Verdict verdict, int operationsChecked, Map<String, KeyVerdict> keyVerdicts) {

    public LinearizabilityResult {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(keyVerdicts, "keyVerdicts");
        Verdict combined = Verdict.LINEARIZABLE;
        int operations = 0;
        for (Map.Entry<String, KeyVerdict> e : keyVerdicts.entrySet()) {
            if (!e.getKey().equals(e.getValue().key())) {
                throw new IllegalArgumentException("verdict for key " + Quoting.value(e.getValue().key())
                        + " is filed under key " + Quoting.value(e.getKey()));
            }
            combined = combined.and(e.getValue().verdict());
            operations += e.getValue().operationsChecked();
        }
        if (combined != verdict) {
            throw new IllegalArgumentException("overall verdict " + verdict + " contradicts the per-key verdicts, "
                    + "which combine to " + combined);
        }
        if (operations != operationsChecked) {
            throw new IllegalArgumentException("operationsChecked " + operationsChecked
                    + " differs from the per-key total " + operations);
        }
        keyVerdicts = Collections.unmodifiableMap(new LinkedHashMap<>(new TreeMap<>(keyVerdicts)));
    }

    /** Whether every key is linearizable (so the whole history is, by locality). */
    public boolean linearizable() {
        return verdict == Verdict.LINEARIZABLE;
    }

    /** The keys whose histories are proven not linearizable, in key order. */
    public List<KeyVerdict.Violation> violations() {
        List<KeyVerdict.Violation> found = new ArrayList<>();
        for (KeyVerdict v : keyVerdicts.values()) {
            if (v instanceof KeyVerdict.Violation violation) {
                found.add(violation);
            }
        }
        return found;
    }

    /** The first violation in key order, if any. */
    public Optional<KeyVerdict.Violation> firstViolation() {
        List<KeyVerdict.Violation> found = violations();
        return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
    }

    /** The key of the first violation in key order, if any. */
    public Optional<String> violationKey() {
        return firstViolation().map(KeyVerdict.Violation::key);
    }

    /** The keys whose search ran out of budget, in key order. */
    public List<String> unknownKeys() {
        List<String> keys = new ArrayList<>();
        for (KeyVerdict v : keyVerdicts.values()) {
            if (v instanceof KeyVerdict.Unknown) {
                keys.add(v.key());
            }
        }
        return keys;
    }

    /**
     * A few lines for a test failure or a simulator log: the verdict, the counts, the first violation's
     * explanation if there is one, and the keys left unknown.
     */
    public String explanation() {
        StringBuilder text = new StringBuilder();
        text.append(verdict).append(": ").append(operationsChecked)
                .append(operationsChecked == 1 ? " operation on " : " operations on ")
                .append(keyVerdicts.size()).append(keyVerdicts.size() == 1 ? " key checked" : " keys checked");
        Optional<KeyVerdict.Violation> violation = firstViolation();
        if (violation.isPresent()) {
            int others = violations().size() - 1;
            text.append("; ").append(others == 0 ? "1 key violates" : (others + 1) + " keys violate, the first:")
                    .append('\n').append(violation.get().explanation());
        }
        List<String> unknown = unknownKeys();
        if (!unknown.isEmpty()) {
            text.append(violation.isPresent() ? "\n" : "; ")
                    .append("search budget exceeded, no verdict for keys ");
            for (int i = 0; i < unknown.size(); i++) {
                text.append(i == 0 ? "" : ", ").append(Quoting.value(unknown.get(i)));
            }
        }
        return text.toString();
    }

    @Override
    public String toString() {
        return explanation();
    }
}
