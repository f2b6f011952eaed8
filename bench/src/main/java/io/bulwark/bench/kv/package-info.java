/**
 * {@code bench kv}: Bulwark's replicated key-value store against etcd, both real three-node clusters on
 * loopback with fsync durability, driven by the same Java load generator in the same run.
 *
 * <ul>
 *   <li>{@link io.bulwark.bench.kv.KvEngine}: what is measured; one implementation per system.
 *       {@link io.bulwark.bench.kv.EtcdEngine} is etcd through jetcd, on an
 *       {@link io.bulwark.bench.kv.EtcdCluster} of three {@code etcd} processes (Debian {@code etcd-server},
 *       installed if missing).</li>
 *   <li>{@link io.bulwark.bench.kv.OpenLoopLoad}: the load generator: a closed loop to find an engine's
 *       capacity, then an open loop at a fixed rate with latency from the intended start (coordinated omission
 *       corrected), into HdrHistogram.</li>
 *   <li>{@link io.bulwark.bench.kv.FailoverProbe}: writes through a {@code kill -9} of the leader and measures
 *       how long until writes resume.</li>
 *   <li>{@link io.bulwark.bench.kv.EtcdOnlyBench}: the etcd half runnable alone.</li>
 * </ul>
 */
package io.bulwark.bench.kv;
