package io.bulwark.paxos.log;

import static io.bulwark.paxos.log.LogTestSupport.appendRaw;
import static io.bulwark.paxos.log.LogTestSupport.flipBit;
import static io.bulwark.paxos.log.LogTestSupport.frameOffset;
import static io.bulwark.paxos.log.LogTestSupport.payload;
import static io.bulwark.paxos.log.LogTestSupport.truncate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.RandomSource;
import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LocalFileStore;
import io.bulwark.paxos.log.RecoveryReport.TruncatedTail;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Recovery decisions of {@link SegmentedLog}: truncate a tail that was never synced, refuse
 * ({@link CorruptLogException}) anything that may have been acknowledged. See ARCHITECTURE.md,
 * "A disk lies".
 */
class SegmentedLogRecoveryTest {

    static final String FIRST = "wal-00000000000000000001.log";
    static final int PAYLOAD = 40;
    static final int FRAME = LogOptions.FRAME_OVERHEAD_BYTES + PAYLOAD;

    @TempDir
    Path dir;
    FileStore store;

    @BeforeEach
    void setUp() throws IOException {
        store = LocalFileStore.open(dir);
    }

    /** Appends records {@code from..to} (equal 40-byte payloads), syncing at the end if asked. */
    private void write(LogOptions options, int from, int to, boolean sync) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(store, options)) {
            for (int lsn = from; lsn <= to; lsn++) {
                assertThat(log.append(payload(lsn, PAYLOAD))).isEqualTo(lsn);
            }
            if (sync) {
                log.sync();
            }
        }
    }

    private void assertRecovers(LogOptions options, int lastLsn) throws IOException {
        try (SegmentedLog log = SegmentedLog.open(store, options)) {
            assertThat(log.recovered()).hasSize(lastLsn);
            for (LogRecord r : log.recovered()) {
                assertThat(r.payload()).isEqualTo(payload(r.lsn(), PAYLOAD));
            }
        }
    }

    @Test
    void tornTailIsTruncatedReportedAndEarlierRecordsKept() throws IOException {
        LogOptions options = LogOptions.defaults();
        write(options, 1, 10, true);
        write(options, 11, 12, false);
        // Record 12 was torn mid-frame and the rest of its sector is garbage.
        truncate(store, FIRST, frameOffset(11, PAYLOAD) + 30);
        RandomSource random = RandomSource.seeded(5);
        byte[] garbage = new byte[300];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = (byte) random.nextLong();
        }
        appendRaw(store, FIRST, garbage);

        try (SegmentedLog log = SegmentedLog.open(store, options)) {
            assertThat(log.recovered()).hasSize(11);
            TruncatedTail tail = log.recoveryReport().truncatedTail().orElseThrow();
            assertThat(tail.segmentName()).isEqualTo(FIRST);
            assertThat(tail.offsetBytes()).isEqualTo(frameOffset(11, PAYLOAD));
            assertThat(tail.droppedBytes()).isEqualTo(30 + 300);
            assertThat(log.lastLsn()).isEqualTo(11);
            assertThat(log.append(payload(12, PAYLOAD))).isEqualTo(12);
            log.sync();
        }
        assertThat(store.readAll(FIRST)).hasSize(12 * FRAME);
        try (SegmentedLog log = SegmentedLog.open(store, options)) {
            assertThat(log.recoveryReport().truncatedTail()).isEmpty();
        }
        assertRecovers(options, 12);
    }

    @Test
    void zeroFilledTailIsTruncated() throws IOException {
        // File systems extend files with zeros when the size reached the disk but the data did not.
        write(LogOptions.defaults(), 1, 3, true);
        appendRaw(store, FIRST, new byte[4096]);
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            assertThat(log.recovered()).hasSize(3);
            assertThat(log.recoveryReport().truncatedTail().orElseThrow().reason()).contains("bad length 0");
        }
    }

    @Test
    void flippedBitInSyncedRecordFollowedByLaterRecordsIsCorruption() throws IOException {
        write(LogOptions.defaults(), 1, 10, true);
        write(LogOptions.defaults(), 11, 15, true);
        long offset = frameOffset(2, PAYLOAD); // record 3
        flipBit(store, FIRST, (offset + LogOptions.FRAME_OVERHEAD_BYTES + 7) * 8 + 3);

        assertThatThrownBy(() -> SegmentedLog.open(store, LogOptions.defaults()))
                .isInstanceOfSatisfying(CorruptLogException.class, e -> {
                    assertThat(e.segmentName()).isEqualTo(FIRST);
                    assertThat(e.offsetBytes()).isEqualTo(offset);
                    assertThat(e.reason()).contains("bad CRC32C").contains("LSN 3");
                })
                .hasMessageContaining(FIRST)
                .hasMessageContaining("byte offset " + offset)
                .hasMessageContaining("Acknowledged (synced) data may be affected")
                .hasMessageContaining("rebuilt from its peers");
    }

    @Test
    void flippedBitInLastRecordFollowedByASyncMarkerIsCorruption() throws IOException {
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            for (int lsn = 1; lsn <= 5; lsn++) {
                log.append(payload(lsn, PAYLOAD));
            }
            log.markSynced();
        }
        flipBit(store, FIRST, (frameOffset(4, PAYLOAD) + LogOptions.FRAME_OVERHEAD_BYTES) * 8);
        assertThatThrownBy(() -> SegmentedLog.open(store, LogOptions.defaults()))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("byte offset " + frameOffset(4, PAYLOAD))
                .hasMessageContaining("says LSN 5 (>= 5) was synced");
    }

    @Test
    void flippedBitInLastSyncedRecordFollowedByAnUnsyncedRecordIsCorruption() throws IOException {
        write(LogOptions.defaults(), 1, 5, true);
        write(LogOptions.defaults(), 6, 6, false); // record 6 carries "synced up to 5"
        flipBit(store, FIRST, (frameOffset(4, PAYLOAD) + 30) * 8);
        assertThatThrownBy(() -> SegmentedLog.open(store, LogOptions.defaults()))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("says LSN 5 (>= 5) was synced");
    }

    @Test
    void flippedBitInUnsyncedLastRecordIsTruncated() throws IOException {
        write(LogOptions.defaults(), 1, 5, true);
        write(LogOptions.defaults(), 6, 6, false);
        flipBit(store, FIRST, (frameOffset(5, PAYLOAD) + 40) * 8 + 1);
        try (SegmentedLog log = SegmentedLog.open(store, LogOptions.defaults())) {
            assertThat(log.recovered()).hasSize(5);
            TruncatedTail tail = log.recoveryReport().truncatedTail().orElseThrow();
            assertThat(tail.offsetBytes()).isEqualTo(frameOffset(5, PAYLOAD));
            assertThat(tail.droppedBytes()).isEqualTo(FRAME);
            assertThat(tail.reason()).isEqualTo("bad CRC32C");
        }
    }

    @Test
    void flippedBitInAnEarlierSegmentIsCorruptionEvenAtItsEnd() throws IOException {
        LogOptions small = new LogOptions(3 * FRAME, PAYLOAD, 0); // three records per segment
        write(small, 1, 4, true);
        // Record 3 is the last frame of the first segment; nothing in that segment follows it.
        flipBit(store, FIRST, (frameOffset(2, PAYLOAD) + 26) * 8);
        assertThatThrownBy(() -> SegmentedLog.open(store, small))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining(FIRST)
                .hasMessageContaining("not the last segment");
    }

    @Test
    void missingMiddleSegmentIsCorruption() throws IOException {
        LogOptions small = new LogOptions(3 * FRAME, PAYLOAD, 0);
        write(small, 1, 10, true);
        store.delete("wal-00000000000000000004.log");
        assertThatThrownBy(() -> SegmentedLog.open(store, small))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("wal-00000000000000000007.log")
                .hasMessageContaining("previous segment ends at LSN 3");
    }

    @Test
    void tornFirstFrameOfANewSegmentLeavesAnEmptyActiveSegment() throws IOException {
        LogOptions small = new LogOptions(3 * FRAME, PAYLOAD, 0);
        write(small, 1, 4, false); // the roll synced 1-3; record 4 was never synced
        String second = "wal-00000000000000000004.log";
        truncate(store, second, 10);
        try (SegmentedLog log = SegmentedLog.open(store, small)) {
            assertThat(log.recovered()).hasSize(3);
            assertThat(log.recoveryReport().truncatedTail().orElseThrow().segmentName()).isEqualTo(second);
            assertThat(log.segmentNames()).containsExactly(FIRST, second);
            assertThat(log.append(payload(4, PAYLOAD))).isEqualTo(4);
        }
        assertRecovers(small, 4);
    }

    @Test
    void wrongLsnInACrcValidFrameIsCaught() throws IOException {
        write(LogOptions.defaults(), 1, 3, true);
        // A segment renamed by hand: its frames are intact but the LSNs no longer match the name.
        store.rename(FIRST, "wal-00000000000000000002.log");
        assertThatThrownBy(() -> SegmentedLog.open(store, LogOptions.defaults()))
                .isInstanceOf(CorruptLogException.class)
                .hasMessageContaining("LSN 1 where LSN 2 was expected");
    }
}
