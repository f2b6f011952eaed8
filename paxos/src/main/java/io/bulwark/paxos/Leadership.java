package io.bulwark.paxos;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A leader's volatile state for one ballot: slots in flight and who accepted them, commands waiting for
 * the window, each peer's progress, heartbeat rounds and pending reads. Discarded when leadership ends.
 * Not thread-safe; owned by one {@link Replica}.
 */
final class Leadership {

    /** A slot proposed at this ballot and not yet known chosen. */
    static final class Proposal {
        final Entry entry;
        /** The membership whose quorum decides this slot. */
        final Membership membership;
        final TreeSet<Integer> acks = new TreeSet<>();
        long sentTick;

        Proposal(Entry entry, Membership membership, long sentTick) {
            this.entry = entry;
            this.membership = membership;
            this.sentTick = sentTick;
        }
    }

    /** What the leader knows of one peer. */
    static final class Progress {
        /** Incarnation of the peer's storage in its last reply; a change means it lost its disk. */
        long incarnation = Membership.BOOTSTRAP_INCARNATION;
        long chosenIndex;
        long lastHeardTick;
        long ackedRound;
        long learnSentTick = Long.MIN_VALUE / 2;
        long learnUpTo;
        long snapshotIndex;
        long snapshotOffset;
        long snapshotSentTick = Long.MIN_VALUE / 2;

        Progress(long nowTick) {
            this.lastHeardTick = nowTick;
        }
    }

    /** A read waiting for a heartbeat round (round 0: not yet attached to one). */
    static final class PendingRead {
        final long readId;
        long index;
        long round;

        PendingRead(long readId) {
            this.readId = readId;
        }
    }

    final Ballot ballot;
    final long sinceTick;
    long nextSlot;
    /** The no-op this leader proposed after recovery; reads wait until it is chosen. */
    long readyIndex;
    final TreeMap<Long, Proposal> inFlight = new TreeMap<>();
    final ArrayDeque<Command> pending = new ArrayDeque<>();
    /** Membership for the next new slot: the current one, or the one an in-flight reconfiguration installs. */
    Membership nextMembership;
    /** Slot of an in-flight reconfiguration, 0 if none: one membership change at a time. */
    long reconfigSlot;
    final TreeMap<Integer, Progress> peers = new TreeMap<>();
    long round;
    final TreeMap<Long, Long> roundSentTick = new TreeMap<>();
    /** Round → the chosen prefix its heartbeats announced; a peer answering below it lacks entries. */
    final TreeMap<Long, Long> roundChosen = new TreeMap<>();
    long confirmedRound;
    final List<PendingRead> reads = new ArrayList<>();
    int heartbeatElapsed;
    long chosenAtLastHeartbeat;

    Leadership(Ballot ballot, long sinceTick, Membership membership) {
        this.ballot = ballot;
        this.sinceTick = sinceTick;
        this.nextMembership = membership;
    }

    Progress peer(int node, long nowTick) {
        return peers.computeIfAbsent(node, n -> new Progress(nowTick));
    }
}
