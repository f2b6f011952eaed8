package io.bulwark.server.replication;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.SyncHookFileStore;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the {@link io.bulwark.core.storage.LogFile#sync()} calls a replica's log really issues (group
 * commits, segment rolls, sync markers), which is the number the group-commit goal is about. Use
 * {@link #store()} in place of the wrapped store. The counter may be read from any thread.
 */
final class CountingFileStore {

    private final LongAdder syncs = new LongAdder();
    private final FileStore store;

    CountingFileStore(FileStore delegate) {
        this.store = new SyncHookFileStore(delegate, name -> syncs.increment());
    }

    /** The wrapped store, counting syncs. */
    FileStore store() {
        return store;
    }

    /** File syncs so far. */
    long syncs() {
        return syncs.sum();
    }
}
