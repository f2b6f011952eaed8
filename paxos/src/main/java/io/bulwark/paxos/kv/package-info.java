/**
 * The replicated key-value state machine ({@link io.bulwark.paxos.kv.KvStateMachine}), its commands and
 * results: get, put, delete and compare-and-set, with a CRC32C carried and checked on every value.
 */
package io.bulwark.paxos.kv;
