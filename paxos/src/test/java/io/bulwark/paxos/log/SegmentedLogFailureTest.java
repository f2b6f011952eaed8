package io.bulwark.paxos.log;

import static io.bulwark.paxos.log.LogTestSupport.payload;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LocalFileStore;
import io.bulwark.core.storage.SyncHookFileStore;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** fsync failures are fatal and never retried (ARCHITECTURE.md, "fsync errors are fatal, never retried"). */
class SegmentedLogFailureTest {

    @TempDir
    Path dir;

    /** A real store whose files' sync() throws once {@link #failSyncs} is set; counts the attempts. */
    static final class FailingSyncStore {
        boolean failSyncs;
        int syncAttempts;
        final FileStore store;

        FailingSyncStore(FileStore delegate) {
            this.store = new SyncHookFileStore(delegate, name -> {
                syncAttempts++;
                if (failSyncs) {
                    throw new IOException("injected EIO from fsync");
                }
            });
        }
    }

    @Test
    void afterAFailedFsyncEveryLaterCallThrowsAndFsyncIsNeverRetried() throws IOException {
        FailingSyncStore store = new FailingSyncStore(LocalFileStore.open(dir));
        SegmentedLog log = SegmentedLog.open(store.store, LogOptions.defaults());
        log.append(payload(1, 10));
        log.sync();
        log.append(payload(2, 10));
        store.failSyncs = true;
        int attemptsBefore = store.syncAttempts;

        assertThatThrownBy(log::sync).isInstanceOf(LogFailedException.class)
                .hasMessageContaining("fsync is never retried")
                .hasRootCauseMessage("injected EIO from fsync");
        assertThat(log.syncedLsn()).isEqualTo(1); // record 2 was never acknowledged

        store.failSyncs = false; // even a disk that "recovers" must not get a second fsync
        assertThatThrownBy(() -> log.append(payload(3, 10))).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(log::sync).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(log::markSynced).isInstanceOf(LogFailedException.class);
        assertThatThrownBy(() -> log.deleteSegmentsBelow(2)).isInstanceOf(LogFailedException.class);
        assertThat(store.syncAttempts).isEqualTo(attemptsBefore + 1);
        log.close();

        // A restart recovers from disk: at least the acknowledged record, and only records that were appended.
        try (SegmentedLog reopened = SegmentedLog.open(store.store, LogOptions.defaults())) {
            assertThat(reopened.recovered()).hasSizeBetween(1, 2);
            assertThat(reopened.recovered().get(0)).isEqualTo(new LogRecord(1, payload(1, 10)));
        }
    }

    @Test
    void aFailedFsyncDuringARollFailsTheLog() throws IOException {
        FailingSyncStore store = new FailingSyncStore(LocalFileStore.open(dir));
        LogOptions small = new LogOptions(200, 100, 0);
        try (SegmentedLog log = SegmentedLog.open(store.store, small)) {
            log.append(new byte[100]);
            store.failSyncs = true;
            assertThatThrownBy(() -> log.append(new byte[100])).isInstanceOf(LogFailedException.class);
            assertThatThrownBy(() -> log.append(new byte[1])).isInstanceOf(LogFailedException.class);
            assertThat(log.lastLsn()).isEqualTo(1);
        }
    }
}
