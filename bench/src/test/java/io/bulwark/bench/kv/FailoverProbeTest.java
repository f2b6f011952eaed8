package io.bulwark.bench.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The failover probe against an in-process engine whose "leader" stays dead for a known time. */
class FailoverProbeTest {

    private static final byte[] KEY = "probe".getBytes(StandardCharsets.US_ASCII);
    private static final FailoverProbe.Options QUICK = new FailoverProbe.Options(Duration.ofMillis(5),
            Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofSeconds(5), 1_000);

    @Test
    void measuresTheGapFromTheKillToTheFirstWriteSentAfterIt() throws Exception {
        try (InMemoryKvEngine engine = new InMemoryKvEngine(Duration.ofMillis(2), 0, Duration.ofMillis(400))) {
            FailoverProbe.Result r = FailoverProbe.run(engine, KEY, QUICK);

            assertThat(r.resumed()).isTrue();
            // Writes sent in the 400 ms outage fail; the first one after it is answered 2 ms later.
            assertThat(r.resumeGapMs()).isBetween(400.0, 900.0);
            assertThat(r.longestGapMs()).isGreaterThanOrEqualTo(395.0);
            assertThat(r.failed()).isGreaterThan(20);
            assertThat(r.acknowledged()).isGreaterThan(40);
            assertThat(r.acknowledged() + r.failed()).isEqualTo(r.sent());
            assertThat(r.killed().label()).isEqualTo("in-memory leader");
            assertThat(engine.kills.get()).isEqualTo(1);
            assertThat(engine.restarts.get()).isEqualTo(1);
            assertThat(r.restartMs()).isGreaterThanOrEqualTo(0);
            assertThat(r.summary()).contains("resumed", "in-memory leader");
        }
    }

    @Test
    void writesThatNeverResumeAreAResultAndTheNodeIsStillRestarted() throws Exception {
        FailoverProbe.Options oneSecond = new FailoverProbe.Options(Duration.ofMillis(5), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofSeconds(1), 1_000);
        try (InMemoryKvEngine engine = new InMemoryKvEngine(Duration.ofMillis(1), 0, Duration.ofMinutes(1))) {
            FailoverProbe.Result r = FailoverProbe.run(engine, KEY, oneSecond);

            assertThat(r.resumed()).isFalse();
            assertThat(r.resumeGapMs()).isEqualTo(1_000.0);
            assertThat(r.longestGapMs()).isGreaterThanOrEqualTo(990.0);
            assertThat(engine.restarts.get()).isEqualTo(1);
            assertThat(r.summary()).contains("NOT resumed");
        }
    }

    @Test
    void anEngineThatNeverAcknowledgesIsNotKilled() {
        FailoverProbe.Options oneSecond = new FailoverProbe.Options(Duration.ofMillis(5), Duration.ofMillis(100),
                Duration.ofMillis(100), Duration.ofSeconds(1), 1_000);
        try (InMemoryKvEngine engine = new InMemoryKvEngine(Duration.ofMillis(1), 1, Duration.ZERO)) {
            assertThatThrownBy(() -> FailoverProbe.run(engine, KEY, oneSecond))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("not writable");
            assertThat(engine.kills.get()).isZero();
        }
    }

    @Test
    void optionsSayWhatIsAllowed() {
        assertThatThrownBy(() -> new FailoverProbe.Options(Duration.ZERO, Duration.ofSeconds(1), Duration.ZERO,
                Duration.ofSeconds(5), 10)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("writeInterval must be in");
        assertThatThrownBy(() -> new FailoverProbe.Options(Duration.ofMillis(5), Duration.ofSeconds(1), Duration.ZERO,
                Duration.ofSeconds(5), 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxInFlight");
        assertThat(FailoverProbe.Options.defaults().writeInterval()).isEqualTo(Duration.ofMillis(5));
    }
}
