package io.bulwark.paxos;

import java.util.Collection;
import java.util.Collections;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The replicas of one Paxos group: the voters, whose majority forms every quorum, and the learners,
 * which receive chosen entries but are never counted. Each member is a node id and the
 * <em>incarnation</em> of that node's storage: a replica whose disk was wiped or rebuilt comes back with
 * a new incarnation and is not the voter the membership names, so it neither promises nor accepts until
 * the group has replaced and re-promoted it (a replica that forgot its promises must not be counted).
 * Incarnation {@link #BOOTSTRAP_INCARNATION} is the storage a group was first created on.
 *
 * <p>Membership is itself replicated: a {@link Value.Reconfigure} chosen at slot {@code s} is the
 * membership for every slot after {@code s}. Changes go one voter at a time so that the majorities of
 * consecutive memberships always intersect (the single-server argument of Ongaro's thesis, section 4.1).
 * Immutable; maps iterate in ascending node-id order, so iteration is deterministic.
 */
public record Membership(SortedMap<Integer, Long> voterIncarnations, SortedMap<Integer, Long> learnerIncarnations) {

    /** The incarnation of every replica's storage when a group is first created. */
    public static final long BOOTSTRAP_INCARNATION = 0;

    public Membership {
        if (voterIncarnations.isEmpty()) {
            throw new IllegalArgumentException("a membership needs at least one voter");
        }
        TreeSet<Integer> both = new TreeSet<>(voterIncarnations.keySet());
        both.retainAll(learnerIncarnations.keySet());
        if (!both.isEmpty()) {
            throw new IllegalArgumentException("nodes " + both + " cannot be both voter and learner");
        }
        voterIncarnations = Collections.unmodifiableSortedMap(new TreeMap<>(voterIncarnations));
        learnerIncarnations = Collections.unmodifiableSortedMap(new TreeMap<>(learnerIncarnations));
    }

    /** A new group's membership: the given voters on their bootstrap storage, no learners. */
    public static Membership ofVoters(int... ids) {
        TreeMap<Integer, Long> voters = new TreeMap<>();
        for (int id : ids) {
            if (voters.put(id, BOOTSTRAP_INCARNATION) != null) {
                throw new IllegalArgumentException("voter " + id + " listed twice");
            }
        }
        return new Membership(voters, new TreeMap<>());
    }

    /** Voter ids, ascending. */
    public SortedSet<Integer> voters() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(voterIncarnations.keySet()));
    }

    /** Learner ids, ascending. */
    public SortedSet<Integer> learners() {
        return Collections.unmodifiableSortedSet(new TreeSet<>(learnerIncarnations.keySet()));
    }

    /** Number of voters that make a majority. */
    public int quorumSize() {
        return voterIncarnations.size() / 2 + 1;
    }

    /** True if the voters among {@code nodes} form a majority of this membership's voters. */
    public boolean isQuorum(Collection<Integer> nodes) {
        int count = 0;
        for (Integer n : nodes) {
            if (voterIncarnations.containsKey(n)) {
                count++;
            }
        }
        return count >= quorumSize();
    }

    /** True if {@code node} is a voter (whatever its incarnation). */
    public boolean isVoter(int node) {
        return voterIncarnations.containsKey(node);
    }

    /** True if {@code node} on storage {@code incarnation} is a voter. */
    public boolean isVoter(int node, long incarnation) {
        Long inc = voterIncarnations.get(node);
        return inc != null && inc == incarnation;
    }

    /** The incarnation this membership names for {@code node}, or null if it is not a member. */
    public Long incarnationOf(int node) {
        Long v = voterIncarnations.get(node);
        return v != null ? v : learnerIncarnations.get(node);
    }

    /** True if {@code node} is a voter or a learner. */
    public boolean contains(int node) {
        return voterIncarnations.containsKey(node) || learnerIncarnations.containsKey(node);
    }

    /** Voters and learners, ascending. */
    public SortedSet<Integer> all() {
        TreeSet<Integer> all = new TreeSet<>(voterIncarnations.keySet());
        all.addAll(learnerIncarnations.keySet());
        return all;
    }

    /** This membership with {@code node} on storage {@code incarnation} added as a learner. */
    public Membership withLearner(int node, long incarnation) {
        if (contains(node)) {
            throw new IllegalArgumentException("node " + node + " is already a member");
        }
        TreeMap<Integer, Long> l = new TreeMap<>(learnerIncarnations);
        l.put(node, incarnation);
        return new Membership(voterIncarnations, l);
    }

    /** This membership with learner {@code node} made a voter. */
    public Membership withPromoted(int node) {
        Long inc = learnerIncarnations.get(node);
        if (inc == null) {
            throw new IllegalArgumentException("node " + node + " is not a learner");
        }
        TreeMap<Integer, Long> l = new TreeMap<>(learnerIncarnations);
        l.remove(node);
        TreeMap<Integer, Long> v = new TreeMap<>(voterIncarnations);
        v.put(node, inc);
        return new Membership(v, l);
    }

    /** This membership without {@code node} (voter or learner). */
    public Membership without(int node) {
        if (!contains(node)) {
            throw new IllegalArgumentException("node " + node + " is not a member");
        }
        TreeMap<Integer, Long> v = new TreeMap<>(voterIncarnations);
        v.remove(node);
        TreeMap<Integer, Long> l = new TreeMap<>(learnerIncarnations);
        l.remove(node);
        return new Membership(v, l);
    }

    /**
     * This membership with {@code node} demoted (if a voter) to a learner on storage {@code incarnation}:
     * how a replica that came back on new storage is taken out of the quorums and caught up.
     */
    public Membership replacing(int node, long incarnation) {
        return without(node).withLearner(node, incarnation);
    }

    /** True if {@code next} differs from this membership by at most one voter. */
    public boolean isSingleVoterChange(Membership next) {
        TreeSet<Integer> added = new TreeSet<>(next.voterIncarnations.keySet());
        added.removeAll(voterIncarnations.keySet());
        TreeSet<Integer> removed = new TreeSet<>(voterIncarnations.keySet());
        removed.removeAll(next.voterIncarnations.keySet());
        for (var e : voterIncarnations.entrySet()) {
            Long after = next.voterIncarnations.get(e.getKey());
            if (after != null && !after.equals(e.getValue())) {
                // Swapping a voter's storage in place would be two changes at once: remove, then add.
                return false;
            }
        }
        return added.size() + removed.size() <= 1;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("voters").append(format(voterIncarnations));
        if (!learnerIncarnations.isEmpty()) {
            b.append(" learners").append(format(learnerIncarnations));
        }
        return b.toString();
    }

    private static String format(SortedMap<Integer, Long> members) {
        StringBuilder b = new StringBuilder("[");
        for (var e : members.entrySet()) {
            if (b.length() > 1) {
                b.append(", ");
            }
            b.append(e.getKey());
            if (e.getValue() != BOOTSTRAP_INCARNATION) {
                b.append('@').append(Long.toHexString(e.getValue()));
            }
        }
        return b.append(']').toString();
    }
}
