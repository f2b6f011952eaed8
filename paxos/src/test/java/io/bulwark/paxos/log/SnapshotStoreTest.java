package io.bulwark.paxos.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.storage.FileStore;
import io.bulwark.core.storage.LocalFileStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotStoreTest {

    @TempDir
    Path senderDir;
    @TempDir
    Path receiverDir;
    FileStore senderFiles;
    FileStore receiverFiles;
    SnapshotStore sender;
    SnapshotStore receiver;

    @BeforeEach
    void setUp() throws IOException {
        senderFiles = LocalFileStore.open(senderDir);
        receiverFiles = LocalFileStore.open(receiverDir);
        sender = SnapshotStore.open(senderFiles);
        receiver = SnapshotStore.open(receiverFiles);
    }

    private static byte[] state(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 17 + n);
        }
        return b;
    }

    private static byte[] meta(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void saveThenLatest() throws IOException {
        assertThat(sender.latest()).isEmpty();
        sender.save(42, meta("members=a,b,c"), state(1000));
        assertThat(senderFiles.list()).containsExactly("snap-00000000000000000042.snap");
        assertThat(sender.latest()).contains(new StoredSnapshot(42, meta("members=a,b,c"), state(1000)));
        assertThat(sender.latestIndex()).hasValue(42);
        assertThat(senderFiles.readAll(SnapshotStore.fileName(42))).hasSize(SnapshotStore.HEADER_BYTES + 13 + 1000);
    }

    @Test
    void keepsTheNewestTwo() throws IOException {
        for (long index = 10; index <= 50; index += 10) {
            sender.save(index, meta("m" + index), state((int) index));
        }
        assertThat(senderFiles.list()).containsExactly(SnapshotStore.fileName(40), SnapshotStore.fileName(50));
        assertThat(sender.latest().orElseThrow().index()).isEqualTo(50);
        assertThatThrownBy(() -> sender.save(45, meta(""), state(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("older than the newest saved snapshot 50");
    }

    @Test
    void corruptNewestSnapshotThrowsInsteadOfFallingBack() throws IOException {
        sender.save(1, meta("old"), state(100));
        sender.save(2, meta("new"), state(100));
        String newest = SnapshotStore.fileName(2);
        byte[] content = senderFiles.readAll(newest);
        content[SnapshotStore.HEADER_BYTES + 50] ^= 0x10;
        senderFiles.writeAtomically(newest, content);

        assertThatThrownBy(sender::latest)
                .isInstanceOfSatisfying(CorruptSnapshotException.class,
                        e -> assertThat(e.fileName()).isEqualTo(newest))
                .hasMessageContaining(newest)
                .hasMessageContaining("CRC32C mismatch")
                .hasMessageContaining("Not falling back");
    }

    @Test
    void truncatedOrForeignSnapshotFilesAreCorrupt() throws IOException {
        senderFiles.writeAtomically(SnapshotStore.fileName(3), new byte[10]);
        assertThatThrownBy(sender::latest).isInstanceOf(CorruptSnapshotException.class)
                .hasMessageContaining("shorter than the 28-byte header");
        senderFiles.writeAtomically(SnapshotStore.fileName(3), new byte[40]);
        assertThatThrownBy(sender::latest).hasMessageContaining("bad magic");
        // A valid snapshot saved under the wrong name.
        senderFiles.writeAtomically(SnapshotStore.fileName(3),
                SnapshotStore.encode(new StoredSnapshot(4, meta("m"), state(5))));
        assertThatThrownBy(sender::latest).hasMessageContaining("header says index 4 but index 3 was expected");
    }

    @Test
    void sizeLimitIsEnforced() throws IOException {
        SnapshotStore small = SnapshotStore.open(senderFiles, 100);
        assertThatThrownBy(() -> small.save(1, meta("m"), state(100)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds maxSnapshotBytes 100");
        assertThatThrownBy(() -> SnapshotStore.open(senderFiles, 5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> small.beginReceive(1, 101, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Sends [from, to) of the source in chunks of {@code chunkBytes}. */
    private static void send(SnapshotSource source, SnapshotReceiver to, long untilBytes, int chunkBytes)
            throws IOException {
        byte[] buf = new byte[chunkBytes];
        while (to.receivedBytes() < untilBytes) {
            int n = source.read(to.receivedBytes(), buf, 0, (int) Math.min(chunkBytes, untilBytes - to.receivedBytes()));
            to.write(to.receivedBytes(), Arrays.copyOf(buf, n));
        }
    }

    @Test
    void chunkedReceiveResumesAfterReopen() throws IOException {
        StoredSnapshot original = new StoredSnapshot(77, meta("cfg"), state(10_000));
        sender.save(original.index(), original.metadata(), original.state());
        try (SnapshotSource source = sender.openSource(77)) {
            assertThat(source.sizeBytes()).isEqualTo(SnapshotStore.HEADER_BYTES + 3 + 10_000);
            assertThat(source.crc32c()).isEqualTo(SnapshotStore.headerCrc32c(SnapshotStore.encode(original)));

            try (SnapshotReceiver first = receiver.beginReceive(77, source.sizeBytes(), source.crc32c())) {
                assertThat(first.receivedBytes()).isZero();
                send(source, first, 4_000, 1_000);
                assertThatThrownBy(() -> first.write(0, new byte[10]))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("resend from offset 4000");
            } // the receiving replica restarts here

            SnapshotStore restarted = SnapshotStore.open(LocalFileStore.open(receiverDir));
            SnapshotReceiver second = restarted.beginReceive(77, source.sizeBytes(), source.crc32c());
            assertThat(second.receivedBytes()).isEqualTo(4_000);
            send(source, second, source.sizeBytes(), 3_333);
            assertThat(second.finish()).isEqualTo(original);
        }
        assertThat(receiverFiles.list()).containsExactly(SnapshotStore.fileName(77));
        assertThat(receiver.latest()).contains(original);
    }

    @Test
    void aPartialForADifferentSnapshotIsDiscarded() throws IOException {
        sender.save(5, meta("a"), state(500));
        try (SnapshotSource source = sender.openSource(5)) {
            try (SnapshotReceiver r = receiver.beginReceive(5, source.sizeBytes(), source.crc32c())) {
                send(source, r, 100, 50);
            }
            // Same index, different content: the sender re-snapshotted.
            try (SnapshotReceiver r = receiver.beginReceive(5, source.sizeBytes() + 1, source.crc32c())) {
                assertThat(r.receivedBytes()).isZero();
            }
        }
    }

    @Test
    void corruptChunkIsDetectedAtFinishAndThePartialRemoved() throws IOException {
        sender.save(9, meta("m"), state(2_000));
        try (SnapshotSource source = sender.openSource(9)) {
            SnapshotReceiver r = receiver.beginReceive(9, source.sizeBytes(), source.crc32c());
            byte[] all = new byte[(int) source.sizeBytes()];
            source.read(0, all, 0, all.length);
            all[1_500] ^= 0x01; // damaged in transit
            r.write(0, Arrays.copyOfRange(all, 0, 1_000));
            r.write(1_000, Arrays.copyOfRange(all, 1_000, all.length));
            assertThatThrownBy(r::finish).isInstanceOfSatisfying(CorruptSnapshotException.class,
                    e -> assertThat(e.fileName()).isEqualTo("snap-00000000000000000009.partial"))
                    .hasMessageContaining("CRC32C mismatch");
        }
        assertThat(receiverFiles.list()).isEmpty();
        assertThat(receiver.latest()).isEmpty();
    }

    @Test
    void wrongHeaderIsRejectedAsSoonAsItArrives() throws IOException {
        sender.save(9, meta("m"), state(2_000));
        try (SnapshotSource source = sender.openSource(9)) {
            SnapshotReceiver r = receiver.beginReceive(9, source.sizeBytes(), source.crc32c() ^ 1);
            byte[] head = new byte[64];
            source.read(0, head, 0, head.length);
            assertThatThrownBy(() -> r.write(0, head)).isInstanceOf(CorruptSnapshotException.class)
                    .hasMessageContaining("differs from the announced");
        }
        assertThat(receiverFiles.list()).isEmpty();
    }

    @Test
    void finishBeforeAllBytesArrivedIsAnIllegalState() throws IOException {
        try (SnapshotReceiver r = receiver.beginReceive(1, 100, 0)) {
            assertThatThrownBy(r::finish).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("received 0 of 100");
            assertThatThrownBy(() -> r.write(0, new byte[101])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("runs past");
        }
    }

    @Test
    void receivedSnapshotAppliesRetentionAndObsoletePartialsGo() throws IOException {
        receiver.save(1, meta("a"), state(10));
        receiver.save(2, meta("b"), state(10));
        sender.save(3, meta("c"), state(10));
        try (SnapshotReceiver stale = receiver.beginReceive(2, 100, 0)) {
            assertThat(stale.receivedBytes()).isZero();
        }
        try (SnapshotSource source = sender.openSource(3)) {
            SnapshotReceiver r = receiver.beginReceive(3, source.sizeBytes(), source.crc32c());
            send(source, r, source.sizeBytes(), 1024);
            r.finish();
        }
        assertThat(receiverFiles.list()).containsExactly(SnapshotStore.fileName(2), SnapshotStore.fileName(3));
    }

    @Test
    void openSourceOfAMissingSnapshotSaysSo() {
        assertThatThrownBy(() -> sender.openSource(1)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("no snapshot saved at index 1");
    }
}
