package io.bulwark.ring;

/**
 * The argument checks of {@link NodeLocator#replicas(long, Node[], int)}, shared by every locator so
 * that each rejects a bad request with the same exception and message.
 *
 * <p>Called at the top of every {@code replicas} call: it allocates nothing unless it throws.
 */
final class ReplicaRequest {

    private ReplicaRequest() {
    }

    /**
     * Checks a request for {@code n} replicas into {@code out} from a locator of {@code nodeCount} nodes.
     *
     * @param locator how messages name the locator, e.g. {@code "jump hash"}
     * @throws EmptyRingException       if there are no nodes
     * @throws NotEnoughNodesException  if {@code n < 1} or {@code n > nodeCount}
     * @throws IllegalArgumentException if {@code out} is null or shorter than {@code n}
     */
    static void check(String locator, int nodeCount, Node[] out, int n) {
        if (nodeCount == 0) {
            throw EmptyRingException.forLookupOn(locator);
        }
        if (n < 1 || n > nodeCount) {
            throw new NotEnoughNodesException("replica count must be between 1 and the number of nodes ("
                    + nodeCount + "), was " + n);
        }
        if (out == null || out.length < n) {
            throw new IllegalArgumentException("output buffer must hold at least " + n + " nodes, has "
                    + (out == null ? "none (null)" : String.valueOf(out.length)));
        }
    }
}
