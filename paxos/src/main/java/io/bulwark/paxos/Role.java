package io.bulwark.paxos;

/** What a replica is doing in the protocol right now. */
public enum Role {
    /** Accepts what the leader proposes; campaigns if the leader goes quiet (voters only). */
    FOLLOWER,
    /** Asking voters whether they would promise, without disturbing anyone. */
    PRE_CANDIDATE,
    /** Running phase 1 with a new ballot. */
    CANDIDATE,
    /** Completed phase 1; proposes values in phase 2. */
    LEADER
}
