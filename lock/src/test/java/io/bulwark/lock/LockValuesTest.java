package io.bulwark.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.lock.spi.OwnerId;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** Validation and small value types: names, options, owner ids, the fence. */
class LockValuesTest {

    @Property(tries = 300)
    void nameValidationAgreesWithTheJdksUtf8EncoderOnLength(@ForAll @StringLength(max = 300) String candidate) {
        boolean wellFormed = candidate.codePoints().noneMatch(cp -> Character.isISOControl(cp)
                || (cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE));
        boolean fits = candidate.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= LockName.MAX_UTF8_BYTES;
        boolean valid = wellFormed && fits && !candidate.isBlank();
        if (valid) {
            assertThat(LockName.of(candidate).value()).isEqualTo(candidate);
        } else {
            assertThatThrownBy(() -> LockName.of(candidate)).isInstanceOf(InvalidLockRequestException.class);
        }
    }

    @Test
    void nameMessagesSayWhatWasWrong() {
        assertThatThrownBy(() -> LockName.of("a\nb")).hasMessageContaining("control character U+000A at index 1");
        assertThatThrownBy(() -> LockName.of("x".repeat(600))).hasMessageContaining("is 600 UTF-8 bytes long");
        assertThatThrownBy(() -> LockName.of(" ")).hasMessageContaining("blank");
        assertThatThrownBy(() -> LockName.of("\uDC00")).hasMessageContaining("unpaired UTF-16 surrogate at index 0");
    }

    @Test
    void clientOptionsAreValidatedWithClearMessages() {
        LockClientOptions defaults = LockClientOptions.defaults();
        assertThatThrownBy(() -> defaults.withClientName("has space")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("[A-Za-z0-9._-]");
        assertThatThrownBy(() -> defaults.withSafetyMargin(Duration.ofMillis(-1), 0.01))
                .hasMessageContaining("safety margin must be between 0 and 1 minute");
        assertThatThrownBy(() -> defaults.withSafetyMargin(Duration.ZERO, 0.7)).hasMessageContaining("[0, 0.5)");
        assertThatThrownBy(() -> defaults.withSafetyMargin(Duration.ZERO, Double.NaN)).hasMessageContaining("[0, 0.5)");
        assertThatThrownBy(() -> defaults.withMeterRegistry(null)).hasMessageContaining("meter registry is null");
        assertThat(defaults.safetyMarginNanos(30_000_000_000L)).isEqualTo(305_000_000L);
        assertThat(defaults.withInstanceId(255).withClientName("app").clientId()).isEqualTo("app/ff");
        assertThat(LockClientOptions.defaults().instanceId()).isNotEqualTo(LockClientOptions.defaults().instanceId());
    }

    @Test
    void optionsDefaultsAndWithers() {
        LockOptions options = LockOptions.semaphore(5).withPermits(2).withLeaseTime(Duration.ofSeconds(3))
                .withWaitTimeout(Duration.ZERO).withAutoRenew(false).withReentrancy();
        assertThat(options.mode()).isEqualTo(LockMode.semaphore(2, 5));
        assertThat(options.mode().kind()).isEqualTo(LockKind.SEMAPHORE);
        assertThat(options.leaseNanos()).isEqualTo(3_000_000_000L);
        assertThat(options.waitNanos()).isZero();
        assertThat(options.autoRenew()).isFalse();
        assertThat(options.reentrant()).isTrue();
        assertThat(LockOptions.exclusive()).isEqualTo(new LockOptions(LockMode.exclusive(),
                LockOptions.DEFAULT_LEASE_TIME, LockOptions.DEFAULT_WAIT_TIMEOUT, true, false));
        assertThat(LockOptions.read().mode().kind()).isEqualTo(LockOptions.write().mode().kind());
        assertThat(LockOptions.fair().mode().permits()).isEqualTo(1);
    }

    @Test
    void ownerIdsAreValidated() {
        assertThat(new OwnerId("app/1f", 3)).hasToString("app/1f#3");
        assertThatThrownBy(() -> new OwnerId("bad id", 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new OwnerId("ok", 0)).hasMessageContaining("positive");
    }

    @Test
    void aFenceAdmitsEqualAndHigherTokensPerNameAndRefusesOlderOnes() {
        Fence fence = new Fence();
        assertThat(fence.highestToken("a")).isEqualTo(Long.MIN_VALUE);
        assertThat(fence.admit("a", 5)).isTrue();
        assertThat(fence.admit("a", 5)).isTrue();
        assertThat(fence.admit("a", 4)).isFalse();
        assertThat(fence.admit("b", 1)).isTrue();
        assertThat(fence.admit("a", 6)).isTrue();
        assertThat(fence.highestToken("a")).isEqualTo(6);
    }

    @Test
    void lostExceptionsCarryTheFacts() {
        LockLostException lost = new LockLostException("orders/1", 7, LockLostException.Reason.EXPIRED, "late");
        assertThat(lost).hasMessage("lease on lock 'orders/1' (fencing token 7) was lost: EXPIRED (late)");
        assertThat(lost.copy()).hasMessage(lost.getMessage()).hasCause(lost);
        assertThat(lost.copy().reason()).isEqualTo(LockLostException.Reason.EXPIRED);
    }
}
