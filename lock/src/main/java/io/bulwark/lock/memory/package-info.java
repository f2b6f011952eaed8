/**
 * The in-memory reference backend: {@link io.bulwark.lock.memory.InMemoryLockBackend} drives one
 * {@link io.bulwark.lock.state.LockStateMachine} for every client in the process. It defines the exact
 * semantics other backends are measured against, serves tests and single-process applications, and
 * carries fault injection (unreachable backend, lost state) for the contract kit.
 */
package io.bulwark.lock.memory;
