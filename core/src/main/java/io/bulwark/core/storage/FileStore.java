package io.bulwark.core.storage;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * One flat directory of named files, the only way Bulwark's protocol code reaches a disk.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Names are validated by {@link #requireValidName(String)}; an invalid name is an
 *       {@link IllegalArgumentException}, never a path outside the directory.</li>
 *   <li>{@link #open} creates a file if absent; its <em>existence</em> is durable only after the
 *       first {@link LogFile#sync()} of that file (implementations sync the directory then).</li>
 *   <li>{@link #writeAtomically}, {@link #rename} and {@link #delete} are durable when they return,
 *       and atomic: after a crash a reader sees the old state or the new one, never a mix.</li>
 * </ul>
 *
 * <p>Thread-safety: not thread-safe unless the implementation says so. Exactly one process may use a
 * given directory at a time; implementations do not lock it.
 */
public interface FileStore {

    /** Longest allowed file name, in characters; most file systems cap a name at 255 bytes. */
    int MAX_NAME_CHARS = 255;

    /**
     * Prefix reserved for an implementation's own temporary files. Names starting with it are rejected
     * so that {@link #list()} can hide temp files left by a crash without hiding a caller's file.
     */
    String RESERVED_PREFIX = ".bulwark-tmp-";

    /** Names of the files in the store, sorted in {@link String#compareTo} order; never temp files. */
    List<String> list() throws IOException;

    /** Whether a file with this name is currently visible. */
    boolean exists(String name) throws IOException;

    /**
     * Opens {@code name} for reading and appending, creating it empty if absent. The creation is
     * durable after the first {@link LogFile#sync()} on the returned handle.
     */
    LogFile open(String name) throws IOException;

    /**
     * The whole visible content of {@code name}.
     *
     * @throws NoSuchFileException if the file does not exist
     */
    byte[] readAll(String name) throws IOException;

    /**
     * Replaces (or creates) {@code name} with {@code content} so that, even across a crash, readers
     * see either the complete old content or the complete new one. Durable when it returns.
     */
    void writeAtomically(String name, byte[] content) throws IOException;

    /**
     * Atomically renames {@code from} to {@code to}, replacing {@code to} if it exists. Durable when
     * it returns. The content of {@code from} is not synced by this call: sync it first if the renamed
     * file must be complete after a crash.
     *
     * @throws NoSuchFileException if {@code from} does not exist
     */
    void rename(String from, String to) throws IOException;

    /** Deletes {@code name}; no error if it is absent. Durable when it returns. */
    void delete(String name) throws IOException;

    /**
     * Returns {@code name} if it is a valid file name, else throws {@link IllegalArgumentException}
     * saying why. Valid: not blank, at most {@value #MAX_NAME_CHARS} characters, no {@code '/'},
     * {@code '\\'} or control characters, not {@code "."}, no {@code ".."} anywhere, and not starting
     * with {@value #RESERVED_PREFIX}. Every implementation calls this, so a name that works on the
     * simulated disk also works on a real one.
     */
    static String requireValidName(String name) {
        if (name == null) {
            throw new IllegalArgumentException("file name must not be null");
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException("file name must not be blank, was '" + name + "'");
        }
        if (name.length() > MAX_NAME_CHARS) {
            throw new IllegalArgumentException("file name must be at most " + MAX_NAME_CHARS
                    + " characters, was " + name.length());
        }
        if (name.equals(".") || name.contains("..")) {
            throw new IllegalArgumentException(
                    "file name must not be '.' or contain '..' (it could leave the directory), was '" + name + "'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) {
                throw new IllegalArgumentException("file name must be a single flat name without '/', '\\' "
                        + "or control characters, was '" + name.replaceAll("\\p{Cntrl}", "?") + "'");
            }
        }
        if (name.startsWith(RESERVED_PREFIX)) {
            throw new IllegalArgumentException("file names starting with '" + RESERVED_PREFIX
                    + "' are reserved for the store's temporary files, was '" + name + "'");
        }
        return name;
    }
}
