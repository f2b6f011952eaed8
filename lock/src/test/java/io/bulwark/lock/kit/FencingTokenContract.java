package io.bulwark.lock.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.lock.Fence;
import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockLease;
import io.bulwark.lock.LockLostException;
import io.bulwark.lock.LockOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Fencing tokens strictly increase per lock name over every grant, whatever the kind, and they are what
 * keeps a holder that paused past its lease from corrupting the protected resource.
 */
public interface FencingTokenContract extends LockContract {

    @Test
    default void tokensStrictlyIncreaseOverEveryGrantOfANameWhateverItsKind() throws Exception {
        LockClient client = kit().client();
        List<LockOptions> kinds = List.of(LockOptions.exclusive(), LockOptions.fair(), LockOptions.read(),
                LockOptions.write(), LockOptions.semaphore(3).withPermits(2));
        List<Long> tokensA = new ArrayList<>();
        List<Long> tokensB = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            // The name goes idle between grants, so the backend forgets it; its tokens must still increase.
            LockOptions kind = LockKit.steady(kinds.get(round % kinds.size()));
            try (LockLease a = client.acquire("kit/tokens-a", kind)) {
                tokensA.add(a.fencingToken());
            }
            try (LockLease b = client.acquire("kit/tokens-b", kind)) {
                tokensB.add(b.fencingToken());
            }
        }
        assertStrictlyIncreasing(tokensA);
        assertStrictlyIncreasing(tokensB);
    }

    @Test
    default void everySharedHolderGetsItsOwnToken() throws Exception {
        List<Long> tokens = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tokens.add(kit().client().acquire("kit/shared", LockKit.steady(LockOptions.read())).fencingToken());
        }
        for (int i = 0; i < 3; i++) {
            tokens.add(kit().client().acquire("kit/permits", LockKit.steady(LockOptions.semaphore(3))).fencingToken());
        }
        assertStrictlyIncreasing(tokens.subList(0, 3));
        assertStrictlyIncreasing(tokens.subList(3, 6));
    }

    @Test
    default void aHolderPausedPastItsLeaseIsFencedOutByTheNextHoldersToken() throws Exception {
        Fence fence = new Fence();
        String name = "kit/fenced";
        LockOptions noRenewal = LockOptions.exclusive().withLeaseTime(kit().lease()).withAutoRenew(false);
        LockLease paused = kit().client().acquire(name, noRenewal);
        assertThat(fence.admit(name, paused.fencingToken())).isTrue();

        // The holder "pauses" (GC, VM freeze) for longer than its lease; meanwhile another client takes over.
        kit().advance(kit().lease());
        LockLease next = kit().client().acquire(name, LockKit.steady(LockOptions.exclusive()));
        assertThat(next.fencingToken()).isGreaterThan(paused.fencingToken());
        assertThat(fence.admit(name, next.fencingToken())).isTrue();

        // The paused holder wakes up and writes: the resource refuses it, and its handle knows it is stale.
        assertThat(fence.admit(name, paused.fencingToken())).isFalse();
        assertThat(paused.isValid()).isFalse();
        assertThatThrownBy(paused::ensureValid).isInstanceOf(LockLostException.class);
        assertThat(fence.admit(name, next.fencingToken())).isTrue();
        next.close();
    }

    @Test
    default void reenteredHandlesShareTheTokenOfTheirGrant() throws Exception {
        LockLease outer = kit().client().acquire("kit/reenter-token",
                LockKit.steady(LockOptions.exclusive()).withReentrancy());
        try (LockLease inner = outer.reenter()) {
            assertThat(inner.fencingToken()).isEqualTo(outer.fencingToken());
        }
        outer.close();
    }

    private static void assertStrictlyIncreasing(List<Long> tokens) {
        for (int i = 1; i < tokens.size(); i++) {
            assertThat(tokens.get(i)).as("token %d of %s", i, tokens).isGreaterThan(tokens.get(i - 1));
        }
    }
}
