package io.agentmesh.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import io.agentmesh.protocol.time.SystemClock;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Random;

import static com.tngtech.archunit.core.domain.JavaCall.Predicates.target;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.core.domain.properties.HasOwner.Predicates.With.owner;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package map of docs/architecture.md, checked on the compiled production classes of every module (the
 * simulator's test classpath is the only one that sees them all). Maven already keeps the modules in one direction;
 * these rules keep the packages inside each module in one direction and the sans-IO core free of ambient time and
 * randomness (DESIGN.md invariants 1 and 2).
 */
class ArchitectureTest {
    private static JavaClasses production;

    @BeforeAll
    static void importProductionClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                // The test jars of crdt-state and node (shared contract tests) sit in the reactor's target folders.
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("io.agentmesh");
    }

    @Test
    void everyModuleIsImported() {
        for (String pkg : new String[]{"io.agentmesh.protocol.identity", "io.agentmesh.state.store",
                "io.agentmesh.relay", "io.agentmesh.node.core", "io.agentmesh.sim.world"}) {
            if (production.stream().noneMatch(c -> c.getPackageName().equals(pkg))) {
                throw new AssertionError("no production class of " + pkg + " was found on the classpath: the rules"
                        + " below would pass vacuously");
            }
        }
    }

    @Test
    void noPackageCycles() {
        slices().matching("io.agentmesh.(**)").should().beFreeOfCycles().check(production);
    }

    /** Packages whose code runs inside a seeded simulation and so must replay exactly. */
    private static final String[] DETERMINISTIC = {"io.agentmesh.node.core..", "io.agentmesh.node.replication..",
            "io.agentmesh.node.membership..", "io.agentmesh.node.consensus..", "io.agentmesh.node.actions..",
            "io.agentmesh.node.schedules..",
            // The LLM gateway's config, prices and routing: health and decisions are replayed and replicated; its
            // call ledger (a Raft state machine) and its call loop, which a simulation runs with its own
            // AttemptSender (the threads and providers are llm.send's and llm.provider's).
            "io.agentmesh.node.llm.config..", "io.agentmesh.node.llm.cost..", "io.agentmesh.node.llm.route..",
            "io.agentmesh.node.llm.ledger..", "io.agentmesh.node.llm.gateway..",
            // The agent's supervisor and runner; not agent.process, which is the operating system's side.
            "io.agentmesh.node.agent", "io.agentmesh.sim.world..", "io.agentmesh.sim.run..",
            "io.agentmesh.sim.check..", "io.agentmesh.sim.bugs.."};

    /**
     * The one exception: {@code Simulation} reads the monotonic timer to report its own speed (simulated seconds per
     * wall second); the reading goes into the result's figures, never into the simulated world.
     */
    private static final String SPEED_METER = "io.agentmesh.sim.run.Simulation";

    @Test
    void theNodeCoreAndTheSimulatedWorldReadTimeAndRandomnessOnlyThroughTheirPorts() {
        noClasses().that().resideInAnyPackage(DETERMINISTIC).and().doNotHaveFullyQualifiedName(SPEED_METER)
                .should().callMethod(System.class, "nanoTime")
                .because("DESIGN.md invariant 2: a seed replays only if time comes from the injected Clock")
                .check(production);
        noClasses().that().resideInAnyPackage(DETERMINISTIC)
                .should().callMethod(System.class, "currentTimeMillis")
                .orShould().callConstructor(Random.class)
                .orShould().callMethod(Instant.class, "now")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.concurrent.ThreadLocalRandom")
                .because("DESIGN.md invariant 2: a seed replays only if time comes from the injected Clock and"
                        + " randomness from an injected, seeded generator")
                .check(production);
    }

    /**
     * The operating system's side of the node, which a simulation never replays (its processes, threads, files and
     * sockets: {@code agent.process}, {@code actions.exec}, {@code workspace}, {@code mcp}, {@code net}, {@code api},
     * {@code runtime}), still reads time through the node's one {@code Clock}, so every component of a node sees
     * the same time and a test can hand any of them its own clock. Only {@code SystemClock} reads the system's
     * clocks, and the command line, which stamps what it signs and times its own waits before any node exists.
     */
    @Test
    void nodeCodeOutsideTheCommandLineReadsTimeOnlyThroughTheClock() {
        noClasses().that().resideInAnyPackage("io.agentmesh.protocol..", "io.agentmesh.state..",
                        "io.agentmesh.relay..", "io.agentmesh.node..")
                .and().resideOutsideOfPackage("io.agentmesh.node.cli..")
                .and().doNotHaveFullyQualifiedName(SystemClock.class.getName())
                .should().callMethod(System.class, "nanoTime")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(Instant.class, "now")
                .because("one Clock per node: the time every component reads is the one the node was given")
                .check(production);
    }

    /**
     * Threads and processes belong to the runtime layer (the packages the previous rule names), never to the code a
     * seeded simulation replays: there, work runs on the node's {@code Scheduler}, and anything that blocks is handed
     * to the runtime, which hands results back through it. {@code actions.exec} is the executor that runs commands,
     * the one deterministic package whose job is processes; its threads never touch the core's state.
     */
    @Test
    void theReplayedPackagesStartNoThreadsAndNoProcesses() {
        noClasses().that().resideInAnyPackage(DETERMINISTIC)
                .and().resideOutsideOfPackage("io.agentmesh.node.actions.exec..")
                .should().callConstructorWhere(target(owner(assignableTo(Thread.class))))
                .orShould().callMethod(Thread.class, "ofVirtual")
                .orShould().callMethod(Thread.class, "ofPlatform")
                .orShould().callMethod(Thread.class, "startVirtualThread", Runnable.class)
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.concurrent.Executors")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.util.concurrent.ThreadPoolExecutor")
                .orShould().dependOnClassesThat().haveFullyQualifiedName("java.lang.ProcessBuilder")
                .because("DESIGN.md invariant 1: one thread owns the node; blocking work stays in the runtime layer")
                .check(production);
    }
}
