package io.agentmesh.sim.live;

import io.agentmesh.protocol.identity.Role;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Process control of the live harness, and that no child outlives it: after close, and after Ctrl-C / SIGTERM. */
class LiveClusterTest {

    @Test
    void killRestartPartitionAndCloseLeaveNoProcessBehind() throws Exception {
        List<ProcessHandle> started = new ArrayList<>();
        Path dir;
        try (LiveCluster c = LiveCluster.start(LiveCluster.Options.of(2, 1))) {
            dir = c.dir();
            assertTrue(Files.isDirectory(c.node(0).home().resolve("identity")));
            c.nodes().forEach(n -> started.add(n.process().orElseThrow().toHandle()));
            assertTrue(c.fault(0, "block", 1, 0), "the fault endpoint is on");
            assertTrue(c.fault(1, "block", 0, 0));
            c.heal(0, 1);
            c.kill9(1);
            assertFalse(c.node(1).alive());
            assertFalse(c.fault(1, "clear", null, 0), "a dead node takes no fault");
            c.restart(1);
            assertTrue(c.node(1).alive());
            started.add(c.node(1).process().orElseThrow().toHandle());
            assertEquals(0, c.terminate(0), "SIGTERM stops a node cleanly");
            c.restart(0);
            started.add(c.node(0).process().orElseThrow().toHandle());
            assertEquals(3, LiveCluster.runningChildren(), "two nodes and a relay");
        }
        for (ProcessHandle h : started) {
            assertFalse(h.isAlive(), "still running after close: " + h.pid());
        }
        assertEquals(0, LiveCluster.runningChildren());
        assertFalse(Files.exists(dir), "a temporary cluster directory is removed");
    }

    @Test
    void witnessesAreTheLastNodesAndAtLeastOneNodeOfAtMostSevenHoldsState() {
        LiveCluster.Options o = LiveCluster.Options.of(3, 0).withWitnesses(1);
        assertEquals(List.of(Role.VOTER, Role.VOTER, Role.WITNESS), List.of(o.roleOf(0), o.roleOf(1), o.roleOf(2)));
        assertEquals(Role.LEARNER, LiveCluster.Options.of(9, 0).roleOf(8), "no witness: past seven, learners");
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> LiveCluster.Options.of(2, 0).withWitnesses(2));
        assertTrue(none.getMessage().contains("at least one node holds the agent's state"), none.getMessage());
        IllegalArgumentException many = assertThrows(IllegalArgumentException.class,
                () -> LiveCluster.Options.of(8, 0).withWitnesses(1));
        assertTrue(many.getMessage().contains("a witness must be a voter"), many.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LiveCluster.Options.of(3, 0).withWitnesses(-1));
    }

    @Test
    void sigtermToTheHarnessKillsItsNodes(@TempDir Path dir) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), LiveCommand.class.getName(),
                "--nodes", "2", "--duration", "5m", "--faults", "none", "--out", dir.toString());
        Process harness = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("harness.log").toFile()).start();
        try {
            List<ProcessHandle> nodes = new ArrayList<>();
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(90)).until(() -> {
                assertTrue(harness.isAlive(), Files.readString(dir.resolve("harness.log")));
                return Files.readString(dir.resolve("harness.log")).contains("cluster ready");
            });
            harness.children().forEach(nodes::add); // the harness starts nothing but node processes here
            assertEquals(2, nodes.size(), "two node processes under the harness");
            harness.destroy(); // SIGTERM: the JVM runs its shutdown hooks, as on Ctrl-C (SIGINT)
            assertTrue(harness.waitFor(30, TimeUnit.SECONDS), "the harness exits");
            for (ProcessHandle h : nodes) {
                h.onExit().get(15, TimeUnit.SECONDS);
                assertFalse(h.isAlive(), "node process " + h.pid() + " outlived the harness");
            }
        } finally {
            harness.descendants().forEach(ProcessHandle::destroyForcibly);
            harness.destroyForcibly();
        }
    }
}
