package io.bulwark.cli;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Enforces the module dependency rules of ARCHITECTURE.md on the compiled classes and on the POMs. */
class ArchitectureTest {

    private static final JavaClasses BULWARK = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.bulwark");

    @Test
    void ringDependsOnNothingButTheJdk() {
        classes().that().resideInAPackage("io.bulwark.ring..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.bulwark.ring..", "java..")
                .check(BULWARK);
    }

    @Test
    void coreDependsOnNothingButTheJdk() {
        classes().that().resideInAPackage("io.bulwark.core..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.bulwark.core..", "java..")
                .check(BULWARK);
    }

    @Test
    void paxosDependsOnlyOnCore() {
        classes().that().resideInAPackage("io.bulwark.paxos..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.bulwark.paxos..", "io.bulwark.core..", "java..")
                .check(BULWARK);
    }

    @Test
    void txnDependsOnlyOnCoreAndPaxos() {
        classes().that().resideInAPackage("io.bulwark.txn..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.bulwark.txn..", "io.bulwark.paxos..",
                        "io.bulwark.core..", "java..")
                .check(BULWARK);
    }

    @Test
    void simDependsOnlyOnCorePaxosAndTxn() {
        classes().that().resideInAPackage("io.bulwark.sim..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.bulwark.sim..", "io.bulwark.paxos..",
                        "io.bulwark.txn..", "io.bulwark.core..", "java..")
                .check(BULWARK);
    }

    /** The client is a library for applications: it must never pull in the server. */
    @Test
    void clientDependsOnlyOnCoreRingPaxosAndTxn() {
        classes().that().resideInAPackage("io.bulwark.client..")
                .should().onlyDependOnClassesThat().resideInAnyPackage("io.bulwark.client..", "io.bulwark.paxos..",
                        "io.bulwark.txn..", "io.bulwark.ring..", "io.bulwark.core..", "java..")
                .check(BULWARK);
    }

    /**
     * The deterministic-core rule for the protocol and the simulator that drives it: no clocks, no sleeping,
     * no threads, no unseeded randomness, no sockets, and files only through core's FileStore.
     */
    @Test
    void paxosTxnAndSimAreDeterministic() {
        for (String pkg : new String[] {"io.bulwark.paxos..", "io.bulwark.txn..", "io.bulwark.sim.."}) {
            noClasses().that().resideInAPackage(pkg)
                    .should().callMethod(System.class, "currentTimeMillis")
                    .orShould().callMethod(System.class, "nanoTime")
                    .orShould().callMethod(Thread.class, "sleep", long.class)
                    .orShould().dependOnClassesThat().resideInAnyPackage("java.time..", "java.util.concurrent..",
                            "java.net..", "java.nio.channels..")
                    .orShould().dependOnClassesThat().areAssignableTo(Thread.class)
                    .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
                    .orShould().dependOnClassesThat().haveFullyQualifiedName("java.security.SecureRandom")
                    .orShould().dependOnClassesThat().haveFullyQualifiedName("java.io.File")
                    .orShould().dependOnClassesThat().haveFullyQualifiedName("java.nio.file.Files")
                    .orShould().dependOnClassesThat().haveFullyQualifiedName("java.nio.file.Path")
                    .check(BULWARK);
        }
    }

    @Test
    void protocolModulesNeverTouchThreadsSocketsOrFilesDirectly() {
        // The deterministic ring must not read clocks, sleep, spawn threads or do I/O.
        classes().that().resideInAPackage("io.bulwark.ring..")
                .should().onlyDependOnClassesThat().resideOutsideOfPackages("java.net..", "java.nio.file..",
                        "java.util.concurrent.locks..", "java.time..")
                .check(BULWARK);
        classes().that().resideInAPackage("io.bulwark.ring..").should().notBeAssignableTo(Thread.class)
                .check(BULWARK);
    }

    @Test
    void ringPomDeclaresNoCompileOrRuntimeDependency() throws Exception {
        Path pom = locate("ring/pom.xml");
        String xml = Files.readString(pom);
        Matcher deps = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL).matcher(xml);
        while (deps.find()) {
            assertThat(deps.group(1)).as("ring/pom.xml dependency must be test-scoped: %s", deps.group(1))
                    .contains("<scope>test</scope>");
        }
    }

    private static Path locate(String relative) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.exists(dir.resolve(relative))) {
                return dir.resolve(relative);
            }
            dir = dir.getParent();
        }
        throw new AssertionError(relative + " not found above the working directory");
    }
}
