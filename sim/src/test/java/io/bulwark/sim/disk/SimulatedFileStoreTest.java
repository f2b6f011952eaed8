package io.bulwark.sim.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.core.RandomSource;
import io.bulwark.core.storage.LogFile;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The simulated disk's own contract, checked directly and over many seeded crashes. */
class SimulatedFileStoreTest {

    /** A random source whose every draw is 0: no pending byte survives a crash, nothing is torn. */
    static final RandomSource PERSIST_NOTHING = () -> 0L;

    private static byte[] bytes(int n, int salt) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (i * 13 + salt);
        }
        return b;
    }

    private static void append(LogFile f, byte[] data) throws IOException {
        f.append(data, 0, data.length);
    }

    @Test
    void appendsAreVisibleAtOnceButDurableOnlyAfterSync() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore();
        LogFile f = disk.open("a");
        append(f, bytes(100, 1));
        assertThat(disk.readAll("a")).isEqualTo(bytes(100, 1));
        assertThat(disk.durableNames()).isEmpty(); // never synced: not even the name is durable
        f.sync();
        assertThat(disk.durableContent("a")).isEqualTo(bytes(100, 1));
        append(f, bytes(50, 2));
        assertThat(disk.hasUnsyncedChanges("a")).isTrue();
        assertThat(disk.durableContent("a")).hasSize(100);
        assertThat(disk.syncCount()).isEqualTo(1);

        disk.crash(PERSIST_NOTHING);
        assertThat(disk.readAll("a")).isEqualTo(bytes(100, 1));
        assertThat(disk.hasUnsyncedChanges("a")).isFalse();
    }

    @Test
    void neverSyncedFilesVanishInACrashAndOldHandlesDie() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore();
        LogFile synced = disk.open("synced");
        synced.sync();
        LogFile unsynced = disk.open("unsynced");
        append(unsynced, bytes(10, 0));
        disk.crash(RandomSource.seeded(1));
        assertThat(disk.list()).containsExactly("synced");
        assertThatThrownBy(() -> synced.append(new byte[1], 0, 1)).isInstanceOf(IOException.class)
                .hasMessageContaining("before a simulated crash");
        assertThatThrownBy(() -> synced.read(0, new byte[1], 0, 1)).isInstanceOf(IOException.class);
    }

    @Test
    void aProcessCrashKillsHandlesButKeepsThePageCache() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore();
        LogFile f = disk.open("log");
        append(f, bytes(10, 1));
        f.sync();
        append(f, bytes(10, 2));
        disk.crashProcess();
        assertThatThrownBy(() -> f.append(new byte[1], 0, 1)).isInstanceOf(IOException.class);
        assertThat(disk.readAll("log")).hasSize(20);
        assertThat(disk.durableContent("log")).hasSize(10);
        LogFile reopened = disk.open("log");
        reopened.sync();
        assertThat(disk.durableContent("log")).hasSize(20);
    }

    @Test
    void atomicWriteRenameAndDeleteAreDurableAtOnce() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore();
        disk.writeAtomically("meta", bytes(7, 3));
        LogFile f = disk.open("partial");
        append(f, bytes(20, 4));
        f.sync();
        disk.rename("partial", "final");
        disk.writeAtomically("gone", bytes(1, 0));
        disk.delete("gone");
        disk.delete("never-existed");
        disk.crash(RandomSource.seeded(2));
        assertThat(disk.list()).containsExactly("final", "meta");
        assertThat(disk.readAll("final")).isEqualTo(bytes(20, 4));
        assertThat(disk.readAll("meta")).isEqualTo(bytes(7, 3));
        assertThatThrownBy(() -> disk.rename("nope", "x")).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> disk.readAll("gone")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void renamingANeverSyncedFileMakesItsNameDurableButNotItsBytes() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore();
        LogFile f = disk.open("tmp");
        append(f, bytes(30, 5));
        disk.rename("tmp", "named");
        disk.crash(PERSIST_NOTHING);
        assertThat(disk.readAll("named")).isEmpty();
    }

    /**
     * Over many seeds, a crash leaves durable + a prefix of the pending bytes, where only the prefix's last
     * sector may hold garbage and never over bytes that were already durable; and each outcome happens.
     */
    @Test
    void crashPersistsARandomPossiblyTornPrefixOfTheUnsyncedTail() throws IOException {
        int nothing = 0;
        int everything = 0;
        int partial = 0;
        int torn = 0;
        for (long seed = 0; seed < 400; seed++) {
            SimulatedFileStore disk = new SimulatedFileStore();
            LogFile f = disk.open("log");
            byte[] durable = bytes(700, 9); // durable part ends mid-sector, so tearing could reach it
            append(f, durable);
            f.sync();
            byte[] pending = bytes(1500, 77);
            append(f, pending);
            disk.crash(RandomSource.seeded(seed));

            byte[] after = disk.readAll("log");
            assertThat(after.length).as("seed %d", seed).isBetween(700, 2200);
            assertThat(Arrays.copyOf(after, 700)).as("durable bytes untouched, seed %d", seed).isEqualTo(durable);
            int persisted = after.length - 700;
            int tornFrom = Math.max(700, ((after.length - 1) / 512) * 512);
            assertThat(Arrays.equals(after, 700, tornFrom, pending, 0, tornFrom - 700))
                    .as("seed %d: persisted bytes before the last sector are exactly the pending ones", seed).isTrue();
            boolean garbage = !Arrays.equals(after, tornFrom, after.length, pending, tornFrom - 700, persisted);
            assertThat(disk.durableContent("log")).isEqualTo(after);
            if (persisted == 0) {
                nothing++;
            } else if (garbage) {
                torn++;
            } else if (persisted == pending.length) {
                everything++;
            } else {
                partial++;
            }
        }
        assertThat(nothing).isGreaterThan(60);
        assertThat(everything).isGreaterThan(20);
        assertThat(partial).isGreaterThan(20);
        assertThat(torn).isGreaterThan(60);
    }

    @Test
    void crashesReplayExactlyFromTheSeed() throws IOException {
        byte[][] outcomes = new byte[2][];
        for (int run = 0; run < 2; run++) {
            SimulatedFileStore disk = new SimulatedFileStore();
            LogFile f = disk.open("log");
            append(f, bytes(100, 1));
            f.sync();
            append(f, bytes(3000, 2));
            disk.crash(RandomSource.seeded(12345));
            outcomes[run] = disk.readAll("log");
        }
        assertThat(outcomes[0]).isEqualTo(outcomes[1]);
    }

    @Test
    void pendingTruncationEitherPersistsOrNot() throws IOException {
        boolean sawTruncated = false;
        boolean sawOriginal = false;
        for (long seed = 0; seed < 50; seed++) {
            SimulatedFileStore disk = new SimulatedFileStore();
            LogFile f = disk.open("log");
            append(f, bytes(100, 1));
            f.sync();
            f.truncate(40);
            append(f, bytes(10, 2));
            assertThat(disk.readAll("log")).hasSize(50);
            assertThat(disk.durableContent("log")).isEqualTo(bytes(100, 1));
            disk.crash(RandomSource.seeded(seed));
            byte[] after = disk.readAll("log");
            if (Arrays.equals(after, bytes(100, 1))) {
                sawOriginal = true;
            } else {
                sawTruncated = true;
                assertThat(after.length).isBetween(40, 50);
                assertThat(Arrays.copyOf(after, 40)).isEqualTo(Arrays.copyOf(bytes(100, 1), 40));
            }
        }
        assertThat(sawOriginal).isTrue();
        assertThat(sawTruncated).isTrue();
    }

    @Test
    void flipBitChangesDurableAndVisibleContent() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore();
        disk.writeAtomically("f", new byte[4]);
        disk.flipBit("f", 8 * 2 + 5);
        assertThat(disk.readAll("f")).containsExactly(0, 0, 32, 0);
        assertThat(disk.durableContent("f")).containsExactly(0, 0, 32, 0);
        assertThatThrownBy(() -> disk.flipBit("f", 32)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("outside the 4 durable bytes");
        // Durable bytes hidden by an unsynced truncation can still rot.
        LogFile f = disk.open("f");
        f.truncate(1);
        disk.flipBit("f", 8 * 3);
        assertThat(disk.durableContent("f")).containsExactly(0, 0, 32, 1);
        assertThat(disk.readAll("f")).containsExactly(0);
    }

    @Test
    void failedSyncLosesPendingDataAndTheHandleRefusesToRetry() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore();
        LogFile f = disk.open("log");
        append(f, bytes(100, 1));
        f.sync();
        append(f, bytes(100, 2));
        disk.failNextSync();
        assertThatThrownBy(f::sync).isInstanceOf(IOException.class).hasMessageContaining("simulated EIO");
        assertThatThrownBy(f::sync).isInstanceOf(IOException.class).hasMessageContaining("had a failed fsync");
        assertThat(disk.readAll("log")).hasSize(200); // still visible, like a clean page in the cache

        // fsyncgate: a second handle's fsync "succeeds", but the lost pages are not on disk.
        LogFile again = disk.open("log");
        again.sync();
        byte[] durable = disk.durableContent("log");
        assertThat(Arrays.copyOf(durable, 100)).isEqualTo(bytes(100, 1));
        assertThat(Arrays.copyOfRange(durable, 100, 200)).isEqualTo(new byte[100]);
        assertThat(disk.syncCount()).isEqualTo(2);
    }

    @Test
    void failedSyncDataIsGoneAfterACrash() throws IOException {
        for (long seed = 0; seed < 20; seed++) {
            SimulatedFileStore disk = new SimulatedFileStore();
            LogFile f = disk.open("log");
            append(f, bytes(100, 1));
            f.sync();
            append(f, bytes(100, 2));
            disk.failNextSync();
            assertThatThrownBy(f::sync).isInstanceOf(IOException.class);
            disk.crash(RandomSource.seeded(seed));
            assertThat(disk.readAll("log")).isEqualTo(bytes(100, 1));
        }
    }

    @Test
    void failSyncAfterCountsSuccessfulSyncs() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore();
        LogFile a = disk.open("a");
        LogFile b = disk.open("b");
        disk.failSyncAfter(2);
        a.sync();
        b.sync();
        assertThatThrownBy(a::sync).isInstanceOf(IOException.class);
        b.sync(); // one failure only
        assertThat(disk.syncCount()).isEqualTo(3);
        disk.failNextSync();
        disk.clearSyncFailure();
        b.sync();
    }

    @Test
    void copiesAreIndependentAndDurableCopyHoldsOnlyDurableState() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore();
        LogFile f = disk.open("log");
        append(f, bytes(10, 1));
        f.sync();
        append(f, bytes(10, 2));
        disk.open("never-synced");

        SimulatedFileStore full = disk.copy();
        SimulatedFileStore durable = disk.durableCopy();
        append(f, bytes(5, 3));
        assertThat(full.readAll("log")).hasSize(20);
        assertThat(full.list()).containsExactly("log", "never-synced");
        assertThat(full.hasUnsyncedChanges("log")).isTrue();
        assertThat(durable.list()).containsExactly("log");
        assertThat(durable.readAll("log")).isEqualTo(bytes(10, 1));
        assertThat(disk.readAll("log")).hasSize(25);
    }

    @Test
    void capacityIsEnforced() throws IOException {
        SimulatedFileStore disk = new SimulatedFileStore(100);
        LogFile f = disk.open("log");
        append(f, new byte[60]);
        assertThatThrownBy(() -> append(f, new byte[50])).isInstanceOf(IOException.class)
                .hasMessageContaining("no space left on device");
        assertThatThrownBy(() -> disk.writeAtomically("other", new byte[50])).isInstanceOf(IOException.class);
        disk.writeAtomically("other", new byte[40]);
    }

    @Test
    void namesAreValidatedLikeOnARealDisk() {
        SimulatedFileStore disk = new SimulatedFileStore();
        assertThatThrownBy(() -> disk.open("../escape")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> disk.writeAtomically("a/b", new byte[0])).isInstanceOf(IllegalArgumentException.class);
    }
}
