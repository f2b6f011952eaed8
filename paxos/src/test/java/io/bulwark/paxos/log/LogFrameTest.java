package io.bulwark.paxos.log;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** The frame codec: round trip, and no single-bit flip anywhere in a frame goes unnoticed. */
class LogFrameTest {

    private static byte[] frame(long lsn, long syncedLsn, byte[] payload) {
        byte[] buf = new byte[LogFrame.HEADER_BYTES + payload.length];
        LogFrame.writeHeader(buf, 0, lsn, syncedLsn, LogFrame.TYPE_DATA, payload, 0, payload.length);
        System.arraycopy(payload, 0, buf, LogFrame.HEADER_BYTES, payload.length);
        return buf;
    }

    @Property(tries = 200)
    void framesRoundTrip(@ForAll @LongRange(min = 1) long lsn, @ForAll @Size(max = 300) byte[] payload) {
        byte[] buf = frame(lsn, lsn - 1, payload);
        LogFrame.ParseResult parsed = LogFrame.parse(buf, 0, buf.length);
        assertThat(parsed).isEqualTo(new LogFrame.Frame(lsn, lsn - 1, LogFrame.TYPE_DATA, LogFrame.HEADER_BYTES,
                payload.length, buf.length));
    }

    @Property(tries = 300)
    void everySingleBitFlipIsDetectedOrChangesOnlyWhatTheCrcCovers(
            @ForAll @LongRange(min = 1, max = 1_000_000) long lsn,
            @ForAll @Size(max = 200) byte[] payload,
            @ForAll @IntRange(min = 0, max = 100_000) int bitSeed) {
        byte[] buf = frame(lsn, lsn - 1, payload);
        int bit = bitSeed % (buf.length * 8);
        buf[bit / 8] ^= (byte) (1 << (bit % 8));
        // CRC32C detects every 1-bit error in what it covers; a flip in the length makes it cover another span.
        assertThat(LogFrame.parse(buf, 0, buf.length)).isInstanceOf(LogFrame.Bad.class);
        assertThat(LogFrame.isCrcValidFrameIn(buf, 0, buf.length, 0, Long.MAX_VALUE)).isFalse();
    }
}
