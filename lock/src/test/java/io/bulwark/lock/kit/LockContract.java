package io.bulwark.lock.kit;

/**
 * The root of the contract interfaces: gives their default test methods the per-test {@link LockKit}.
 * Implemented by {@link LockBackendContractTest}.
 */
public interface LockContract {

    /** The kit of the running test. */
    LockKit kit();
}
