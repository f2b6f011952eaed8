package io.bulwark.paxos;

import io.bulwark.core.Invariants;
import io.bulwark.core.RandomSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One Multi-Paxos replica: acceptor, learner and (when elected) proposer of one replicated log, as a pure
 * single-threaded state machine.
 *
 * <p>Inputs are {@link #step(Message)}, {@link #tick()}, {@link #propose(Command)}, {@link #read(long)},
 * {@link #proposeMembership(Membership)}, and the driver's reports {@link #persisted(long)},
 * {@link #compacted(SnapshotMeta)} and {@link #snapshotReceived}; the output is collected in a
 * {@link Ready} that {@link #ready()} hands over. The replica never reads a clock, sleeps, starts threads,
 * does I/O or uses randomness other than the seeded {@link RandomSource} it is given, and iterates only
 * sorted collections: the same inputs always produce the same outputs, which is what lets the simulator
 * replay any run from its seed.
 *
 * <p>The protocol, with the paper sections it follows:
 * <ul>
 *   <li>Ballots are (round, node id). A candidate runs phase 1 once for every slot after its chosen
 *       prefix (Lamport, "Paxos Made Simple", section 3) and recovers each slot's value from a quorum of
 *       promises (section 2.2; see {@link Candidacy}); gaps become no-ops.</li>
 *   <li>A leader then runs only phase 2, batching queued commands into slots and pipelining up to
 *       {@link ReplicaOptions#maxInFlightSlots()} slots. It sends accepts before its own disk write
 *       completes and counts its own acceptance only when {@link #persisted(long)} says it is durable.</li>
 *   <li>Followers learn decisions from the leader's chosen prefix: a slot they accepted at the leader's
 *       ballot holds exactly the value that leader chose. Slots they lack are sent as {@link Message.Learn}
 *       (chosen values) or, below the leader's compacted log, as a snapshot.</li>
 *   <li>Elections use randomized timeouts, a pre-vote round, and leader stickiness: a replica that heard
 *       a leader in the last {@code electionTimeoutTicks} refuses to promise anyone else, and a leader
 *       that cannot hear a quorum for that long steps down (check quorum). A candidate must have a chosen
 *       prefix at least as long as the acceptor's, so the promise never needs compacted slots.</li>
 *   <li>Reads are confirmed by a quorum-acknowledged heartbeat round (read index), batched per round, or
 *       served under the leader lease when {@link ReplicaOptions#leaseReads()} is on.</li>
 *   <li>Membership changes are log values, one voter at a time, effective for the slots after the one
 *       they are chosen in.</li>
 * </ul>
 *
 * <p>Not thread-safe: one driver thread owns a replica.
 */
public final class Replica {

    /** Id used as "no leader known". */
    public static final int NO_NODE = -1;

    private final int id;
    /** Which storage this replica runs on; it votes only if the membership names this incarnation. */
    private final long incarnation;
    private final ReplicaOptions options;
    private final RandomSource random;

    // Acceptor state. promised and the accepted entries are durable before any reply that depends on them.
    private Ballot promised;
    private final TreeMap<Long, Entry> log = new TreeMap<>();
    private long snapshotIndex;
    private SnapshotMeta snapshot;
    private long chosenIndex;
    /** Slot → membership in force after it (chosen reconfigurations, plus the base at key 0 or the snapshot). */
    private final TreeMap<Long, Membership> memberships = new TreeMap<>();

    // Volatile state.
    private Role role = Role.FOLLOWER;
    private long maxSeenRound;
    private int leaderHint = NO_NODE;
    private long tick;
    /** Last tick a leader (or this replica's own start, which may have forgotten one) was heard. */
    private long lastLeaderContactTick;
    private long electionElapsed;
    private long randomizedElectionTimeout;
    private Ballot preVoteBallot;
    private final TreeSet<Integer> preVotes = new TreeSet<>();
    private Candidacy candidacy;
    private Leadership leader;

    // Output.
    private Ready.Builder out = new Ready.Builder();
    private long readyId;
    /** Ready id → work that counts once that Ready is durable (own promise, own acceptances). */
    private final TreeMap<Long, SelfVote> awaitingDurability = new TreeMap<>();
    /** Replicas behind this one that it is sending its snapshot to (see tellChosen) → the offset last sent. */
    private final TreeMap<Integer, Long> helping = new TreeMap<>();

    private record SelfVote(Ballot ballot, boolean promise, List<Long> acceptedSlots) {
    }

    private Replica(int id, ReplicaOptions options, RandomSource random, Membership base, Recovered recovered) {
        this.id = id;
        this.incarnation = recovered.incarnation();
        this.options = options;
        this.random = random;
        this.promised = recovered.promised();
        this.maxSeenRound = promised.round();
        if (recovered.snapshot() != null) {
            SnapshotMeta s = recovered.snapshot();
            snapshot = s;
            snapshotIndex = s.index();
            chosenIndex = s.index();
            memberships.put(s.index(), s.membership());
            out.restoreSnapshot = s;
        } else {
            memberships.put(0L, base);
        }
        for (Entry e : recovered.entries()) {
            if (e.slot() <= snapshotIndex) {
                continue;
            }
            Entry existing = log.get(e.slot());
            if (existing != null && existing.chosen() && !e.chosen()) {
                continue;
            }
            log.put(e.slot(), e);
            maxSeenRound = Math.max(maxSeenRound, e.ballot().round());
        }
        // A recorded chosen prefix is trusted only as far as the entries it covers survived: the record is
        // written after them, so recovery of a log prefix keeps them together.
        for (Map.Entry<Long, Entry> e : log.subMap(snapshotIndex, false, recovered.chosenIndex(), true).entrySet()) {
            e.setValue(e.getValue().asChosen());
        }
        advanceChosen();
        // After a restart this replica may have forgotten a leader it was following; treating the start as
        // contact keeps it from promising anyone else for one election timeout, which the lease relies on.
        lastLeaderContactTick = 0;
        resetElectionTimer();
    }

    /**
     * A replica starting from what its storage recovered.
     *
     * @param id        this node's id; must be a member of {@code base} or be added later as a learner
     * @param base      the group's initial membership (ignored if the recovered snapshot carries one)
     * @param random    seeded randomness for election timeouts; owned by this replica from now on
     */
    public static Replica start(int id, ReplicaOptions options, RandomSource random, Membership base,
                                Recovered recovered) {
        if (id < 0) {
            throw new IllegalArgumentException("node ids must not be negative, was " + id);
        }
        return new Replica(id, options, random, base, recovered);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Queries.

    public int id() {
        return id;
    }

    /** The incarnation of the storage this replica runs on. */
    public long incarnation() {
        return incarnation;
    }

    /**
     * True if the membership counts this replica: it is a voter, on the storage the membership names. A
     * replica on wiped or rebuilt storage is not, until it has been replaced and promoted again.
     */
    public boolean isVoter() {
        return membership().isVoter(id, incarnation);
    }

    /** What the leader last heard of {@code node}'s chosen prefix, or -1 if this replica does not lead. */
    public long peerChosenIndex(int node) {
        if (role != Role.LEADER) {
            return -1;
        }
        Leadership.Progress p = leader.peers.get(node);
        return p == null ? 0 : p.chosenIndex;
    }

    public Role role() {
        return role;
    }

    /** The leader this replica believes in, or {@link #NO_NODE}. */
    public int leaderHint() {
        return role == Role.LEADER ? id : leaderHint;
    }

    /** Highest ballot this replica promised. */
    public Ballot promised() {
        return promised;
    }

    /** Every slot up to this one is chosen and known here. */
    public long chosenIndex() {
        return chosenIndex;
    }

    /** Slots up to this one are compacted into the latest snapshot. */
    public long snapshotIndex() {
        return snapshotIndex;
    }

    /** The membership in force after the chosen prefix. */
    public Membership membership() {
        return memberships.lastEntry().getValue();
    }

    /** The membership in force after {@code slot}; {@code slot} must not be below the snapshot. */
    public Membership membershipAt(long slot) {
        Invariants.check(slot >= snapshotIndex && slot <= chosenIndex,
                "membershipAt(" + slot + ") outside [" + snapshotIndex + ", " + chosenIndex + "]");
        return memberships.floorEntry(slot).getValue();
    }

    /** The entry held for {@code slot}, or null (not yet known, or compacted). */
    public Entry entry(long slot) {
        return log.get(slot);
    }

    /** Virtual time as seen by this replica, in ticks since it started. */
    public long currentTick() {
        return tick;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Inputs.

    /** One unit of time passed. */
    public void tick() {
        tick++;
        if (role == Role.LEADER) {
            tickLeader();
            return;
        }
        electionElapsed++;
        if (electionElapsed >= randomizedElectionTimeout) {
            resetElectionTimer();
            if (isVoter()) {
                startPreVote();
            } else {
                askForNews();
            }
        }
    }

    /**
     * A replica outside the voters that heard no leader for an election timeout asks the members it knows of
     * (with a pre-vote it never acts on): whoever knows more chosen entries tells it. That is how a learner
     * learns it was promoted, or a new node that it was added, when no leader is left to tell it — possibly
     * because it is itself one of the voters the next leader needs.
     */
    private void askForNews() {
        Ballot probe = nextBallot();
        for (int member : membership().all()) {
            if (member != id) {
                out.sendNow.add(new Message.PreVote(id, member, probe, chosenIndex));
            }
        }
    }

    /**
     * Queues a command for the next batch. Only the leader accepts commands; the result says what to do
     * otherwise. A queued command is chosen later or, if leadership is lost first, reported in
     * {@link Ready#abandoned()}.
     */
    public ProposeResult propose(Command command) {
        if (command.encodedSize() > options.maxCommandBytes()) {
            return ProposeResult.TOO_LARGE;
        }
        if (role != Role.LEADER) {
            return ProposeResult.NOT_LEADER;
        }
        if (leader.pending.size() >= options.maxPendingCommands()) {
            return ProposeResult.BUSY;
        }
        leader.pending.add(command);
        return ProposeResult.QUEUED;
    }

    /**
     * Proposes the next membership. It must differ from the current one by at most one voter, and no other
     * change may be in flight. Returns what happened, as for commands.
     */
    public ProposeResult proposeMembership(Membership next) {
        if (role != Role.LEADER) {
            return ProposeResult.NOT_LEADER;
        }
        if (leader.reconfigSlot != 0) {
            return ProposeResult.BUSY;
        }
        if (!leader.nextMembership.isSingleVoterChange(next)) {
            throw new IllegalArgumentException("membership may change by one voter at a time: "
                    + leader.nextMembership + " -> " + next);
        }
        if (leader.nextSlot - 1 - chosenIndex >= options.maxInFlightSlots()) {
            return ProposeResult.BUSY;
        }
        proposeNew(new Value.Reconfigure(next));
        return ProposeResult.QUEUED;
    }

    /**
     * Starts a linearizable read. A {@link ReadState} with this id appears in a later {@link Ready}: ok with
     * the index to apply up to before reading, or not ok if this replica is not (or stops being) the leader.
     */
    public void read(long readId) {
        if (role != Role.LEADER) {
            out.reads.add(new ReadState(readId, 0, false));
            return;
        }
        if (options.leaseReads() && leaderReadyForReads() && leaseValid()) {
            out.reads.add(new ReadState(readId, chosenIndex, true));
            return;
        }
        leader.reads.add(new Leadership.PendingRead(readId));
    }

    /** Handles a message from another replica. Messages not addressed to this replica are ignored. */
    public void step(Message message) {
        if (message.to() != id || message.from() == id) {
            return;
        }
        if (message instanceof Message.PreVote m) {
            onPreVote(m);
        } else if (message instanceof Message.PreVoteReply m) {
            onPreVoteReply(m);
        } else if (message instanceof Message.Prepare m) {
            onPrepare(m);
        } else if (message instanceof Message.Promise m) {
            onPromise(m);
        } else if (message instanceof Message.Reject m) {
            onReject(m);
        } else if (message instanceof Message.Accept m) {
            onAccept(m);
        } else if (message instanceof Message.Accepted m) {
            onAccepted(m);
        } else if (message instanceof Message.Heartbeat m) {
            onHeartbeat(m);
        } else if (message instanceof Message.HeartbeatReply m) {
            onHeartbeatReply(m);
        } else if (message instanceof Message.Learn m) {
            onLearn(m);
        } else if (message instanceof Message.InstallSnapshot m) {
            onInstallSnapshotWithoutStorage(m);
        } else if (message instanceof Message.SnapshotReply m) {
            onSnapshotReply(m);
        } else if (message instanceof Message.Handoff m) {
            onHandoff(m);
        } else {
            throw new AssertionError("unhandled message " + message);
        }
    }

    /**
     * Hands leadership to {@code successor}: tells every voter (a {@link Message.Handoff}) and steps down. The
     * successor campaigns at once, without waiting for its election timer; the others let it, and only it,
     * collect their promises although they heard this leader recently. This replica stops serving reads the
     * moment it steps down, so no leader lease outlives it. Commands still queued are reported abandoned and
     * slots in flight are recovered by the successor's phase 1, as after any change of leader.
     *
     * <p>Only to a voter on the storage the membership names that has every entry this leader knows chosen and
     * was heard from within two heartbeat intervals, and not while a membership change is in flight; otherwise
     * nothing changes and this returns false (try again later). If the handoff is lost the group elects a
     * leader as usual after an election timeout.
     *
     * @return whether this replica stepped down for {@code successor}
     */
    public boolean transferLeadership(int successor) {
        if (role != Role.LEADER || successor == id || leader.reconfigSlot != 0) {
            return false;
        }
        Membership m = membership();
        Long incarnation = m.incarnationOf(successor);
        Leadership.Progress p = leader.peers.get(successor);
        if (incarnation == null || !m.isVoter(successor, incarnation) || p == null || p.incarnation != incarnation
                || p.chosenIndex < chosenIndex || tick - p.lastHeardTick > 2L * options.heartbeatTicks()) {
            return false;
        }
        Ballot ballot = leader.ballot;
        for (int voter : m.voters()) {
            if (voter != id) {
                out.sendNow.add(new Message.Handoff(id, voter, ballot, successor));
            }
        }
        stepDown(successor);
        // Still bound by the lease it granted itself: refuse every candidate but the successor for a timeout.
        lastLeaderContactTick = tick;
        return true;
    }

    private void onHandoff(Message.Handoff m) {
        // Only from the leader this replica follows, at the ballot it promised: a handoff from an older
        // leadership, or one overtaken by a newer leader, changes nothing.
        if (role == Role.LEADER || !m.ballot().equals(promised) || m.ballot().nodeId() != m.from()) {
            return;
        }
        if (m.successor() == id) {
            if (isVoter()) {
                becomeFollowerState();
                startCandidacy();
            }
            return;
        }
        // Stickiness now spares the successor: its Prepare is answered although the old leader was heard lately.
        leaderHint = m.successor();
    }

    /** The driver made the Ready with this id durable: this replica's own promise and acceptances count now. */
    public void persisted(long readyId) {
        NavigableMap<Long, SelfVote> done = awaitingDurability.headMap(readyId, true);
        for (SelfVote vote : done.values()) {
            if (vote.promise() && role == Role.CANDIDATE && candidacy.ballot.equals(vote.ballot())) {
                candidacy.addPromise(id, incarnation, entriesAfter(chosenIndex));
                maybeFinishPhase1();
            }
            if (role == Role.LEADER && leader.ballot.equals(vote.ballot())) {
                for (long slot : vote.acceptedSlots()) {
                    acknowledge(slot, id, incarnation);
                }
            }
        }
        done.clear();
    }

    /**
     * The driver saved a snapshot of the state applied through {@code meta.index()} (which must be chosen);
     * the log up to it is dropped here and may be deleted from storage.
     */
    public void compacted(SnapshotMeta meta) {
        if (meta.index() <= snapshotIndex) {
            return;
        }
        Invariants.check(meta.index() <= chosenIndex, "snapshot at " + meta.index() + " beyond chosen " + chosenIndex);
        log.headMap(meta.index(), true).clear();
        Membership at = memberships.floorEntry(meta.index()).getValue();
        memberships.headMap(meta.index(), true).clear();
        memberships.put(meta.index(), at);
        snapshotIndex = meta.index();
        snapshot = meta;
    }

    /**
     * The driver wrote a received snapshot chunk: it now holds {@code receivedBytes} of the snapshot, and
     * {@code completed} (non-null) once the whole snapshot is verified and saved. Replies to the sender.
     */
    public void snapshotReceived(Message.InstallSnapshot chunk, long receivedBytes, SnapshotMeta completed) {
        if (chunk.to() != id) {
            return;
        }
        if (chunk.ballot().equals(Ballot.ZERO)) {
            // A fellow replica's snapshot, sent because this one was behind it: a fact about the chosen prefix,
            // installed like a leader's, but no leader contact.
            installIfNewer(completed);
            out.sendNow.add(new Message.SnapshotReply(id, chunk.from(), chunk.ballot(), chunk.index(),
                    completed != null || chunk.index() <= chosenIndex ? chunk.totalBytes() : receivedBytes, chosenIndex));
            return;
        }
        if (chunk.ballot().below(promised)) {
            // From a deposed leader: no contact, but a snapshot it completed is still a fact about the chosen
            // prefix. Installing it matters: the driver has already stored it, and would otherwise hold a newer
            // snapshot than this replica knows of when the next leader sends its own, older one.
            installIfNewer(completed);
            out.sendNow.add(new Message.Reject(id, chunk.from(), chunk.ballot(), promised, chosenIndex));
            return;
        }
        followLeader(chunk.ballot(), chunk.from());
        installIfNewer(completed);
        out.sendNow.add(new Message.SnapshotReply(id, chunk.from(), chunk.ballot(), chunk.index(),
                completed != null || chunk.index() <= chosenIndex ? chunk.totalBytes() : receivedBytes, chosenIndex));
    }

    /** Takes the output accumulated since the last call. */
    public Ready ready() {
        if (role == Role.LEADER) {
            flushPending();
            startReadRoundIfNeeded();
        }
        readyId++;
        Ready ready = out.build(readyId, chosenIndex);
        if (!pendingSelf.acceptedSlots.isEmpty() || pendingSelf.promise) {
            awaitingDurability.put(readyId, new SelfVote(pendingSelf.ballot, pendingSelf.promise,
                    List.copyOf(pendingSelf.acceptedSlots)));
        }
        pendingSelf = new PendingSelf();
        out = new Ready.Builder();
        return ready;
    }

    private static final class PendingSelf {
        Ballot ballot;
        boolean promise;
        final List<Long> acceptedSlots = new ArrayList<>();
    }

    private PendingSelf pendingSelf = new PendingSelf();

    // ---------------------------------------------------------------------------------------------------------
    // Elections.

    private void resetElectionTimer() {
        electionElapsed = 0;
        randomizedElectionTimeout = options.electionTimeoutTicks() + random.nextLong(options.electionTimeoutTicks());
    }

    /** True while this replica must not help depose the leader it last heard (or may have forgotten). */
    private boolean inLeaderLease() {
        return role == Role.LEADER || tick - lastLeaderContactTick < options.electionTimeoutTicks();
    }

    private Ballot nextBallot() {
        return new Ballot(Math.max(maxSeenRound, promised.round()) + 1, id);
    }

    private void startPreVote() {
        becomeFollowerState();
        role = Role.PRE_CANDIDATE;
        preVoteBallot = nextBallot();
        preVotes.clear();
        preVotes.add(id);
        if (membership().isQuorum(preVotes)) {
            startCandidacy();
            return;
        }
        for (int voter : membership().voters()) {
            if (voter != id) {
                out.sendNow.add(new Message.PreVote(id, voter, preVoteBallot, chosenIndex));
            }
        }
    }

    private void onPreVote(Message.PreVote m) {
        // The ballot is not compared: the real Prepare picks a fresh one, and a Reject tells the candidate
        // the round to beat. Comparing here would leave a candidate that missed a round stuck forever.
        // Any replica not known to be on replaced storage grants: the candidate counts only the voters of its own
        // membership, which may already include this one (a promotion, or an addition, it has not learned yet).
        // A replica its membership names on other storage refuses: it was wiped and must not help anyone campaign.
        Long named = membership().incarnationOf(id);
        boolean replaced = named != null && named != incarnation;
        // Knowing more than the candidate is a reason to refuse only for a voter, which could lead instead; a
        // replica outside the voters (removed, or a learner) cannot, and refusing would only stall the group.
        boolean granted = !replaced && !inLeaderLease() && (m.chosenIndex() >= chosenIndex || !isVoter());
        out.sendNow.add(new Message.PreVoteReply(id, m.from(), m.ballot(), granted));
        if (m.chosenIndex() < chosenIndex) {
            tellChosen(m.from(), m.chosenIndex());
        }
    }

    /**
     * Tells a replica that is behind the chosen entries it lacks (as many as one message holds). Chosen values are
     * facts, whoever reports them: a candidate that every better-informed replica refuses would otherwise wait for
     * a leader to catch it up — and there may be none, when the better-informed replicas have since been removed
     * from the group, or are not voters in the candidate's outdated view. Sent with the lowest ballot, so the
     * receiver learns without taking the sender for a leader.
     */
    private void tellChosen(int to, long theirChosenIndex) {
        if (theirChosenIndex < snapshotIndex) {
            // Compacted here: send the snapshot instead (also a fact: the state after the chosen prefix), from
            // where the receiver's last answer said it was; its answers pace the rest of the transfer.
            Long offset = helping.get(to);
            out.snapshotSends.add(new Ready.SnapshotSend(to, Ballot.ZERO, snapshot, offset == null ? 0 : offset));
            helping.put(to, offset == null ? 0 : offset);
            return;
        }
        List<Entry> chosen = new ArrayList<>();
        for (Entry e : log.tailMap(theirChosenIndex, false).values()) {
            if (!e.chosen() || chosen.size() >= options.maxEntriesPerMessage()) {
                break;
            }
            chosen.add(e);
        }
        if (!chosen.isEmpty()) {
            out.sendNow.add(new Message.Learn(id, to, Ballot.ZERO, chosen, chosenIndex));
        }
    }

    private void onPreVoteReply(Message.PreVoteReply m) {
        if (role != Role.PRE_CANDIDATE || !m.ballot().equals(preVoteBallot) || !m.granted()) {
            return;
        }
        preVotes.add(m.from());
        if (membership().isQuorum(preVotes)) {
            startCandidacy();
        }
    }

    private void startCandidacy() {
        role = Role.CANDIDATE;
        leaderHint = NO_NODE;
        Ballot ballot = nextBallot();
        maxSeenRound = ballot.round();
        promised = ballot;
        out.promise = ballot;
        candidacy = new Candidacy(ballot);
        // Acceptances queued under an earlier leadership must not be counted for this ballot.
        pendingSelf = new PendingSelf();
        pendingSelf.ballot = ballot;
        pendingSelf.promise = true;
        resetElectionTimer();
        askForPromises();
    }

    private void askForPromises() {
        for (int voter : candidacy.votersToAsk(membership(), chosenIndex)) {
            if (voter != id && candidacy.asked.add(voter)) {
                out.sendNow.add(new Message.Prepare(id, voter, candidacy.ballot, chosenIndex));
            }
        }
    }

    private void onPrepare(Message.Prepare m) {
        boolean stale = m.ballot().below(promised);
        boolean behind = m.chosenIndex() < chosenIndex;
        // Leader stickiness: refuse while a leader we heard recently may still hold a lease; the candidate
        // retries after its own timeout. A candidate we already promised may retransmit, though.
        // The leader itself re-running phase 1 is not a disruption.
        boolean sticky = inLeaderLease() && leaderHint != m.from()
                && !(m.ballot().equals(promised) && leaderHint == NO_NODE);
        // The promise says which storage it comes from; the candidate counts it only for memberships that name
        // this node on exactly that storage. A replica on storage no membership names (its disk was wiped, so it
        // may have forgotten promises its earlier incarnation made) is thus never counted, while one the
        // membership names but that has not learned it yet — a learner whose promotion is still pending, or a
        // new node whose own log ends before it was even added — is counted where it votes, as it must be for
        // the group to elect when the leader died mid-change.
        if (behind && !stale && !isVoter()) {
            // A replica that cannot lead (removed, or a learner) must not make the candidate step aside, as a
            // Reject naming a longer chosen prefix would; it cannot promise either (it may have compacted slots
            // the candidate must recover), so it stays silent and tells the candidate what it lacks.
            tellChosen(m.from(), m.chosenIndex());
            return;
        }
        if (stale || behind || sticky) {
            out.sendNow.add(new Message.Reject(id, m.from(), m.ballot(), promised, chosenIndex));
            if (behind) {
                tellChosen(m.from(), m.chosenIndex());
            }
            return;
        }
        if (m.ballot().above(promised)) {
            promised = m.ballot();
            out.promise = promised;
            maxSeenRound = Math.max(maxSeenRound, promised.round());
        }
        if (role != Role.FOLLOWER) {
            becomeFollowerState();
        }
        leaderHint = NO_NODE;
        resetElectionTimer();
        out.sendAfterSync.add(new Message.Promise(id, m.from(), m.ballot(), chosenIndex, entriesAfter(m.chosenIndex()),
                incarnation));
    }

    /** Every entry held after {@code slot}, in slot order (what a compaction checkpoint must keep). */
    public List<Entry> entriesAfter(long slot) {
        return new ArrayList<>(log.tailMap(slot, false).values());
    }

    private void onPromise(Message.Promise m) {
        if (role != Role.CANDIDATE || !m.ballot().equals(candidacy.ballot)) {
            return;
        }
        candidacy.addPromise(m.from(), m.incarnation(), m.entries());
        // Recovery may reveal a membership change whose voters must be asked too.
        askForPromises();
        maybeFinishPhase1();
    }

    private void maybeFinishPhase1() {
        if (candidacy.hasPromiseFrom(id) && candidacy.complete(membership(), chosenIndex)) {
            becomeLeader();
        }
    }

    private void onReject(Message.Reject m) {
        maxSeenRound = Math.max(maxSeenRound, m.promised().round());
        boolean mine = switch (role) {
            case CANDIDATE -> m.rejected().equals(candidacy.ballot);
            case LEADER -> m.rejected().equals(leader.ballot);
            default -> false;
        };
        if (!mine) {
            return;
        }
        if (role == Role.LEADER && m.promised().above(m.rejected()) && m.chosenIndex() <= chosenIndex) {
            // An acceptor promised a higher ballot, but our chosen prefix is at least as long as its own, so
            // we are as well placed as anyone: run phase 1 again at once with a ballot above it, instead of
            // leaving the group leaderless for an election timeout (a late starter that promised itself a
            // ballot it can never win must not depose a healthy leader).
            becomeFollowerState();
            startCandidacy();
            return;
        }
        // A higher promise means someone else is running; a longer chosen prefix means that acceptor will
        // never promise us. Either way stepping aside lets the better-placed candidate win.
        if (m.promised().above(m.rejected()) || m.chosenIndex() > chosenIndex) {
            stepDown(NO_NODE);
        }
    }

    private void becomeLeader() {
        Ballot ballot = candidacy.ballot;
        TreeMap<Long, Entry> recovered = candidacy.recovered(chosenIndex);
        candidacy = null;
        role = Role.LEADER;
        leaderHint = id;
        leader = new Leadership(ballot, tick, membership());
        for (int member : allPeers()) {
            leader.peer(member, tick);
        }
        long maxSlot = recovered.isEmpty() ? chosenIndex : Math.max(chosenIndex, recovered.lastKey());
        leader.nextSlot = chosenIndex + 1;
        for (long slot = chosenIndex + 1; slot <= maxSlot; slot++) {
            Entry found = recovered.get(slot);
            if (found != null && found.chosen()) {
                learnChosen(new Entry(slot, found.ballot(), found.value(), true));
                leader.nextSlot = slot + 1;
                if (found.value() instanceof Value.Reconfigure r) {
                    // Chosen but beyond our chosen prefix: later slots are already governed by it.
                    leader.nextMembership = r.membership();
                }
                continue;
            }
            Value value = found == null ? Value.NOOP : found.value();
            proposeAt(slot, value);
        }
        // A no-op in our own ballot: once it is chosen every earlier decision is known here, so reads and
        // the chosen prefix are trustworthy (the analogue of Raft's no-op at term start).
        leader.readyIndex = leader.nextSlot;
        proposeNew(Value.NOOP);
        advanceChosen();
        sendHeartbeats();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Phase 2: leader side.

    private void proposeNew(Value value) {
        proposeAt(leader.nextSlot, value);
    }

    private void proposeAt(long slot, Value value) {
        Invariants.check(slot >= leader.nextSlot, "proposing slot " + slot + " below next " + leader.nextSlot);
        leader.nextSlot = slot + 1;
        Entry entry = new Entry(slot, leader.ballot, value, false);
        Membership governing = leader.nextMembership;
        if (value instanceof Value.Reconfigure r) {
            leader.reconfigSlot = slot;
            leader.nextMembership = r.membership();
        }
        Leadership.Proposal p = new Leadership.Proposal(entry, governing, tick);
        leader.inFlight.put(slot, p);
        log.put(slot, entry);
        out.entries.add(entry);
        out.needsSync = true;
        if (!leader.ballot.equals(pendingSelf.ballot)) {
            pendingSelf = new PendingSelf();
            pendingSelf.ballot = leader.ballot;
        }
        pendingSelf.acceptedSlots.add(slot);
        for (int peer : allPeers()) {
            queueAccept(peer, entry);
        }
    }

    /** Accept messages being assembled this round: peer → consecutive entries. */
    private final TreeMap<Integer, List<Entry>> accepting = new TreeMap<>();

    private void queueAccept(int peer, Entry entry) {
        List<Entry> run = accepting.computeIfAbsent(peer, p -> new ArrayList<>());
        if (!run.isEmpty() && (run.get(run.size() - 1).slot() + 1 != entry.slot()
                || run.size() >= options.maxEntriesPerMessage())) {
            flushAccepts(peer);
            run = accepting.computeIfAbsent(peer, p -> new ArrayList<>());
        }
        run.add(entry);
    }

    private void flushAccepts(int peer) {
        List<Entry> run = accepting.remove(peer);
        if (run != null && !run.isEmpty()) {
            out.sendNow.add(new Message.Accept(id, peer, leader.ballot, run, chosenIndex));
        }
    }

    private void flushAllAccepts() {
        for (int peer : new ArrayList<>(accepting.keySet())) {
            flushAccepts(peer);
        }
    }

    /** Moves queued commands into batches while the window has room. */
    private void flushPending() {
        while (!leader.pending.isEmpty() && leader.nextSlot - 1 - chosenIndex < options.maxInFlightSlots()) {
            List<Command> batch = new ArrayList<>();
            long bytes = 0;
            while (!leader.pending.isEmpty()) {
                Command next = leader.pending.peek();
                if (!batch.isEmpty() && bytes + next.encodedSize() > options.maxBatchBytes()) {
                    break;
                }
                batch.add(leader.pending.poll());
                bytes += next.encodedSize();
            }
            proposeNew(new Value.Batch(batch));
        }
        flushAllAccepts();
    }

    private void onAccepted(Message.Accepted m) {
        if (role != Role.LEADER || !m.ballot().equals(leader.ballot)) {
            return;
        }
        Leadership.Progress peer = heardFrom(m.from(), m.chosenIndex(), m.incarnation(), 0);
        if (peer == null) {
            return;
        }
        for (long slot = m.firstSlot(); slot <= m.lastSlot(); slot++) {
            acknowledge(slot, m.from(), m.incarnation());
        }
        continueCatchUp(m.from(), peer);
    }

    /**
     * Records a reply from {@code node}, or returns null to ignore it. A reply from another incarnation than
     * the last one heard switches the peer to it only if it answers a newer heartbeat round than anything
     * the current one answered: a reply the old storage sent before it was wiped, delayed in the network,
     * must not make the leader believe the old storage is back.
     */
    private Leadership.Progress heardFrom(int node, long peerChosenIndex, long peerIncarnation, long round) {
        Leadership.Progress peer = leader.peer(node, tick);
        if (peer.incarnation != peerIncarnation) {
            if (round == 0 || round <= peer.ackedRound) {
                return null;
            }
            // New storage: nothing we knew about the old one (its chosen prefix, its rounds) holds.
            peer.incarnation = peerIncarnation;
            peer.chosenIndex = 0;
            peer.ackedRound = 0;
        }
        peer.lastHeardTick = tick;
        peer.chosenIndex = Math.max(peer.chosenIndex, peerChosenIndex);
        return peer;
    }

    /** True if the leader's last word from {@code node} came from the storage the membership names. */
    private boolean counted(Membership m, int node) {
        if (node == id) {
            return true;
        }
        Leadership.Progress p = leader.peers.get(node);
        return p != null && m.isVoter(node, p.incarnation);
    }

    private void acknowledge(long slot, int node, long nodeIncarnation) {
        if (role != Role.LEADER) {
            return; // a chosen reconfiguration may have removed this leader mid-loop
        }
        Leadership.Proposal p = leader.inFlight.get(slot);
        if (p == null || !p.membership.isVoter(node, nodeIncarnation)) {
            return;
        }
        p.acks.add(node);
        if (p.membership.isQuorum(p.acks)) {
            leader.inFlight.remove(slot);
            markChosen(p.entry);
            advanceChosen();
        }
    }

    private void tickLeader() {
        checkQuorum();
        if (role != Role.LEADER) {
            return;
        }
        leader.heartbeatElapsed++;
        if (leader.heartbeatElapsed >= options.heartbeatTicks()) {
            sendHeartbeats();
        }
        // Every tick, not with the heartbeat: reads start heartbeat rounds of their own and restart that timer,
        // so under steady reads a lost accept would never be sent again (each proposal keeps its own clock).
        retransmit();
    }

    /** A leader that has not heard a quorum for an election timeout steps down (check quorum). */
    private void checkQuorum() {
        if (tick - leader.sinceTick < options.electionTimeoutTicks()) {
            return;
        }
        TreeSet<Integer> recent = new TreeSet<>();
        recent.add(id);
        for (Map.Entry<Integer, Leadership.Progress> e : leader.peers.entrySet()) {
            if (tick - e.getValue().lastHeardTick < options.electionTimeoutTicks()
                    && counted(membership(), e.getKey()) && counted(leader.nextMembership, e.getKey())) {
                recent.add(e.getKey());
            }
        }
        if (!membership().isQuorum(recent) || !leader.nextMembership.isQuorum(recent)) {
            stepDown(NO_NODE);
        }
    }

    private void sendHeartbeats() {
        leader.heartbeatElapsed = 0;
        leader.round++;
        leader.roundSentTick.put(leader.round, tick);
        leader.roundChosen.put(leader.round, chosenIndex);
        // Keep the round tables bounded: rounds far older than a lease can never confirm anything useful.
        while (leader.roundSentTick.size() > 64) {
            leader.roundSentTick.pollFirstEntry();
            leader.roundChosen.pollFirstEntry();
        }
        for (int peer : allPeers()) {
            out.sendNow.add(new Message.Heartbeat(id, peer, leader.ballot, chosenIndex, leader.round));
            Leadership.Progress progress = leader.peer(peer, tick);
            // A live peer that stayed behind the chosen prefix we told it a whole heartbeat ago lacks entries.
            if (progress.chosenIndex < leader.chosenAtLastHeartbeat
                    && tick - progress.lastHeardTick < options.electionTimeoutTicks()) {
                catchUp(peer, progress, false);
            }
        }
        leader.chosenAtLastHeartbeat = chosenIndex;
        confirmRounds();
    }

    private void retransmit() {
        for (Leadership.Proposal p : leader.inFlight.values()) {
            if (tick - p.sentTick < options.retransmitTicks()) {
                continue;
            }
            p.sentTick = tick;
            for (int peer : allPeers()) {
                if (!p.acks.contains(peer)) {
                    queueAccept(peer, p.entry);
                }
            }
        }
        flushAllAccepts();
    }

    private void onHeartbeatReply(Message.HeartbeatReply m) {
        if (role != Role.LEADER || !m.ballot().equals(leader.ballot)) {
            return;
        }
        Leadership.Progress peer = heardFrom(m.from(), m.chosenIndex(), m.incarnation(), m.round());
        if (peer == null) {
            return;
        }
        peer.ackedRound = Math.max(peer.ackedRound, m.round());
        confirmRounds();
        if (role != Role.LEADER) {
            return;
        }
        maintainMembership(m.from(), peer);
        Long announced = leader.roundChosen.get(m.round());
        if (announced != null && m.chosenIndex() < announced) {
            // The heartbeat told it the chosen prefix and it could not follow: it lacks those entries.
            catchUp(m.from(), peer, false);
        } else {
            continueCatchUp(m.from(), peer);
        }
    }

    /**
     * Membership upkeep, one change at a time: a member heard on storage other than the membership names
     * (its disk was wiped or rebuilt) is replaced by a learner on its new storage, which takes it out of
     * every quorum; a learner whose chosen prefix has caught up with the leader's is promoted to voter.
     */
    private void maintainMembership(int node, Leadership.Progress peer) {
        if (leader.reconfigSlot != 0 || !leaderReadyForReads()) {
            return;
        }
        Membership next = leader.nextMembership;
        Long named = next.incarnationOf(node);
        if (named == null) {
            return;
        }
        if (named != peer.incarnation) {
            proposeMembership(next.replacing(node, peer.incarnation));
        } else if (next.learnerIncarnations().containsKey(node)
                && peer.chosenIndex >= addedAt(node, named)
                && peer.chosenIndex + options.maxEntriesPerMessage() >= chosenIndex) {
            proposeMembership(next.withPromoted(node));
        }
    }

    /**
     * The slot whose membership change made {@code node} a learner on storage {@code incarnation} (the snapshot's
     * index if that is compacted). A learner is promoted only once its chosen prefix reaches it: then it holds
     * everything chosen before it was added (from the snapshot or the log) and accepted everything since. Being
     * merely close to the leader's chosen prefix is not enough — a new node of a young group is "close" with
     * nothing at all, and a voter holding nothing weakens every quorum it completes.
     */
    private long addedAt(int node, long incarnation) {
        for (Map.Entry<Long, Membership> e : memberships.entrySet()) {
            Long inc = e.getValue().learnerIncarnations().get(node);
            if (inc != null && inc == incarnation) {
                return Math.max(snapshotIndex, e.getKey());
            }
        }
        return chosenIndex;
    }

    /** After a catch-up message was answered, send the next one at once instead of waiting a heartbeat. */
    private void continueCatchUp(int node, Leadership.Progress peer) {
        if (role == Role.LEADER && peer.learnUpTo > 0 && peer.chosenIndex >= peer.learnUpTo && peer.chosenIndex < chosenIndex) {
            catchUp(node, peer, true);
        }
    }

    /** Sends a lagging peer the chosen entries it lacks, or the snapshot if they are compacted. */
    private void catchUp(int node, Leadership.Progress peer, boolean force) {
        if (!force && tick - peer.learnSentTick < options.retransmitTicks()) {
            return;
        }
        if (peer.chosenIndex < snapshotIndex) {
            sendSnapshot(node, peer);
            return;
        }
        List<Entry> chosen = new ArrayList<>();
        for (Entry e : log.tailMap(peer.chosenIndex, false).values()) {
            if (!e.chosen() || chosen.size() >= options.maxEntriesPerMessage()) {
                break;
            }
            chosen.add(e);
        }
        if (chosen.isEmpty()) {
            return;
        }
        peer.learnSentTick = tick;
        peer.learnUpTo = chosen.get(chosen.size() - 1).slot();
        out.sendNow.add(new Message.Learn(id, node, leader.ballot, chosen, chosenIndex));
    }

    private void sendSnapshot(int node, Leadership.Progress peer) {
        if (peer.snapshotIndex != snapshotIndex) {
            peer.snapshotIndex = snapshotIndex;
            peer.snapshotOffset = 0;
        }
        if (tick - peer.snapshotSentTick < options.retransmitTicks()) {
            return;
        }
        peer.snapshotSentTick = tick;
        peer.learnSentTick = tick;
        out.snapshotSends.add(new Ready.SnapshotSend(node, leader.ballot, snapshot, peer.snapshotOffset));
    }

    private void onSnapshotReply(Message.SnapshotReply m) {
        if (m.ballot().equals(Ballot.ZERO)) {
            // A transfer this replica sent to help one behind it (see tellChosen): send the next chunk, or stop.
            if (helping.containsKey(m.from()) && snapshot != null && m.index() == snapshotIndex
                    && m.receivedBytes() < snapshot.totalBytes() && m.chosenIndex() < snapshotIndex) {
                helping.put(m.from(), m.receivedBytes());
                out.snapshotSends.add(new Ready.SnapshotSend(m.from(), Ballot.ZERO, snapshot, m.receivedBytes()));
            } else {
                helping.remove(m.from());
            }
            return;
        }
        if (role != Role.LEADER || !m.ballot().equals(leader.ballot)) {
            return;
        }
        Leadership.Progress peer = leader.peer(m.from(), tick);
        peer.lastHeardTick = tick;
        peer.chosenIndex = Math.max(peer.chosenIndex, m.chosenIndex());
        if (m.index() == peer.snapshotIndex && m.receivedBytes() < snapshot.totalBytes()) {
            // Resume exactly where the receiver is; a chunk lost in the network is simply sent again.
            peer.snapshotOffset = m.receivedBytes();
            peer.snapshotSentTick = Long.MIN_VALUE / 2;
            sendSnapshot(m.from(), peer);
        } else if (peer.chosenIndex >= snapshotIndex) {
            peer.learnUpTo = peer.chosenIndex;
            continueCatchUp(m.from(), peer);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Reads.

    private boolean leaderReadyForReads() {
        return chosenIndex >= leader.readyIndex;
    }

    private boolean leaseValid() {
        Long sent = leader.roundSentTick.get(leader.confirmedRound);
        return sent != null && tick < sent + options.leaseTicks();
    }

    private void startReadRoundIfNeeded() {
        if (!leaderReadyForReads()) {
            return;
        }
        boolean needRound = false;
        for (Leadership.PendingRead r : leader.reads) {
            if (r.round == 0) {
                r.index = chosenIndex;
                r.round = leader.round + 1;
                needRound = true;
            }
        }
        if (needRound) {
            sendHeartbeats();
        }
    }

    /** The newest round a quorum has acknowledged confirms leadership for every read attached up to it. */
    private void confirmRounds() {
        List<Long> acked = new ArrayList<>();
        for (int voter : membership().voters()) {
            if (voter == id) {
                acked.add(leader.round);
            } else {
                Leadership.Progress p = leader.peers.get(voter);
                // A replica on other storage than the membership names may have promised another leader.
                acked.add(p == null || !counted(membership(), voter) ? 0 : p.ackedRound);
            }
        }
        acked.sort(java.util.Comparator.reverseOrder());
        long confirmed = acked.get(membership().quorumSize() - 1);
        if (confirmed <= leader.confirmedRound) {
            return;
        }
        leader.confirmedRound = confirmed;
        leader.reads.removeIf(r -> {
            if (r.round != 0 && r.round <= confirmed) {
                out.reads.add(new ReadState(r.readId, r.index, true));
                return true;
            }
            return false;
        });
    }

    // ---------------------------------------------------------------------------------------------------------
    // Phase 2: acceptor and learner side.

    private void onAccept(Message.Accept m) {
        if (m.ballot().below(promised)) {
            out.sendNow.add(new Message.Reject(id, m.from(), m.ballot(), promised, chosenIndex));
            return;
        }
        followLeader(m.ballot(), m.from());
        for (Entry e : m.entries()) {
            if (e.slot() <= snapshotIndex) {
                continue;
            }
            Entry existing = log.get(e.slot());
            if (existing != null && existing.chosen()) {
                Invariants.check(existing.value().equals(e.value()),
                        "slot " + e.slot() + " chosen as " + existing.value() + " but proposed " + e.value());
                continue;
            }
            if (existing != null && existing.ballot().equals(m.ballot())) {
                continue; // a resent accept: already logged (one ballot proposes one value per slot)
            }
            Entry accepted = new Entry(e.slot(), m.ballot(), e.value(), false);
            log.put(e.slot(), accepted);
            out.entries.add(accepted);
        }
        learnFromLeader(m.ballot(), m.chosenIndex());
        if (!m.entries().isEmpty()) {
            out.sendAfterSync.add(new Message.Accepted(id, m.from(), m.ballot(), m.entries().get(0).slot(),
                    m.entries().get(m.entries().size() - 1).slot(), chosenIndex, incarnation));
        }
    }

    private void onHeartbeat(Message.Heartbeat m) {
        if (m.ballot().below(promised)) {
            out.sendNow.add(new Message.Reject(id, m.from(), m.ballot(), promised, chosenIndex));
            return;
        }
        followLeader(m.ballot(), m.from());
        learnFromLeader(m.ballot(), m.chosenIndex());
        out.sendNow.add(new Message.HeartbeatReply(id, m.from(), m.ballot(), chosenIndex, m.round(), incarnation));
    }

    private void onLearn(Message.Learn m) {
        // Chosen values are facts, whoever reports them; only leader contact depends on the ballot.
        for (Entry e : m.entries()) {
            if (e.chosen() && e.slot() > chosenIndex) {
                learnChosen(e);
            }
        }
        advanceChosen();
        if (m.ballot().equals(Ballot.ZERO)) {
            return; // a fellow replica's help, not a leader's: no reply, no leader contact
        }
        if (!m.ballot().below(promised)) {
            followLeader(m.ballot(), m.from());
        }
        out.sendNow.add(new Message.HeartbeatReply(id, m.from(), m.ballot(), chosenIndex, 0, incarnation));
    }

    /** Installs a completed snapshot (a fact about the chosen prefix, whoever sent it) if it is ahead of this replica. */
    private void installIfNewer(SnapshotMeta completed) {
        if (completed != null && completed.index() > chosenIndex) {
            installSnapshot(completed);
        }
    }

    private void onInstallSnapshotWithoutStorage(Message.InstallSnapshot m) {
        // Snapshot chunks need the driver's storage first; a driver that hands one to step() instead of
        // snapshotReceived() gets the receiver's progress as zero bytes, so the sender restarts cleanly.
        snapshotReceived(m, 0, null);
    }

    /** Promises {@code ballot} if it is new, and follows its leader. */
    private void followLeader(Ballot ballot, int leaderId) {
        if (ballot.above(promised)) {
            promised = ballot;
            out.promise = ballot;
        }
        maxSeenRound = Math.max(maxSeenRound, ballot.round());
        if (role != Role.FOLLOWER) {
            becomeFollowerState();
        }
        leaderHint = leaderId;
        lastLeaderContactTick = tick;
        electionElapsed = 0;
    }

    /** Slots this replica accepted at the leader's ballot hold exactly the values that leader chose. */
    private void learnFromLeader(Ballot ballot, long leaderChosenIndex) {
        if (leaderChosenIndex <= chosenIndex) {
            return;
        }
        for (Map.Entry<Long, Entry> e : log.subMap(chosenIndex, false, leaderChosenIndex, true).entrySet()) {
            Entry entry = e.getValue();
            if (!entry.chosen() && entry.ballot().equals(ballot)) {
                e.setValue(entry.asChosen());
            }
        }
        advanceChosen();
    }

    private void learnChosen(Entry chosen) {
        if (chosen.slot() <= snapshotIndex) {
            return;
        }
        Entry existing = log.get(chosen.slot());
        if (existing != null && existing.chosen()) {
            Invariants.check(existing.value().equals(chosen.value()), "slot " + chosen.slot() + " chosen as "
                    + existing.value() + " and as " + chosen.value());
            return;
        }
        Entry entry = chosen.asChosen();
        log.put(chosen.slot(), entry);
        out.entries.add(entry);
    }

    private void markChosen(Entry entry) {
        Entry existing = log.get(entry.slot());
        if (existing != null && existing.chosen()) {
            Invariants.check(existing.value().equals(entry.value()),
                    "slot " + entry.slot() + " chosen twice with different values");
            return;
        }
        log.put(entry.slot(), entry.asChosen());
    }

    /** Extends the chosen prefix and hands newly chosen entries to the driver, in slot order. */
    private void advanceChosen() {
        while (true) {
            Entry next = log.get(chosenIndex + 1);
            if (next == null || !next.chosen()) {
                break;
            }
            chosenIndex++;
            if (next.value() instanceof Value.Reconfigure r) {
                memberships.put(chosenIndex, r.membership());
                // Knowing which membership is chosen must survive a crash: a replica that forgot it would count
                // votes by the older membership, which may need a voter whose disk is gone since (the group can
                // then lose one more disk than that older membership tolerates and never elect again).
                out.needsSync = true;
                if (role == Role.LEADER && leader.reconfigSlot == chosenIndex) {
                    leader.reconfigSlot = 0;
                }
                if (role == Role.LEADER && !r.membership().isVoter(id)) {
                    // Removed from the voters: hand over by stepping down once the change is chosen. Tell the others
                    // first that it is chosen: until they know, they still count this replica among the voters and
                    // a quorum without it may be out of reach (a voter that has not learned of its own promotion
                    // refuses to vote), so no successor could be elected.
                    sendHeartbeats();
                    stepDown(NO_NODE);
                }
            }
            out.committed.add(next);
        }
    }

    private void installSnapshot(SnapshotMeta meta) {
        log.headMap(meta.index(), true).clear();
        memberships.clear();
        memberships.put(meta.index(), meta.membership());
        snapshotIndex = meta.index();
        snapshot = meta;
        chosenIndex = meta.index();
        out.restoreSnapshot = meta;
        advanceChosen();
    }

    // ---------------------------------------------------------------------------------------------------------
    // Role changes.

    private void stepDown(int newLeader) {
        becomeFollowerState();
        leaderHint = newLeader;
        resetElectionTimer();
    }

    /** Leaves candidate or leader state, giving back what that state owed the driver. */
    private void becomeFollowerState() {
        if (role == Role.LEADER) {
            out.abandoned.addAll(leader.pending);
            for (Leadership.PendingRead r : leader.reads) {
                out.reads.add(new ReadState(r.readId, 0, false));
            }
            flushAllAccepts();
            leader = null;
        }
        accepting.clear();
        candidacy = null;
        preVoteBallot = null;
        role = Role.FOLLOWER;
    }

    /** Every other member this replica talks to: voters and learners of the current and next membership. */
    private TreeSet<Integer> allPeers() {
        TreeSet<Integer> peers = new TreeSet<>(membership().all());
        if (leader != null) {
            peers.addAll(leader.nextMembership.all());
        }
        peers.remove(id);
        return peers;
    }
}
