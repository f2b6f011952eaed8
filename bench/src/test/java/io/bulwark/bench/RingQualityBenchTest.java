package io.bulwark.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Keeps the placement-quality measurement working on a small key count (the real run uses 10 million). */
class RingQualityBenchTest {

    @Test
    void printsEveryMeasurementAndGoalRow() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = RingQualityBench.run(new PrintStream(bytes, true, StandardCharsets.UTF_8), 200_000);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(status).isZero();
        assertThat(text).contains("Bulwark HashRing", "Ketama TreeMap", "rendezvous", "Weights:", "Bulwark add",
                "Bulwark remove", "Bounded load", "within cap");
        assertThat(text.lines().filter(l -> l.endsWith("| pass") || l.endsWith("| MISSED")).count()).isEqualTo(8);
        // Properties that hold exactly, whatever the key count.
        assertThat(text).containsPattern("keys moved between nodes that stayed\\s+\\|\\s+0\\s+\\|\\s+0\\s+\\| pass");
        assertThat(text).contains("16 partitions x 3: planned (the cluster) 12 = 1.00x; recomputed from the ring 15 = 1.25x")
                .containsPattern("fourth node, 16 partitions\\s+\\|\\s+<= 1.1x\\s+\\|\\s+1.00x\\s+\\| pass");
    }
}
