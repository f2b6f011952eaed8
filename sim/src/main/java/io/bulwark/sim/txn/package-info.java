/**
 * The transaction simulator: a bank (accounts spread over partitions, concurrent transfers and balance audits)
 * run by the real transaction protocol ({@code io.bulwark.txn}) in virtual time from one seed, under lost,
 * duplicated, delayed and reordered messages, partition leader failovers, network cuts, clock skew, and
 * coordinators crashing at every protocol step; checked for conservation, atomicity, durability of
 * acknowledged commits, no stuck transactions, and serializability (a dependency-graph cycle check).
 */
package io.bulwark.sim.txn;
