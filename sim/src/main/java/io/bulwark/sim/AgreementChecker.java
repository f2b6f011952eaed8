package io.bulwark.sim;

import io.bulwark.paxos.Entry;
import io.bulwark.paxos.Value;
import java.util.TreeMap;

/**
 * Checks Paxos agreement on every step: the first value any replica applies for a slot is remembered,
 * and any replica applying a different value for that slot is a violation. Not thread-safe.
 */
final class AgreementChecker {

    private final TreeMap<Long, Value> chosen = new TreeMap<>();
    private final TreeMap<Long, Integer> firstBy = new TreeMap<>();

    /** Returns null if consistent, else a description of the disagreement. */
    String observe(int replica, Entry entry) {
        Value previous = chosen.putIfAbsent(entry.slot(), entry.value());
        if (previous == null) {
            firstBy.put(entry.slot(), replica);
            return null;
        }
        if (!previous.equals(entry.value())) {
            return "agreement: slot " + entry.slot() + " chosen as " + previous + " at replica "
                    + firstBy.get(entry.slot()) + " but as " + entry.value() + " at replica " + replica;
        }
        return null;
    }

    long slots() {
        return chosen.size();
    }
}
