package io.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The examples in the docs are the code that runs: a test fails when they drift apart. */
class DocsTest {

    @Test
    void ringGuideShowsTheExampleSourceVerbatim() throws Exception {
        String doc = Files.readString(root().resolve("docs/RING.md"));
        String source = Files.readString(root().resolve(
                "cli/src/main/java/io/bulwark/cli/examples/FiveNodeRingExample.java"));
        String block = doc.substring(doc.indexOf("<!-- example:FiveNodeRingExample -->"),
                doc.indexOf("<!-- /example -->"));
        assertThat(block).contains("```java\n" + source + "```");
    }

    @Test
    void readmeOpensWithTheTwoCommands() throws Exception {
        String readme = Files.readString(root().resolve("README.md"));
        String ci = Files.readString(root().resolve(".ci/run"));
        assertThat(readme).contains("./bulwark demo").contains("mvn -B verify");
        assertThat(ci).contains("mvn -B verify");
    }

    static Path root() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve(".ci/run"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new AssertionError("repository root (with .ci/run) not found above the working directory");
        }
        return dir;
    }
}
