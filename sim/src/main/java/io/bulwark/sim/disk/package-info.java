/**
 * The simulator's disk: {@link io.bulwark.sim.disk.SimulatedFileStore}, an in-memory
 * {@link io.bulwark.core.storage.FileStore} that keeps what is durable apart from what is merely
 * visible, and on command crashes (losing or tearing unsynced writes), flips bits and fails fsync.
 *
 * <p>Deterministic: all randomness comes from the {@link io.bulwark.core.RandomSource} passed to a fault
 * method, and files are visited in name order, so a seed replays a run byte for byte. Single-threaded,
 * like the rest of the simulator.
 */
package io.bulwark.sim.disk;
