package io.bulwark.txn;

/**
 * A transaction's name: unique across clients (the owner picks {@code high} at random once, {@code low}
 * counts its transactions). Ordered, so tables keyed by it iterate deterministically. Immutable.
 */
public record TxnId(long high, long low) implements Comparable<TxnId> {

    @Override
    public int compareTo(TxnId o) {
        int c = Long.compare(high, o.high);
        return c != 0 ? c : Long.compare(low, o.low);
    }

    @Override
    public String toString() {
        return String.format("%016x-%d", high, low);
    }
}
