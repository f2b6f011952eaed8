package io.bulwark.server.node;

import io.bulwark.client.BulwarkClient;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The cluster's own record of its definition, kept in the cluster itself — under a reserved key in the cluster's
 * metadata group (its own Paxos group, beside the partitions' groups; see {@link ClusterSpec#metadata()}),
 * replicated and checksummed like any value — and changed only by compare-and-set. It is what makes a change of members a single decision: whoever moves the cluster from one
 * definition to the next (an operator's {@code cluster join/leave}, or a node's {@link PlacementDriver}
 * replacing a failed node) first wins the compare-and-set from "stable at {@code from}" to "moving from
 * {@code from} to {@code to}", and two changes can never run at once.
 *
 * <p>{@code version} grows with every write (claims, progress and completion), so a mover that sees it stand
 * still for long knows the owner of a move is gone and may take the move over (moves are resumable).
 *
 * @param version  grows by one with each write
 * @param moving   true while partitions are being moved from {@code from} to {@code to}
 * @param by       who started the current or last change ({@code operator}, or {@code node N})
 * @param reason   why, in words ("node 4 joined", "node 2 failed: no answer for 30 s")
 * @param progress the last step of a move, or the empty string
 * @param from     the definition before the change (equal to {@code to} for a record that only recorded one)
 * @param to       the definition the cluster has, or is moving to
 */
public record ClusterRecord(long version, boolean moving, String by, String reason, String progress,
                            ClusterSpec from, ClusterSpec to) {

    /** Where the record lives: a reserved key ({@link BulwarkClient#isReserved}), which clients can read, not write. */
    public static final byte[] KEY = "\0bulwark/cluster-definition".getBytes(StandardCharsets.UTF_8);

    private static final String FROM = "[from]";
    private static final String TO = "[to]";

    public ClusterRecord {
        Objects.requireNonNull(by, "by");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(progress, "progress");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        if (version < 1) {
            throw new IllegalArgumentException("version starts at 1, was " + version);
        }
    }

    /** The first record of a cluster: stable at {@code spec}. */
    public static ClusterRecord first(ClusterSpec spec, String by) {
        return new ClusterRecord(1, false, by, "first record of the definition", "", spec, spec);
    }

    /** This record claimed for a move to {@code next}. */
    public ClusterRecord moveTo(ClusterSpec next, String mover, String why) {
        return new ClusterRecord(version + 1, true, mover, why, "", to, next);
    }

    /** This move, one step further (also renews the mover's claim). */
    public ClusterRecord step(String mover, String what) {
        return new ClusterRecord(version + 1, moving, mover, reason, what, from, to);
    }

    /** This move, finished: the cluster is stable at {@code to}. */
    public ClusterRecord finished(String mover) {
        return new ClusterRecord(version + 1, false, mover, reason, "done", to, to);
    }

    /**
     * True if the cluster is settled at a definition other than {@code copy}: a node's or a directory's copy that
     * missed a change (a failed node replaced, or a push that did not reach it) should be replaced by {@link #to}.
     */
    public boolean supersedes(ClusterSpec copy) {
        return !moving && !to.equals(copy);
    }

    /** The stored form: a few header lines, then both definitions in their file form. */
    public byte[] encode() {
        StringBuilder b = new StringBuilder();
        b.append("version=").append(version).append('\n');
        b.append("state=").append(moving ? "moving" : "stable").append('\n');
        b.append("by=").append(oneLine(by)).append('\n');
        b.append("reason=").append(oneLine(reason)).append('\n');
        b.append("progress=").append(oneLine(progress)).append('\n');
        b.append(FROM).append('\n').append(from.format());
        b.append(TO).append('\n').append(to.format());
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    /** Parses {@link #encode()}; anything else → {@link IllegalArgumentException}. */
    public static ClusterRecord decode(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        int fromAt = text.indexOf("\n" + FROM + "\n");
        int toAt = text.indexOf("\n" + TO + "\n");
        if (fromAt < 0 || toAt < fromAt) {
            throw new IllegalArgumentException("not a cluster record: no " + FROM + " and " + TO + " sections");
        }
        long version = -1;
        Boolean moving = null;
        String by = null;
        String reason = null;
        String progress = "";
        for (String line : text.substring(0, fromAt).split("\n")) {
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("cluster record: bad header line '" + line + "'");
            }
            String v = line.substring(eq + 1);
            switch (line.substring(0, eq)) {
                case "version" -> version = Long.parseLong(v);
                case "state" -> moving = switch (v) {
                    case "moving" -> true;
                    case "stable" -> false;
                    default -> throw new IllegalArgumentException("cluster record: unknown state '" + v + "'");
                };
                case "by" -> by = v;
                case "reason" -> reason = v;
                case "progress" -> progress = v;
                default -> throw new IllegalArgumentException("cluster record: unknown header '" + line + "'");
            }
        }
        if (moving == null || by == null || reason == null) {
            throw new IllegalArgumentException("cluster record: missing state, by or reason");
        }
        ClusterSpec from = ClusterSpec.parse(text.substring(fromAt + FROM.length() + 2, toAt + 1));
        ClusterSpec to = ClusterSpec.parse(text.substring(toAt + TO.length() + 2));
        return new ClusterRecord(version, moving, by, reason, progress, from, to);
    }

    /** The cluster's record, or null if it has none yet. Linearizable. */
    public static ClusterRecord read(BulwarkClient client) {
        byte[] v = new io.bulwark.client.ClusterAdmin(client).getMetadata(KEY);
        return v == null ? null : decode(v);
    }

    /**
     * Replaces {@code expected} (null: no record yet) by {@code next}, atomically.
     *
     * @return false if the record was not {@code expected} any more (someone else changed it)
     */
    public static boolean replace(BulwarkClient client, ClusterRecord expected, ClusterRecord next) {
        return new io.bulwark.client.ClusterAdmin(client).compareAndSetMetadata(KEY,
                expected == null ? null : expected.encode(), next.encode());
    }

    @Override
    public String toString() {
        return "version " + version + (moving ? ", moving " + ids(from) + " -> " + ids(to) : ", stable at " + ids(to))
                + " (by " + by + ": " + reason + (progress.isEmpty() ? "" : "; " + progress) + ")";
    }

    private static String ids(ClusterSpec s) {
        return s.members().stream().map(m -> m.id()).toList().toString();
    }
}
