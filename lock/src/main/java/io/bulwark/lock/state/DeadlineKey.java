package io.bulwark.lock.state;

/**
 * A point in the machine's time plus a sequence number that breaks ties in creation order, so that two
 * deadlines at the same nanosecond always fire in the same order. Immutable.
 */
record DeadlineKey(long atNanos, long sequence) implements Comparable<DeadlineKey> {

    @Override
    public int compareTo(DeadlineKey other) {
        int byTime = Long.compare(atNanos, other.atNanos);
        return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
    }
}
