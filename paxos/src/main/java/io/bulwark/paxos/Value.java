package io.bulwark.paxos;

import java.util.List;

/**
 * What a log slot holds once chosen: nothing (a gap filled by a new leader), a batch of client
 * commands, or a new membership. Immutable.
 */
public sealed interface Value {

    /** Fills a slot for which recovery found no accepted value (Lamport, "Paxos Made Simple", section 3). */
    record Noop() implements Value {
        @Override
        public String toString() {
            return "noop";
        }
    }

    /** Client commands chosen together in one slot: the unit of batching. */
    record Batch(List<Command> commands) implements Value {
        public Batch {
            if (commands.isEmpty()) {
                throw new IllegalArgumentException("a batch needs at least one command");
            }
            commands = List.copyOf(commands);
        }

        @Override
        public String toString() {
            return "batch" + commands;
        }
    }

    /** The membership for every slot after the one this value is chosen in. */
    record Reconfigure(Membership membership) implements Value {
        @Override
        public String toString() {
            return "reconfigure(" + membership + ")";
        }
    }

    /** The single no-op value. */
    Value NOOP = new Noop();
}
