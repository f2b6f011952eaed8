package io.bulwark.paxos;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Phase 1 of one ballot: the promises collected so far and the recovery they imply.
 *
 * <p>Recovery follows "Paxos Made Simple", section 2.2, slot by slot: a value some acceptor knows is
 * chosen wins; otherwise the value accepted at the highest ballot; otherwise nothing (the leader fills the
 * slot with a no-op). Promises from more than a quorum are fine: the highest ballot over a superset of a
 * quorum is still safe. Membership changes found among the recovered values extend the quorum a candidate
 * needs: slots after a recovered {@link Value.Reconfigure} need a quorum of that new membership too — unless
 * every slot a membership governs is already known chosen, when there is nothing of it left to recover.
 * Not thread-safe; owned by one {@link Replica}.
 */
final class Candidacy {

    final Ballot ballot;
    /** Node id → entries that node reported (its own log for the candidate itself). */
    private final TreeMap<Integer, List<Entry>> promises = new TreeMap<>();
    /** Node id → the storage incarnation its promise came from. */
    private final TreeMap<Integer, Long> incarnations = new TreeMap<>();
    /** Every node a Prepare was sent to, so that voters revealed by recovery are asked exactly once. */
    final TreeSet<Integer> asked = new TreeSet<>();

    Candidacy(Ballot ballot) {
        this.ballot = ballot;
    }

    void addPromise(int node, long incarnation, List<Entry> entries) {
        promises.put(node, entries);
        incarnations.put(node, incarnation);
    }

    boolean hasPromiseFrom(int node) {
        return promises.containsKey(node);
    }

    /** Per slot after {@code chosenIndex}, the value recovery picks (chosen ones flagged so). */
    TreeMap<Long, Entry> recovered(long chosenIndex) {
        TreeMap<Long, Entry> best = new TreeMap<>();
        for (List<Entry> entries : promises.values()) {
            for (Entry e : entries) {
                if (e.slot() <= chosenIndex) {
                    continue;
                }
                Entry current = best.get(e.slot());
                if (current == null || better(e, current)) {
                    best.put(e.slot(), e);
                }
            }
        }
        return best;
    }

    private static boolean better(Entry candidate, Entry current) {
        if (current.chosen()) {
            return false;
        }
        return candidate.chosen() || candidate.ballot().above(current.ballot());
    }

    /** Voters of every membership in the recovered chain, starting with {@code current}. */
    TreeSet<Integer> votersToAsk(Membership current, long chosenIndex) {
        TreeSet<Integer> voters = new TreeSet<>(current.voters());
        for (Entry e : recovered(chosenIndex).values()) {
            if (e.value() instanceof Value.Reconfigure r) {
                voters.addAll(r.membership().voters());
            }
        }
        return voters;
    }

    /**
     * True once the promises include a quorum of every membership that governs a recovered slot, each counting
     * only the promises from the storage that membership names.
     */
    boolean complete(Membership current, long chosenIndex) {
        Membership m = current;
        // Whether a slot governed by m may hold a value nobody here knows to be chosen (a gap, or a value only
        // accepted): recovering it needs a quorum of m. Slots every one of which is known chosen need none, and
        // requiring one could block an election for good — when some of m's voters are gone since (a move
        // removed them, or their disks were lost after later changes were chosen).
        boolean unknown = false;
        long expected = chosenIndex + 1;
        for (Map.Entry<Long, Entry> e : recovered(chosenIndex).entrySet()) {
            unknown |= e.getKey() != expected || !e.getValue().chosen();
            expected = e.getKey() + 1;
            if (e.getValue().value() instanceof Value.Reconfigure r) {
                if (unknown && !m.isQuorum(countedBy(m))) {
                    return false;
                }
                m = r.membership();
                unknown = false;
            }
        }
        // Every slot after the recovered ones is governed by the last membership, and still open.
        return m.isQuorum(countedBy(m));
    }

    /** The promisers that {@code m} names on the storage they promised from. */
    private java.util.Set<Integer> countedBy(Membership m) {
        java.util.Set<Integer> counted = new java.util.TreeSet<>();
        for (Map.Entry<Integer, Long> e : incarnations.entrySet()) {
            if (m.isVoter(e.getKey(), e.getValue())) {
                counted.add(e.getKey());
            }
        }
        return counted;
    }
}
