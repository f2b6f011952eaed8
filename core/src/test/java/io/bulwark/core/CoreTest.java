package io.bulwark.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CoreTest {

    @Test
    void crc32cMatchesTheStandardCheckValue() {
        // RFC 3720 appendix B.4 / the CRC catalogue's check value for "123456789".
        assertThat(Checksums.crc32c("123456789".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(0xE3069283);
    }

    @Test
    void seededRandomSourceReplaysExactly() {
        RandomSource a = RandomSource.seeded(42);
        RandomSource b = RandomSource.seeded(42);
        for (int i = 0; i < 1000; i++) {
            assertThat(a.nextLong()).isEqualTo(b.nextLong());
        }
        // SplitMix64 reference output for seed 0 (first value).
        assertThat(RandomSource.seeded(0).nextLong()).isEqualTo(0xE220A8397B1DCDAFL);
    }

    @Test
    void boundedDrawsStayInRange() {
        RandomSource r = RandomSource.seeded(7);
        for (int i = 0; i < 10_000; i++) {
            assertThat(r.nextLong(13)).isBetween(0L, 12L);
            assertThat(r.nextDouble()).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
        }
        assertThatThrownBy(() -> r.nextLong(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bound must be positive");
    }

    @Test
    void invariantsNameTheBadValue() {
        assertThatThrownBy(() -> Invariants.requirePositive(-3, "leaseMs"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("leaseMs must be positive, was -3");
        assertThatThrownBy(() -> Invariants.check(false, "x")).isInstanceOf(AssertionError.class);
    }
}
