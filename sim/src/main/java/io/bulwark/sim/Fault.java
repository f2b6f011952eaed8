package io.bulwark.sim;

import java.util.EnumSet;
import java.util.Locale;

/** A kind of fault the simulator can inject. Every run draws its fault schedule from its seed. */
public enum Fault {
    /** Replicas crash (losing everything not synced) and restart from their disk. */
    CRASH,
    /** The network splits: one node cut off, two halves, one-way (asymmetric) links, or a bridge node. */
    PARTITION,
    /** Messages are lost. */
    LOSS,
    /** Messages are delivered twice. */
    DUPLICATE,
    /** Message delays vary widely, so messages overtake each other. */
    REORDER,
    /** A crash persists a random prefix of unsynced writes, with garbage in the last sector. */
    TORN_WRITE,
    /** Bits flip in synced data at rest; the checksums must catch every one, and the replica is rebuilt. */
    BIT_FLIP,
    /** A replica's disk is wiped; it comes back empty and must be recognised and rebuilt, not trusted. */
    WIPE,
    /** An fsync fails; the replica must stop, never retry. */
    FSYNC_FAILURE,
    /** Replicas' clocks tick at different rates, within the configured drift bound. */
    CLOCK_SKEW,
    /**
     * A replica is moved to a new node (a placement change): the new node joins as a learner on fresh storage,
     * is promoted once caught up, and one of the old voters is removed and decommissioned for good.
     */
    MOVE,
    /**
     * The leader hands leadership to another voter (as the cluster's leader balancer does): it steps down and
     * the successor campaigns at once, while every other fault goes on.
     */
    TRANSFER;

    /** Every fault. */
    public static EnumSet<Fault> all() {
        return EnumSet.allOf(Fault.class);
    }

    /** Parses a comma-separated list such as {@code crash,partition,loss}, or {@code all} / {@code none}. */
    public static EnumSet<Fault> parse(String list) {
        String trimmed = list.trim().toLowerCase(Locale.ROOT);
        if (trimmed.equals("all")) {
            return all();
        }
        EnumSet<Fault> faults = EnumSet.noneOf(Fault.class);
        if (trimmed.equals("none") || trimmed.isEmpty()) {
            return faults;
        }
        for (String name : trimmed.split(",")) {
            String n = name.trim().replace('-', '_').toUpperCase(Locale.ROOT);
            try {
                faults.add(Fault.valueOf(n));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown fault '" + name.trim() + "'; known: all, none, "
                        + String.join(", ", java.util.Arrays.stream(values())
                        .map(f -> f.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList()), e);
            }
        }
        return faults;
    }
}
