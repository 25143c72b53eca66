package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** One real `node run` process hosting an agent: the watchdog after kill -9, a crash loop, fences and bad input. */
class AgentNodeLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static JsonNode agentProcess(NodeProcess node) throws Exception {
        return JSON.readTree(node.get("/v1/status").body()).path("agentProcess");
    }

    private static Path init(Path dir, Path log) throws Exception {
        Path home = dir.resolve("home");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", home.toString(), "--quiet-phrase"),
                NodeProcess.read(log));
        return home;
    }

    @Test
    void aNodeKilledWithMinus9TakesItsAgentWithItWithinTheGraceAndRunsItAgainAfterRestart(@TempDir Path dir)
            throws Exception {
        Path log = dir.resolve("node.log");
        Path home = init(dir, log);
        Path workspace = Files.createDirectories(dir.resolve("workspace"));
        Path beats = dir.resolve("beats");
        // An agent that ignores SIGTERM, so only the watchdog's SIGKILL after the grace ends it.
        Files.writeString(workspace.resolve("agent.sh"), "trap '' TERM\necho $$ > pid\n"
                + "while :; do date +%s%3N >> " + beats + "; sleep 0.02; done\n");
        int mesh = KillNineRestartTest.freePort();
        int http = KillNineRestartTest.freePort();
        long graceMs = 300;
        long killedAt;
        long agentPid;
        try (NodeProcess node = NodeProcess.start(home, mesh, http, log, "--workspace", workspace.toString(),
                "--agent-stop-grace-ms", Long.toString(graceMs), "--", "sh", "agent.sh")) {
            await().atMost(WAIT).until(() -> node.ready() && agentProcess(node).path("state").asText()
                    .equals("running") && Files.exists(beats));
            JsonNode a = agentProcess(node);
            agentPid = Long.parseLong(Files.readString(workspace.resolve("pid")).trim());
            assertTrue(a.path("fence").asText().matches("\\d+\\.\\d+"), a.toString());
            killedAt = System.currentTimeMillis();
            node.kill9();
        }
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
                .until(() -> !Processes.running(agentPid));
        long goneAfterMs = System.currentTimeMillis() - killedAt;
        List<String> lines = Files.readAllLines(beats);
        long lastBeat = Long.parseLong(lines.get(lines.size() - 1).trim());
        System.out.printf("agent after kill -9 of its node: last beat %d ms after the kill, gone within %d ms"
                + " (grace %d ms)%n", lastBeat - killedAt, goneAfterMs, graceMs);
        // The watchdog's own work (see end of file, fork sleep, signal) takes a little on a loaded machine; a new
        // leader is elected no earlier than T = 300 ms after the kill and then waits the start bound on top.
        assertTrue(lastBeat - killedAt <= graceMs + 400, "the agent outlived its node by " + (lastBeat - killedAt)
                + " ms; the bound is the grace (" + graceMs + " ms) + 400 ms\n" + NodeProcess.read(log));
        // Restarted, the node finds no orphan (the watchdog took it) and runs the agent again under a new fence.
        try (NodeProcess node = NodeProcess.start(home, mesh, http, log, "--workspace", workspace.toString(),
                "--agent-stop-grace-ms", Long.toString(graceMs), "--", "sh", "agent.sh")) {
            await().atMost(WAIT).until(() -> node.ready() && agentProcess(node).path("state").asText()
                    .equals("running"));
            long newPid = agentProcess(node).path("pid").asLong();
            assertNotEquals(agentPid, newPid);
            // SIGTERM to the node stops the agent (SIGKILL after the grace, since it ignores SIGTERM) before exiting.
            assertEquals(0, node.terminate(), NodeProcess.read(log));
            await().atMost(Duration.ofSeconds(5)).until(() -> !Processes.running(newPid));
        }
    }

    @Test
    void anAgentThatExitsAtOnceEndsInACrashLoopAndStaleFencesAreRefused(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("node.log");
        Path home = init(dir, log);
        Path workspace = Files.createDirectories(dir.resolve("workspace"));
        try (NodeProcess node = NodeProcess.start(home, KillNineRestartTest.freePort(), KillNineRestartTest.freePort(),
                log, "--workspace", workspace.toString(), "--", "sh", "-c", "echo giving up; exit 3")) {
            await().atMost(WAIT).until(() -> node.ready() && agentProcess(node).path("state").asText()
                    .equals("crash-loop"));
            JsonNode a = agentProcess(node);
            assertEquals(3, a.path("lastExitCode").asInt(), a.toString());
            assertTrue(a.path("crashLoop").asText().contains("exited 5 times"), a.toString());
            assertTrue(a.path("lastLines").toString().contains("giving up"), a.toString());
            assertEquals(4, a.path("restarts").asInt(), a.toString());

            // The fences: each run committed one; the newest is current.
            String current = a.path("newestFence").path("fence").asText();
            String[] parts = current.split("\\.");
            String older = parts[0] + "." + (Long.parseLong(parts[1]) - 1);
            HttpResponse<String> stale = postIntent(node, older);
            assertEquals(409, stale.statusCode(), stale.body());
            JsonNode body = JSON.readTree(stale.body());
            assertEquals(current, body.path("currentFence").asText());
            assertEquals(older, body.path("presentedFence").asText());
            assertTrue(body.path("error").asText().contains("stale agent fence"), stale.body());
            assertEquals(201, postIntent(node, current).statusCode());
            assertEquals(201, postIntent(node, null).statusCode(), "no fence: the CLI and people");
            HttpResponse<String> malformed = postIntent(node, "seven");
            assertEquals(400, malformed.statusCode());
            assertTrue(malformed.body().contains("Agentmesh-Fence"), malformed.body());
            // Refused calls changed nothing: two intents, the two accepted.
            JsonNode state = JSON.readTree(node.get("/v1/state").body());
            assertEquals(2, state.path("intents").size(), state.path("intents").toString());
            node.terminate();
        }
        assertTrue(NodeProcess.read(log).contains("crash loop"), NodeProcess.read(log));
    }

    private static HttpResponse<String> postIntent(NodeProcess node, String fence) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.httpPort
                + "/v1/intents")).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"job\",\"payload\":{}}"));
        if (fence != null) {
            b.header("Agentmesh-Fence", fence);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anAgentCommandThatDoesNotExistOrHasNoWorkspaceIsRefusedAtStart(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("node.log");
        Path home = init(dir, log);
        Path workspace = Files.createDirectories(dir.resolve("workspace"));
        assertNotEquals(0, NodeProcess.runCli(log, "node", "run", "--home", home.toString(), "--listen",
                "127.0.0.1:0", "--http", "127.0.0.1:0", "--workspace", workspace.toString(), "--",
                "no-such-agent-command"));
        assertTrue(NodeProcess.read(log).contains("'no-such-agent-command' is not on PATH"), NodeProcess.read(log));
        assertNotEquals(0, NodeProcess.runCli(log, "node", "run", "--home", home.toString(), "--listen",
                "127.0.0.1:0", "--http", "127.0.0.1:0", "--workspace", workspace.toString(), "--", "./agent.py"));
        assertTrue(NodeProcess.read(log).contains("is not an executable file"), NodeProcess.read(log));
        assertNotEquals(0, NodeProcess.runCli(log, "node", "run", "--home", home.toString(), "--listen",
                "127.0.0.1:0", "--http", "127.0.0.1:0", "--", "sh", "agent.sh"));
        assertTrue(NodeProcess.read(log).contains("needs --workspace"), NodeProcess.read(log));
    }
}
