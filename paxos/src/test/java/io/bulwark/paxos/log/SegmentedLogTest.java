package io.bulwark.paxos.log;

import static io.bulwark.paxos.log.LogTestSupport.payload;
import static io.bulwark.paxos.log.LogTestSupport.segments;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LocalFileStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Normal operation of {@link SegmentedLog} on a real directory: no faults. */
class SegmentedLogTest {

    @TempDir
    Path dir;
    FileStore store;

    /** 100-byte payloads: three 125-byte frames fit in a 400-byte segment, the fourth rolls. */
    static final LogOptions SMALL = new LogOptions(400, 100, 64);

    @BeforeEach
    void setUp() throws IOException {
        store = LocalFileStore.open(dir);
    }

    @Test
    void appendSyncReopenRoundTrip() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            assertThat(log.recovered()).isEmpty();
            assertThat(log.recoveryReport()).isEqualTo(new RecoveryReport(0, 0, java.util.Optional.empty()));
            assertThat(log.append(payload(1, 10))).isEqualTo(1);
            assertThat(log.append(new byte[0])).isEqualTo(2);
            assertThat(log.append(payload(3, 5000))).isEqualTo(3);
            assertThat(log.syncedLsn()).isZero();
            log.sync();
            assertThat(log.syncedLsn()).isEqualTo(3);
            assertThat(log.lastLsn()).isEqualTo(3);
        }
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            assertThat(log.recovered()).containsExactly(new LogRecord(1, payload(1, 10)),
                    new LogRecord(2, new byte[0]), new LogRecord(3, payload(3, 5000)));
            assertThat(log.recoveryReport().segmentsScanned()).isEqualTo(1);
            assertThat(log.recoveryReport().truncatedTail()).isEmpty();
            assertThat(log.lastLsn()).isEqualTo(3);
            assertThat(log.syncedLsn()).isEqualTo(3);
            assertThat(log.append(payload(4, 1))).isEqualTo(4);
        }
    }

    @Test
    void lsnsContinueAcrossSegmentsAndReopens() throws IOException {
        List<LogRecord> written = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            try (SegmentedLog log = SegmentedLog.open(store, SMALL)) {
                assertThat(log.recovered()).containsExactlyElementsOf(written);
                for (int i = 0; i < 5; i++) {
                    long lsn = log.lastLsn() + 1;
                    assertThat(log.append(payload(lsn, 100))).isEqualTo(lsn);
                    written.add(new LogRecord(lsn, payload(lsn, 100)));
                }
                log.sync();
            }
        }
        // 15 frames of 125 bytes, 3 per 400-byte segment.
        assertThat(segments(store)).containsExactly("wal-00000000000000000001.log", "wal-00000000000000000004.log",
                "wal-00000000000000000007.log", "wal-00000000000000000010.log", "wal-00000000000000000013.log");
        try (SegmentedLog log = SegmentedLog.open(store, SMALL)) {
            assertThat(log.recoveryReport().segmentsScanned()).isEqualTo(5);
            assertThat(log.recoveryReport().recordsRecovered()).isEqualTo(15);
        }
    }

    @Test
    void everySegmentButTheActiveOneIsSyncedWhenItRolls() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(store, SMALL)) {
            for (int i = 1; i <= 4; i++) {
                log.append(payload(i, 100));
            }
            // The fourth append rolled, which synced the first segment without any sync() call.
            assertThat(log.syncedLsn()).isEqualTo(3);
            assertThat(log.segmentNames()).hasSize(2);
        }
    }

    @Test
    void deleteSegmentsBelowKeepsTheActiveSegmentAndPartlyNeededOnes() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(store, SMALL)) {
            for (int i = 1; i <= 10; i++) {
                log.append(payload(i, 100));
            }
            log.sync();
            // Segments: [1-3] [4-6] [7-9] [10]
            log.deleteSegmentsBelow(6); // record 6 is still needed: only [1-3] goes
            assertThat(log.segmentNames()).containsExactly("wal-00000000000000000004.log",
                    "wal-00000000000000000007.log", "wal-00000000000000000010.log");
            log.deleteSegmentsBelow(Long.MAX_VALUE); // never the active segment
            assertThat(log.segmentNames()).containsExactly("wal-00000000000000000010.log");
            assertThat(log.append(payload(11, 100))).isEqualTo(11);
            log.sync();
        }
        try (SegmentedLog log = SegmentedLog.open(store, SMALL)) {
            assertThat(log.recovered()).extracting(LogRecord::lsn).containsExactly(10L, 11L);
            assertThat(log.append(payload(12, 1))).isEqualTo(12);
        }
    }

    @Test
    void oversizeRecordIsRejectedAndTheLogStaysUsable() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(store, SMALL)) {
            assertThatThrownBy(() -> log.append(new byte[101])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("101 bytes exceeds maxRecordBytes 100");
            assertThat(log.append(new byte[100])).isEqualTo(1);
            log.sync();
        }
    }

    @Test
    void recordsLargerThanTheWriteBufferBypassIt() throws IOException {
        LogOptions options = LogOptions.defaults().withWriteBufferBytes(16);
        try (SegmentedLog log = SegmentedLog.open(store, options)) {
            log.append(payload(1, 3));
            log.append(payload(2, 70_000));
            log.append(payload(3, 3));
            log.sync();
        }
        try (SegmentedLog log = SegmentedLog.open(store, options)) {
            assertThat(log.recovered()).containsExactly(new LogRecord(1, payload(1, 3)),
                    new LogRecord(2, payload(2, 70_000)), new LogRecord(3, payload(3, 3)));
        }
    }

    @Test
    void markSyncedWritesOneMarkerPerIdlePeriodAndMarkersTakeNoLsn() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            log.markSynced(); // empty log: nothing to vouch for
            log.append(payload(1, 10));
            log.markSynced();
            assertThat(log.syncedLsn()).isEqualTo(1);
            long size = store.readAll("wal-00000000000000000001.log").length;
            log.markSynced();
            log.markSynced();
            assertThat(store.readAll("wal-00000000000000000001.log")).hasSize((int) size);
            assertThat(size).isEqualTo(2L * LogOptions.FRAME_OVERHEAD_BYTES + 10);
            assertThat(log.append(payload(2, 10))).isEqualTo(2);
            log.markSynced();
        }
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            assertThat(log.recovered()).extracting(LogRecord::lsn).containsExactly(1L, 2L);
        }
    }

    @Test
    void closeWritesBufferedRecordsWithoutSyncingThem() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            log.append(payload(1, 10));
        }
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            // Still in the page cache after a clean close; open() syncs it before reporting it.
            assertThat(log.recovered()).containsExactly(new LogRecord(1, payload(1, 10)));
            assertThat(log.syncedLsn()).isEqualTo(1);
        }
    }

    @Test
    void useAfterCloseIsAnIllegalState() throws IOException {
        SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults());
        log.close();
        log.close();
        assertThatThrownBy(() -> log.append(new byte[1])).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void otherFilesInTheStoreAreIgnored() throws IOException {
        store.writeAtomically("snap-00000000000000000007.snap", new byte[] {1, 2, 3});
        store.writeAtomically("wal-notanumber.log", new byte[] {1});
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            assertThat(log.recovered()).isEmpty();
            assertThat(log.append(new byte[1])).isEqualTo(1);
        }
    }

    @Test
    void optionsAreValidatedWithClearMessages() {
        assertThatThrownBy(() -> new LogOptions(1000, 0, 0)).hasMessageContaining("maxRecordBytes must be in [1, ");
        assertThatThrownBy(() -> new LogOptions(100, 100, 0)).hasMessageContaining("maxRecordBytes + 25 = 125");
        assertThatThrownBy(() -> new LogOptions(2L << 30, 100, 0)).hasMessageContaining("maxSegmentBytes");
        assertThatThrownBy(() -> LogOptions.defaults().withWriteBufferBytes(-1))
                .hasMessageContaining("writeBufferBytes must be in [0, ");
        assertThat(LogOptions.defaults()).isEqualTo(new LogOptions(64L << 20, 16 << 20, 256 << 10));
    }
}
