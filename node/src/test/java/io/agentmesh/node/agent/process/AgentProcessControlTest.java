package io.agentmesh.node.agent.process;

import io.agentmesh.protocol.time.SystemClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real processes: process groups, the stop grace, output, the watchdog and orphans. */
class AgentProcessControlTest {
    @TempDir
    Path dir;
    private final List<Long> groups = new ArrayList<>();
    private final List<Process> helpers = new ArrayList<>();

    @AfterEach
    void killWhatIsLeft() {
        for (long g : groups) {
            AgentProcessControl.signalGroup(g, "KILL");
        }
        helpers.forEach(Process::destroyForcibly);
    }

    private AgentProcessControl control(long graceMs, AgentOutput output, String... command) {
        return new AgentProcessControl(List.of(command), dir, dir.resolve("state"), graceMs, output,
                new SystemClock());
    }

    private AgentProcessControl.Running start(AgentProcessControl c, Map<String, String> env) throws IOException {
        AgentProcessControl.Running r = c.start(env);
        groups.add(r.pid());
        return r;
    }

    private static List<Long> members(long pgid, AgentProcessControl.Running r) {
        return AgentProcessControl.ourGroupMembers(pgid, r.startedAt());
    }

    @Test
    void theAgentRunsAsTheLeaderOfItsOwnGroupAndStopTakesTheWholeGroup() throws Exception {
        AgentProcessControl c = control(2_000, new AgentOutput(50), "sh", "-c", "sleep 1000 & sleep 1000 & wait");
        AgentProcessControl.Running r = start(c, Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> members(r.pid(), r).size() >= 4); // wrapper, watchdog, sh, 2 sleeps
        assertTrue(members(r.pid(), r).contains(r.pid()), "the wrapper leads its group");
        assertTrue(Files.exists(dir.resolve("state").resolve(AgentProcessControl.RECORD_FILE)));
        long t0 = System.nanoTime();
        Optional<Integer> code = c.stop(r, "test");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(code.isPresent());
        assertTrue(ms < 1_500, "sh and sleep die on SIGTERM; took " + ms + " ms");
        assertTrue(members(r.pid(), r).isEmpty(), "every process of the group is gone");
        assertFalse(Files.exists(dir.resolve("state").resolve(AgentProcessControl.RECORD_FILE)),
                "the record goes with the group");
    }

    @Test
    void aChildThatIgnoresSigtermIsKilledAfterTheGrace() throws Exception {
        Path ready = dir.resolve("ready");
        AgentProcessControl c = control(400, new AgentOutput(50), "sh", "-c",
                "trap '' TERM; touch " + ready + "; while :; do sleep 0.05; done");
        AgentProcessControl.Running r = start(c, Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(ready));
        long t0 = System.nanoTime();
        c.stop(r, "test");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms >= 400, "SIGKILL came only after the grace; took " + ms + " ms");
        assertTrue(ms < 400 + 2_000, "SIGKILL came soon after the grace; took " + ms + " ms");
        assertTrue(members(r.pid(), r).isEmpty());
    }

    @Test
    void outputGoesToTheLogAndTheLastLinesAreKeptBounded() throws Exception {
        AgentOutput output = new AgentOutput(3);
        AgentProcessControl c = control(500, output, "sh", "-c",
                "echo \"fence $AGENTMESH_FENCE in $(pwd)\"; i=0; while [ $i -lt 5 ]; do echo line $i; i=$((i+1));"
                        + " done; sleep 0.2; echo oops >&2; sleep 0.2; printf 'no newline'");
        AgentProcessControl.Running r = start(c, Map.of("AGENTMESH_FENCE", "7.1042"));
        assertEquals(0, r.gone().get(10, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(5)).until(() -> output.lastLines().contains("no newline"));
        assertEquals(List.of("line 4", "oops", "no newline"), output.lastLines());
    }

    @Test
    void theEnvironmentAndWorkingDirectoryReachTheAgent() throws Exception {
        AgentOutput output = new AgentOutput(10);
        AgentProcessControl c = control(500, output, "sh", "-c", "echo \"$AGENTMESH_FENCE|$(pwd -P)\"");
        AgentProcessControl.Running r = start(c, Map.of("AGENTMESH_FENCE", "7.1042"));
        assertEquals(0, r.gone().get(10, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(5)).until(() -> !output.lastLines().isEmpty());
        assertEquals("7.1042|" + dir.toRealPath(), output.lastLines().get(0));
    }

    @Test
    void anOverlongLineIsCutAndSaysSo() throws Exception {
        AgentOutput output = new AgentOutput(10);
        AgentProcessControl c = control(500, output, "sh", "-c", "head -c 10000 /dev/zero | tr '\\0' x; echo");
        AgentProcessControl.Running r = start(c, Map.of());
        r.gone().get(10, TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(5)).until(() -> !output.lastLines().isEmpty());
        String line = output.lastLines().get(0);
        assertTrue(line.startsWith("x".repeat(AgentOutput.MAX_LINE_BYTES)));
        assertTrue(line.endsWith("[line cut at 4096 bytes]"), line.substring(line.length() - 40));
    }

    @Test
    void exitCodesComeThroughAndAMissingCommandExits127() throws Exception {
        AgentProcessControl c = control(500, new AgentOutput(10), "sh", "-c", "exit 3");
        assertEquals(3, start(c, Map.of()).gone().get(10, TimeUnit.SECONDS));
        AgentOutput output = new AgentOutput(10);
        AgentProcessControl missing = control(500, output, "no-such-agent-command-here");
        assertEquals(127, start(missing, Map.of()).gone().get(10, TimeUnit.SECONDS));
        await().atMost(Duration.ofSeconds(5)).until(() -> output.lastLines().stream()
                .anyMatch(l -> l.contains("no-such-agent-command-here")));
    }

    /**
     * The watchdog alone: the wrapper's stdin is a pipe from a helper that stands in for the node; killing the helper
     * with -9 closes the pipe, and the group (here an agent that ignores SIGTERM) is gone within the grace plus a
     * little. The whole path with a real `node run` is in AgentNodeLiveTest.
     */
    @Test
    void whenTheWriterOfItsPipeDiesTheWatchdogKillsTheGroupWithinTheGrace() throws Exception {
        Path beats = dir.resolve("beats");
        String agent = "trap '' TERM; echo $$ > " + dir.resolve("pid") + "; while :; do date +%s%3N >> " + beats
                + "; sleep 0.02; done";
        List<String> cmd = new ArrayList<>(List.of("sh", "-c",
                "sleep 1000 | exec " + String.join(" ", AgentProcessControl.sessionLauncher(System.getenv("PATH")))
                        + " sh -c \"$0\" agentmesh-agent 0.300 sh -c \"$1\"", AgentProcessControl.WRAPPER, agent));
        Process holder = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile())
                .start();
        helpers.add(holder);
        await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("pid"))
                && Files.size(dir.resolve("pid")) > 0);
        long agentPid = Long.parseLong(Files.readString(dir.resolve("pid")).trim());
        ProcessHandle writer = holder.toHandle().children().filter(h -> h.info().command().orElse("")
                .endsWith("sleep")).findFirst().orElseThrow();
        long killedAt = System.currentTimeMillis();
        writer.destroyForcibly();
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> !AgentProcessControl.processGroups().containsKey(agentPid));
        long goneAfterMs = System.currentTimeMillis() - killedAt;
        List<String> lines = Files.readAllLines(beats);
        long lastBeat = Long.parseLong(lines.get(lines.size() - 1).trim());
        assertTrue(lastBeat - killedAt <= 300 + 200, "the agent beat " + (lastBeat - killedAt)
                + " ms after its node's pipe closed; the bound is the 300 ms grace plus 200 ms");
        assertTrue(goneAfterMs <= 300 + 1_000, "gone " + goneAfterMs + " ms after");
    }

    @Test
    void anOrphanOfAnEarlierRunIsFoundFromTheRecordAndStopped() throws Exception {
        AgentProcessControl first = control(300, new AgentOutput(10), "sh", "-c", "sleep 1000 & wait");
        AgentProcessControl.Running r = start(first, Map.of());
        await().atMost(Duration.ofSeconds(10)).until(() -> members(r.pid(), r).size() >= 3);
        // A new control on the same state directory, as after a node restart.
        AgentProcessControl second = control(300, new AgentOutput(10), "sh", "-c", "true");
        assertEquals(Optional.of(r.pid()), second.stopOrphans());
        assertTrue(members(r.pid(), r).isEmpty());
        assertFalse(Files.exists(dir.resolve("state").resolve(AgentProcessControl.RECORD_FILE)));
        assertEquals(Optional.empty(), second.stopOrphans(), "nothing left to find");
    }

    @Test
    void aRecordNamingSomeoneElsesProcessStopsNothing() throws Exception {
        Process stranger = new ProcessBuilder("sleep", "1000").start();
        helpers.add(stranger);
        Files.createDirectories(dir.resolve("state"));
        // Right pid, wrong start time: the number was reused by a process that is not ours.
        Files.writeString(dir.resolve("state").resolve(AgentProcessControl.RECORD_FILE),
                "pid " + stranger.pid() + "\nstarted 1000\n");
        AgentProcessControl c = control(300, new AgentOutput(10), "true");
        assertEquals(Optional.empty(), c.stopOrphans());
        assertTrue(stranger.isAlive());
    }

    @Test
    void aMalformedRecordIsIgnoredAndRemoved() throws Exception {
        Files.createDirectories(dir.resolve("state"));
        Path record = dir.resolve("state").resolve(AgentProcessControl.RECORD_FILE);
        for (String bad : new String[] {"", "pid 1\nstarted 5\n", "pid x\nstarted 5\n", "pid 99\n",
                "pid 99\nstarted -1\n", "pid 99\nstarted 5\nextra\n", "\u0000\u0001"}) {
            Files.writeString(record, bad);
            assertEquals(Optional.empty(), control(300, new AgentOutput(10), "true").stopOrphans(), bad);
            assertFalse(Files.exists(record), "removed: '" + bad + "'");
        }
        assertThrows(IllegalArgumentException.class, () -> AgentProcessControl.parseRecord("pid 2\nstarted x\n"));
        assertEquals(new AgentProcessControl.Record(42, Instant.ofEpochMilli(7)),
                AgentProcessControl.parseRecord("pid 42\nstarted 7\n"));
    }

    @Test
    void theGraceIsWrittenInSecondsForSleep() {
        assertEquals("0.500", AgentProcessControl.graceSeconds(500));
        assertEquals("2.005", AgentProcessControl.graceSeconds(2_005));
        assertEquals("0.000", AgentProcessControl.graceSeconds(0));
    }
}
