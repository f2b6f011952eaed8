package io.bulwark.lock.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.lock.InvalidLockRequestException;
import io.bulwark.lock.LockClient;
import io.bulwark.lock.LockMode;
import io.bulwark.lock.LockName;
import io.bulwark.lock.LockOptions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Bad input is refused before anything is sent, with an {@link InvalidLockRequestException} whose message
 * says what was wrong and what is allowed, and leaves nothing behind.
 */
public interface InvalidRequestContract extends LockContract {

    /** Names every entry point must refuse, each for a different reason. */
    static List<String> invalidNames() {
        return Arrays.asList(null, "", "   ", "\t\n", "é".repeat(257), "a".repeat(513), "bad\nname", "nul\u0000",
                "half\uD800pair");
    }

    @Test
    default void invalidNamesAreRefusedByEveryEntryPoint() {
        LockClient client = kit().client();
        LockOptions options = LockKit.steady(LockOptions.exclusive());
        for (String name : invalidNames()) {
            assertRefusedName(name, () -> client.acquire(name, options));
            assertRefusedName(name, () -> client.tryAcquire(name, options));
            assertRefusedName(name, () -> client.acquireAsync(name, options));
            assertRefusedName(name, () -> client.withLock(name, options, lease -> "never"));
            assertRefusedName(name, () -> client.describe(name));
        }
    }

    private static void assertRefusedName(String name, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).as("name %s", name == null ? "null" : "\"" + name + "\"")
                .isInstanceOf(InvalidLockRequestException.class)
                .hasMessageContaining("lock name")
                .hasMessageContaining(LockName.MAX_UTF8_BYTES + " UTF-8 bytes");
    }

    @Test
    default void namesUpToTheByteLimitAreAcceptedWhateverTheirScript() throws Exception {
        LockClient client = kit().client();
        for (String name : List.of("a".repeat(512), "é".repeat(256), "€".repeat(170) + "ab", "😀".repeat(128), "x")) {
            client.acquire(name, LockKit.steady(LockOptions.exclusive())).close();
        }
    }

    @Test
    default void leasesAndWaitsOutsideTheirRangesAreRefused() {
        LockOptions base = LockOptions.exclusive();
        assertThatThrownBy(() -> base.withLeaseTime(Duration.ZERO)).isInstanceOf(InvalidLockRequestException.class)
                .hasMessageContaining("lease time must be positive and at most 24 hours").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> base.withLeaseTime(Duration.ofMillis(-5)))
                .isInstanceOf(InvalidLockRequestException.class).hasMessageContaining("PT-0.005S");
        assertThatThrownBy(() -> base.withLeaseTime(Duration.ofHours(25))).isInstanceOf(InvalidLockRequestException.class);
        assertThatThrownBy(() -> base.withLeaseTime(null)).isInstanceOf(InvalidLockRequestException.class);
        assertThatThrownBy(() -> base.withWaitTimeout(Duration.ofNanos(-1)))
                .isInstanceOf(InvalidLockRequestException.class)
                .hasMessageContaining("wait timeout must be between 0 (do not wait) and 24 hours");
        assertThatThrownBy(() -> base.withWaitTimeout(Duration.ofDays(2))).isInstanceOf(InvalidLockRequestException.class);
        assertThat(base.withWaitTimeout(Duration.ZERO).waitTimeout()).isZero();
    }

    @Test
    default void semaphorePermitsOutsideTheirRangesAreRefused() {
        assertThatThrownBy(() -> LockOptions.semaphore(0)).isInstanceOf(InvalidLockRequestException.class)
                .hasMessageContaining("capacity must be between 1 and " + LockMode.Semaphore.MAX_CAPACITY);
        assertThatThrownBy(() -> LockOptions.semaphore(3).withPermits(0)).isInstanceOf(InvalidLockRequestException.class)
                .hasMessageContaining("permits must be between 1 and the capacity 3, was 0");
        assertThatThrownBy(() -> LockOptions.semaphore(3).withPermits(4)).isInstanceOf(InvalidLockRequestException.class)
                .hasMessageContaining("was 4");
        assertThatThrownBy(() -> LockMode.semaphore(-1, 2)).isInstanceOf(InvalidLockRequestException.class);
        assertThatThrownBy(() -> LockOptions.exclusive().withPermits(2)).isInstanceOf(InvalidLockRequestException.class)
                .hasMessageContaining("permits apply only to semaphores");
    }

    @Test
    default void aLeaseNotLongerThanTheClientsSafetyMarginIsRefused() {
        LockClient client = kit().client();
        assertThatThrownBy(() -> client.acquire("kit/tiny-lease",
                LockOptions.exclusive().withLeaseTime(Duration.ofMillis(5))))
                .isInstanceOf(InvalidLockRequestException.class).hasMessageContaining("safety margin");
        assertThat(kit().describe("kit/tiny-lease").isIdle()).isTrue();
    }

    @Test
    default void missingOptionsAreRefused() {
        LockClient client = kit().client();
        assertThatThrownBy(() -> client.acquire("kit/no-options", null)).isInstanceOf(InvalidLockRequestException.class)
                .hasMessageContaining("options are null");
        assertThatThrownBy(() -> LockOptions.of(null)).isInstanceOf(InvalidLockRequestException.class)
                .hasMessageContaining("lock mode is null");
    }

    @Test
    default void refusedRequestsLeaveNothingBehindAndDoNotDisturbLaterOnes() throws Exception {
        LockClient client = kit().client();
        assertThatThrownBy(() -> client.acquire(" ", LockOptions.exclusive())).isInstanceOf(InvalidLockRequestException.class);
        assertThatThrownBy(() -> client.acquire("kit/after-bad", LockOptions.exclusive().withLeaseTime(Duration.ofNanos(1))))
                .isInstanceOf(InvalidLockRequestException.class);
        assertThat(kit().describe("kit/after-bad").isIdle()).isTrue();
        client.acquire("kit/after-bad", LockKit.steady(LockOptions.exclusive())).close();
        assertThat(kit().describe("kit/after-bad").isIdle()).isTrue();
    }
}
