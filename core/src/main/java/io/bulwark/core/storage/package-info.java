/**
 * Durable storage as Bulwark's protocol code sees it: a flat directory of named files
 * ({@link io.bulwark.core.storage.FileStore}) whose files are append-only logs
 * ({@link io.bulwark.core.storage.LogFile}) or whole blobs replaced atomically.
 *
 * <p>Why an interface at all: the write-ahead log and snapshot code in {@code paxos} must run
 * unchanged on a real disk ({@link io.bulwark.core.storage.LocalFileStore}, the only class in Bulwark
 * below {@code server} that touches {@code java.nio.file}) and on the simulator's disk, which loses
 * unsynced writes, tears sectors and flips bits on demand. Every durability promise a caller may rely
 * on is stated on the interface methods; an implementation may be stronger, never weaker.
 *
 * <p>Durability vocabulary used throughout: <em>visible</em> means a later read in the same process
 * returns it; <em>durable</em> means it survives a crash of the process or the machine.
 */
package io.bulwark.core.storage;
