package io.bulwark.ring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.Test;

/** xxHash64 must equal the reference algorithm bit for bit: placement in every language depends on it. */
class XxHash64Test {

    private static long h(String s) {
        return XxHash64.INSTANCE.hash(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void goldenVectorsPublishedInRingFormatDoc() {
        // The first three are the xxHash project's own test values; the rest are Bulwark's published vectors.
        assertThat(h("")).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(h("abc")).isEqualTo(0x44BC2CF5AD770999L);
        assertThat(h("The quick brown fox jumps over the lazy dog")).isEqualTo(0x0B242D361FDA71BCL);
        assertThat(h("a")).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(h("node-1")).isEqualTo(0x1664EE5E5C6B16A5L);
        assertThat(h("user:1001")).isEqualTo(0x85CAA85AE91FA802L);
        assertThat(h("0123456789abcdef0123456789abcdef0123456789")).isEqualTo(0xA76190C3ACF08A1CL);
        assertThat(XxHash64.INSTANCE.hash(42L)).isEqualTo(0xB556806FB6D14353L);
    }

    @Test
    void matchesAnIndependentImplementationForEveryLengthAndSeed() {
        var reference = XXHashFactory.safeInstance().hash64();
        SplittableRandom random = new SplittableRandom(20261126);
        for (int len = 0; len <= 300; len++) {
            for (int trial = 0; trial < 5; trial++) {
                byte[] data = new byte[len + 7];
                random.nextBytes(data);
                int off = random.nextInt(8);
                int n = Math.min(len, data.length - off);
                long seed = trial == 0 ? 0 : random.nextLong();
                assertThat(new XxHash64(seed).hash(data, off, n))
                        .as("len=%d off=%d seed=%d", n, off, seed)
                        .isEqualTo(reference.hash(data, off, n, seed));
            }
        }
    }

    @Test
    void longKeysHashAsTheirLittleEndianBytes() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 1000; i++) {
            long key = random.nextLong();
            byte[] bytes = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(key).array();
            assertThat(XxHash64.INSTANCE.hash(key)).isEqualTo(XxHash64.INSTANCE.hash(bytes));
        }
    }

    @Test
    void idNamesAlgorithmVersionAndSeed() {
        assertThat(XxHash64.INSTANCE.id()).isEqualTo("xxh64/1");
        assertThat(new XxHash64(255).id()).isEqualTo("xxh64/1:ff");
        assertThat(KeyHashers.byId("xxh64/1:ff").hash(1L)).isEqualTo(new XxHash64(255).hash(1L));
        assertThatThrownBy(() -> KeyHashers.byId("murmur3/9")).isInstanceOf(RingFormatException.class)
                .hasMessageContaining("unknown hasher id 'murmur3/9'");
    }

    @Test
    void rangeOutsideTheArrayIsRejected() {
        assertThatThrownBy(() -> XxHash64.INSTANCE.hash(new byte[4], 2, 3))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("outside an array of length 4");
    }
}
