package io.bulwark.paxos;

/**
 * A value in a slot, with the ballot under which it was accepted and whether it is known chosen.
 *
 * <p>An entry with {@code chosen == true} is a fact: that value is the slot's decision forever, whatever
 * its ballot. An entry with {@code chosen == false} is only what one acceptor accepted; recovery picks
 * the highest-ballot one among a quorum. Immutable.
 */
public record Entry(long slot, Ballot ballot, Value value, boolean chosen) {

    public Entry {
        if (slot < 1) {
            throw new IllegalArgumentException("slots start at 1, was " + slot);
        }
    }

    /** This entry, marked chosen. */
    public Entry asChosen() {
        return chosen ? this : new Entry(slot, ballot, value, true);
    }

    @Override
    public String toString() {
        return slot + "@" + ballot + (chosen ? "!" : "") + "=" + value;
    }
}
