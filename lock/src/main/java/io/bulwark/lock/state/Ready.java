package io.bulwark.lock.state;

import java.util.List;
import java.util.Optional;

/**
 * The output of one {@link LockStateMachine} step: the answer to the command that was applied (empty for
 * {@code tick}) and everything else that happened at that moment, in the order it happened (expiries
 * first, then the command's consequences such as grants to waiters). The driver delivers the reply to
 * the caller and routes each event to its owner. Immutable.
 *
 * @param reply  the answer to the applied command, if any
 * @param events other events, in order
 */
public record Ready(Optional<LockEvent> reply, List<LockEvent> events) {

    /** Copies {@code events}. */
    public Ready {
        if (reply == null || events == null) {
            throw new IllegalArgumentException("Ready needs a reply (possibly empty) and an event list");
        }
        events = List.copyOf(events);
    }

    /** The reply, for steps that always have one. */
    public LockEvent requireReply() {
        return reply.orElseThrow(() -> new IllegalStateException("this step (a tick) has no reply"));
    }
}
