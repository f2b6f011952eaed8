/**
 * Consistent hashing for data placement and failover.
 *
 * <ul>
 *   <li>{@link io.bulwark.ring.HashRing}: the default: weighted virtual-node ring with zone-aware
 *       replica sets, O(1) allocation-free lookups, immutable snapshots, fingerprint and serialized form.</li>
 *   <li>{@link io.bulwark.ring.RingHolder}: publishes the current ring to lock-free readers.</li>
 *   <li>{@link io.bulwark.ring.RingDiff}: the migration plan between two rings.</li>
 *   <li>{@link io.bulwark.ring.BoundedLoad}: consistent hashing with bounded loads (Mirrokni, Thorup,
 *       Zadimoghaddam 2018).</li>
 *   <li>{@link io.bulwark.ring.PartitionTable}: a fixed number of partitions placed on replica sets.</li>
 *   <li>Alternatives behind {@link io.bulwark.ring.NodeLocator}: {@link io.bulwark.ring.JumpHash},
 *       {@link io.bulwark.ring.RendezvousHash}, {@link io.bulwark.ring.MaglevHash}.</li>
 * </ul>
 *
 * <p>This package depends on nothing but the JDK. Everything in it is immutable or documented
 * otherwise, and deterministic: it never reads a clock or an unseeded random source.
 */
package io.bulwark.ring;
