package io.bulwark.core.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalFileStoreTest {

    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void openCreatesTheDirectoryAndListsSortedNames() throws IOException {
        LocalFileStore store = LocalFileStore.open(dir.resolve("a/b"));
        assertThat(Files.isDirectory(dir.resolve("a/b"))).isTrue();
        store.writeAtomically("zeta", bytes("z"));
        store.writeAtomically("alpha", bytes("a"));
        try (LogFile f = store.open("mid")) {
            f.sync();
        }
        assertThat(store.list()).containsExactly("alpha", "mid", "zeta");
        assertThat(store.exists("alpha")).isTrue();
        assertThat(store.exists("nope")).isFalse();
    }

    @Test
    void appendReadTruncateAndReopen() throws IOException {
        LocalFileStore store = LocalFileStore.open(dir);
        try (LogFile f = store.open("log")) {
            assertThat(f.name()).isEqualTo("log");
            assertThat(f.size()).isZero();
            byte[] hello = bytes("xxhello world");
            f.append(hello, 2, 11);
            assertThat(f.size()).isEqualTo(11);
            byte[] dst = new byte[20];
            assertThat(f.read(6, dst, 1, 20 - 1)).isEqualTo(5);
            assertThat(new String(dst, 1, 5, StandardCharsets.UTF_8)).isEqualTo("world");
            assertThat(f.read(11, dst, 0, 4)).isEqualTo(-1);
            f.truncate(5);
            f.sync();
            assertThat(f.size()).isEqualTo(5);
            assertThatThrownBy(() -> f.truncate(6)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("[0, 5]");
        }
        try (LogFile f = store.open("log")) {
            assertThat(f.size()).isEqualTo(5);
            f.append(bytes("!"), 0, 1);
        }
        assertThat(new String(store.readAll("log"), StandardCharsets.UTF_8)).isEqualTo("hello!");
    }

    @Test
    void writeAtomicallyReplacesAndLeavesNoTempFiles() throws IOException {
        LocalFileStore store = LocalFileStore.open(dir);
        store.writeAtomically("meta", bytes("v1"));
        store.writeAtomically("meta", bytes("version two"));
        assertThat(store.readAll("meta")).isEqualTo(bytes("version two"));
        try (var entries = Files.list(dir)) {
            assertThat(entries.map(p -> p.getFileName().toString())).containsExactly("meta");
        }
    }

    @Test
    void leftoverTempFilesAreHiddenAndCleanedOnOpen() throws IOException {
        Files.write(dir.resolve(FileStore.RESERVED_PREFIX + "123"), bytes("half written"));
        Files.write(dir.resolve("real"), bytes("r"));
        LocalFileStore store = LocalFileStore.open(dir);
        assertThat(store.list()).containsExactly("real");
        assertThat(Files.exists(dir.resolve(FileStore.RESERVED_PREFIX + "123"))).isFalse();
    }

    @Test
    void renameReplacesAtomicallyAndDeleteIsIdempotent() throws IOException {
        LocalFileStore store = LocalFileStore.open(dir);
        store.writeAtomically("a", bytes("A"));
        store.writeAtomically("b", bytes("B"));
        store.rename("a", "b");
        assertThat(store.list()).containsExactly("b");
        assertThat(store.readAll("b")).isEqualTo(bytes("A"));
        assertThatThrownBy(() -> store.rename("a", "c")).isInstanceOf(NoSuchFileException.class);
        store.delete("b");
        store.delete("b");
        assertThat(store.list()).isEmpty();
        assertThatThrownBy(() -> store.readAll("b")).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void directorySyncIsSupportedOnThisPlatform() throws IOException {
        // The CI machines are Linux; if this ever runs on Windows the store must say so rather than pretend.
        LocalFileStore store = LocalFileStore.open(dir);
        assertThat(store.directorySyncSupported())
                .isEqualTo(!System.getProperty("os.name").toLowerCase().contains("win"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "a/b", "..", "a..b", ".", "x\\y", "nul\u0000", FileStore.RESERVED_PREFIX + "x"})
    void invalidNamesAreRejectedBeforeTouchingTheDisk(String name) throws IOException {
        LocalFileStore store = LocalFileStore.open(dir);
        assertThatThrownBy(() -> store.open(name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("file name");
        assertThatThrownBy(() -> store.writeAtomically(name, new byte[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.delete(name)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void namesAreLimitedTo255Characters() throws IOException {
        LocalFileStore store = LocalFileStore.open(dir);
        String longest = "n".repeat(255);
        store.writeAtomically(longest, bytes("ok"));
        assertThat(store.list()).containsExactly(longest);
        assertThatThrownBy(() -> store.exists(longest + "n")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at most 255");
        assertThatThrownBy(() -> FileStore.requireValidName(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void appendAfterCloseFails() throws IOException {
        LocalFileStore store = LocalFileStore.open(dir);
        LogFile f = store.open("x");
        f.close();
        assertThatThrownBy(() -> f.append(new byte[1], 0, 1)).isInstanceOf(IOException.class);
    }
}
