package io.bulwark.lock;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The design rule, enforced: the lock state machine is deterministic (no clock, no sleeping, no threads,
 * no randomness, no I/O), and the layers depend downward only (API and SPI know nothing of the state
 * machine or the in-memory backend).
 */
class LockArchitectureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS).importPackages("io.bulwark.lock");

    @Test
    void theStateMachineNeverTouchesTimeThreadsRandomnessOrIo() {
        noClasses().that().resideInAPackage("io.bulwark.lock.state..")
                .should().dependOnClassesThat().resideInAnyPackage("java.util.concurrent..", "java.io..", "java.nio..",
                        "java.net..")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.Thread")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.Random")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.security.SecureRandom")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.time.Clock")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.time.Instant")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.bulwark.core.Clock")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("io.bulwark.lock.LockTimer")
                .orShould().callMethod(System.class, "nanoTime")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .because("the lock state machine must give the same outputs for the same inputs (ARCHITECTURE.md)")
                .check(MAIN);
    }

    @Test
    void apiAndSpiDoNotDependOnImplementations() {
        noClasses().that().resideInAnyPackage("io.bulwark.lock", "io.bulwark.lock.spi")
                .should().dependOnClassesThat().resideInAnyPackage("io.bulwark.lock.state..", "io.bulwark.lock.memory..")
                .check(MAIN);
        noClasses().that().resideInAPackage("io.bulwark.lock.state..")
                .should().dependOnClassesThat().resideInAPackage("io.bulwark.lock.memory..")
                .check(MAIN);
    }
}
