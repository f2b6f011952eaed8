package io.bulwark.paxos;

import java.util.Collections;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The replicas of one Paxos group: the voters, whose majority forms every quorum, and the learners,
 * which receive chosen entries but neither promise nor accept.
 *
 * <p>Membership is itself replicated: a {@link Value.Reconfigure} chosen at slot {@code s} is the
 * membership for every slot after {@code s}. Changes go one voter at a time so that the majorities of
 * the old and new membership always intersect (the single-server argument of Ongaro's thesis,
 * section 4.1). Immutable; sets iterate in ascending node-id order, so iteration is deterministic.
 */
public record Membership(SortedSet<Integer> voters, SortedSet<Integer> learners) {

    public Membership {
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("a membership needs at least one voter");
        }
        TreeSet<Integer> both = new TreeSet<>(voters);
        both.retainAll(learners);
        if (!both.isEmpty()) {
            throw new IllegalArgumentException("nodes " + both + " cannot be both voter and learner");
        }
        voters = Collections.unmodifiableSortedSet(new TreeSet<>(voters));
        learners = Collections.unmodifiableSortedSet(new TreeSet<>(learners));
    }

    /** A membership of the given voters and no learners. */
    public static Membership ofVoters(int... ids) {
        TreeSet<Integer> set = new TreeSet<>();
        for (int id : ids) {
            if (!set.add(id)) {
                throw new IllegalArgumentException("voter " + id + " listed twice");
            }
        }
        return new Membership(set, new TreeSet<>());
    }

    /** Number of voters that make a majority. */
    public int quorumSize() {
        return voters.size() / 2 + 1;
    }

    /** True if the voters among {@code nodes} form a majority of this membership's voters. */
    public boolean isQuorum(java.util.Collection<Integer> nodes) {
        int count = 0;
        for (Integer n : nodes) {
            if (voters.contains(n)) {
                count++;
            }
        }
        return count >= quorumSize();
    }

    /** True if {@code node} is a voter. */
    public boolean isVoter(int node) {
        return voters.contains(node);
    }

    /** True if {@code node} is a voter or a learner. */
    public boolean contains(int node) {
        return voters.contains(node) || learners.contains(node);
    }

    /** Voters and learners, ascending. */
    public SortedSet<Integer> all() {
        TreeSet<Integer> all = new TreeSet<>(voters);
        all.addAll(learners);
        return all;
    }

    /** This membership with {@code node} added as a learner. */
    public Membership withLearner(int node) {
        if (contains(node)) {
            throw new IllegalArgumentException("node " + node + " is already a member");
        }
        TreeSet<Integer> l = new TreeSet<>(learners);
        l.add(node);
        return new Membership(voters, l);
    }

    /** This membership with learner {@code node} made a voter. */
    public Membership withPromoted(int node) {
        if (!learners.contains(node)) {
            throw new IllegalArgumentException("node " + node + " is not a learner");
        }
        TreeSet<Integer> l = new TreeSet<>(learners);
        l.remove(node);
        TreeSet<Integer> v = new TreeSet<>(voters);
        v.add(node);
        return new Membership(v, l);
    }

    /** This membership without {@code node} (voter or learner). */
    public Membership without(int node) {
        if (!contains(node)) {
            throw new IllegalArgumentException("node " + node + " is not a member");
        }
        TreeSet<Integer> v = new TreeSet<>(voters);
        v.remove(node);
        TreeSet<Integer> l = new TreeSet<>(learners);
        l.remove(node);
        return new Membership(v, l);
    }

    /** True if {@code next} differs from this membership by at most one voter. */
    public boolean isSingleVoterChange(Membership next) {
        TreeSet<Integer> added = new TreeSet<>(next.voters);
        added.removeAll(voters);
        TreeSet<Integer> removed = new TreeSet<>(voters);
        removed.removeAll(next.voters);
        return added.size() + removed.size() <= 1;
    }

    @Override
    public String toString() {
        return learners.isEmpty() ? "voters" + voters : "voters" + voters + " learners" + learners;
    }
}
