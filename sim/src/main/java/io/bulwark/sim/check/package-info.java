/**
 * Linearizability checking for key-value histories recorded by the simulator.
 *
 * <p>A workload records every client call in a {@link io.bulwark.sim.check.History}: the
 * {@link io.bulwark.sim.check.KvOperation} and its virtual invocation time, then either the
 * {@link io.bulwark.sim.check.KvResult} and completion time, or that the outcome is unknown (timeout,
 * crash) or that the call definitely did not take effect. {@link io.bulwark.sim.check.LinearizabilityChecker}
 * then decides whether some total order of the calls, each placed between its invocation and its completion,
 * explains every result under the sequential semantics of a map from {@code String} keys to {@code String}
 * values (absent = {@code null}).
 *
 * <p>Every operation touches exactly one key, so the history is checked one key at a time: linearizability is
 * local (Herlihy and Wing 1990, Theorem 1), and the per-key searches are independent and small. Each key
 * is searched with the algorithm of Wing and Gong (1993) as improved by Lowe (2017): calls are linearized just
 * in time from a list of call/return events, and every (linearized set, register value) configuration that
 * failed is remembered so that it is not explored twice. Indeterminate writes, which may take effect at any
 * time after their invocation or never, are the expensive part; the search bounds how long each can matter
 * and prunes choices among them that another choice makes redundant (see {@code KeySearch}). Each search has
 * a budget of configurations; a key whose search exceeds it is reported as
 * {@link io.bulwark.sim.check.Verdict#UNKNOWN} rather than left to run for hours.
 *
 * <p>A violation comes with the first result on its key that no linearization can explain, found by
 * checking prefixes of the key's history, and the operations that could have influenced it.
 *
 * <p>The package depends only on the JDK, so that any workload, whatever it drives, can record into it.
 */
package io.bulwark.sim.check;
