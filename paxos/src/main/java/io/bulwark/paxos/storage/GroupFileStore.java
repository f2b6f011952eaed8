package io.bulwark.paxos.storage;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LogFile;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The files of one incarnation of one group inside a store that many groups share: every name is stored as
 * {@code g<group, 10 digits>-<incarnation, 16 hex digits>-<name>}, and {@link #list()} shows only this
 * group's files, without the prefix. That lets one {@link io.bulwark.paxos.log.SnapshotStore} per group live
 * in the directory of the node's {@link SharedLog} (whose segment names never start with {@code g}).
 *
 * <p>The incarnation is part of the name so that snapshot files left behind by an earlier replica of the same
 * group on this node (removed, then added again on new storage) can never be taken for the new one's.
 *
 * <p>Thread-safety: as thread-safe as the wrapped store.
 */
final class GroupFileStore implements FileStore {

    private static final int GROUP_DIGITS = 10;
    private static final int INCARNATION_DIGITS = 16;
    /** Length of every prefix: 'g', the group, '-', the incarnation, '-'. */
    static final int PREFIX_CHARS = 1 + GROUP_DIGITS + 1 + INCARNATION_DIGITS + 1;

    /** Which group and incarnation a prefixed name belongs to. */
    record Owner(int group, long incarnation) {
    }

    private final FileStore delegate;
    private final String prefix;

    GroupFileStore(FileStore delegate, int group, long incarnation) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.prefix = prefix(group, incarnation);
    }

    static String prefix(int group, long incarnation) {
        if (group < 0) {
            throw new IllegalArgumentException("group ids must not be negative, was " + group);
        }
        return "g" + String.format("%010d", group) + "-" + String.format("%016x", incarnation) + "-";
    }

    /** The owner encoded in {@code name}, or null if it is not a group file's name. */
    static Owner ownerOf(String name) {
        if (name.length() <= PREFIX_CHARS || name.charAt(0) != 'g' || name.charAt(1 + GROUP_DIGITS) != '-'
                || name.charAt(PREFIX_CHARS - 1) != '-') {
            return null;
        }
        try {
            long group = Long.parseLong(name.substring(1, 1 + GROUP_DIGITS));
            long incarnation = Long.parseUnsignedLong(name.substring(2 + GROUP_DIGITS, PREFIX_CHARS - 1), 16);
            if (group > Integer.MAX_VALUE) {
                return null;
            }
            return new Owner((int) group, incarnation);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    @Override
    public List<String> list() throws IOException {
        List<String> names = new ArrayList<>();
        for (String name : delegate.list()) {
            if (name.startsWith(prefix)) {
                names.add(name.substring(prefix.length())); // the delegate's order, which the prefix keeps
            }
        }
        return names;
    }

    @Override
    public boolean exists(String name) throws IOException {
        return delegate.exists(full(name));
    }

    @Override
    public LogFile open(String name) throws IOException {
        return delegate.open(full(name));
    }

    @Override
    public byte[] readAll(String name) throws IOException {
        return delegate.readAll(full(name));
    }

    @Override
    public void writeAtomically(String name, byte[] content) throws IOException {
        delegate.writeAtomically(full(name), content);
    }

    @Override
    public void rename(String from, String to) throws IOException {
        delegate.rename(full(from), full(to));
    }

    @Override
    public void delete(String name) throws IOException {
        delegate.delete(full(name));
    }

    /** Deletes every file of this group and incarnation. */
    void deleteAll() throws IOException {
        for (String name : list()) {
            delete(name);
        }
    }

    private String full(String name) {
        FileStore.requireValidName(name);
        return FileStore.requireValidName(prefix + name);
    }

    @Override
    public String toString() {
        return prefix + "* in " + delegate;
    }
}
