package io.bulwark.server.replication;

import io.bulwark.paxos.Message;
import java.io.IOException;
import java.util.function.Consumer;

/** Opens a replica driver's {@link GroupLink}, given where its inbound messages must go. */
@FunctionalInterface
public interface GroupLinkFactory {

    /**
     * @param inbound receives this group's inbound messages, from transport threads; only hands them off
     * @throws IOException if the link cannot be opened (e.g. its address cannot be bound)
     */
    GroupLink open(Consumer<Message> inbound) throws IOException;
}
