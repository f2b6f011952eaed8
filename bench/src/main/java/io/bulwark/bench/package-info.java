/**
 * JMH micro-benchmarks of {@code bulwark-ring} against the peers a Java team would otherwise use,
 * measured in the same run (see {@code ../shared/design/BENCHMARKING.md}).
 *
 * <ul>
 *   <li>{@link io.bulwark.bench.RingLookupBenchmark}: lookup of a pre-hashed key in Bulwark's
 *       {@link io.bulwark.ring.HashRing}, Guava's {@code Hashing.consistentHash} (the real library) and a
 *       Ketama {@code TreeMap} ring ({@link io.bulwark.bench.KetamaTreeMapRing}), at 10 to 10,000 nodes.</li>
 *   <li>{@link io.bulwark.bench.RingReplicasBenchmark}: {@code replicas(key, 3)} across zones against one
 *       {@code locate} on the same ring.</li>
 *   <li>{@link io.bulwark.bench.RingChangeBenchmark}: the cost of adding or removing one node of a
 *       1,000-node ring, against the Ketama ring's rebuild.</li>
 *   <li>{@link io.bulwark.bench.RingBench}: runs all of them through JMH's API with the GC profiler and
 *       prints the ratio table next to the goals of issue 2 (what {@code ./bulwark bench ring} shows).</li>
 *   <li>{@link io.bulwark.bench.LockBench}: end to end, Bulwark's Redis lock backend against Redisson
 *       {@code RLock} and {@code RFencedLock} on one {@link io.bulwark.lock.redis.LocalRedisServer} it starts
 *       itself: throughput, open-loop latency and Redis commands per acquire+release pair, next to the goals
 *       of issue 3.</li>
 * </ul>
 *
 * <p>Every benchmark draws its keys from {@link io.bulwark.bench.PreHashedKeys}: a fixed, seeded stream
 * that is the same for every implementation, so the ratios compare equal work.
 */
package io.bulwark.bench;

