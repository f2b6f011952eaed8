package io.bulwark.lock.spi;

import java.util.regex.Pattern;

/**
 * Identifies one acquisition request and, once granted, its lease: the client's id plus a sequence number
 * the client never reuses. Renew, release and abandon act only on the owner id they name, which is how a
 * stale or duplicate message is kept from touching someone else's lease.
 *
 * <p>Immutable; thread-safe.
 *
 * @param clientId the client's id ({@link io.bulwark.lock.LockClientOptions#clientId()}): 1 to 96 characters
 *                 of {@code [A-Za-z0-9._/-]}
 * @param sequence positive, unique within the client
 */
public record OwnerId(String clientId, long sequence) implements Comparable<OwnerId> {

    private static final Pattern CLIENT_ID = Pattern.compile("[A-Za-z0-9._/-]{1,96}");

    /** @throws IllegalArgumentException if the client id has other characters or the sequence is not positive */
    public OwnerId {
        if (clientId == null || !CLIENT_ID.matcher(clientId).matches()) {
            throw new IllegalArgumentException("owner client id must be 1 to 96 characters of [A-Za-z0-9._/-], was "
                    + clientId);
        }
        if (sequence <= 0) {
            throw new IllegalArgumentException("owner sequence must be positive, was " + sequence);
        }
    }

    @Override
    public int compareTo(OwnerId other) {
        int byClient = clientId.compareTo(other.clientId);
        return byClient != 0 ? byClient : Long.compare(sequence, other.sequence);
    }

    /** {@code clientId#sequence}, the form used in logs and {@link io.bulwark.lock.LockInfo.Holder#owner()}. */
    @Override
    public String toString() {
        return clientId + "#" + sequence;
    }
}
