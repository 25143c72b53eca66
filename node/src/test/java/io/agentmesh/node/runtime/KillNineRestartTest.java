package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class KillNineRestartTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void acknowledgedMemorySurvivesKillNineAndTheNodeRestartsWithinSeconds(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        Path log = dir.resolve("node.log");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", home.toString(), "--quiet-phrase"), NodeProcess.read(log));
        int mesh = freePort();
        int http = freePort();
        Set<String> acknowledged = new HashSet<>();
        try (NodeProcess node = NodeProcess.start(home, mesh, http, log)) {
            await().atMost(Duration.ofSeconds(60)).until(node::ready);
            for (int i = 0; i < 50; i++) {
                HttpResponse<String> r = node.post("/v1/memory", "{\"text\":\"entry " + i + "\",\"tags\":[\"t\"]}");
                assertEquals(201, r.statusCode(), r.body());
                acknowledged.add(JSON.readTree(r.body()).get("id").asText());
            }
            node.kill9();
        }
        try (NodeProcess node = NodeProcess.start(home, mesh, http, log)) {
            await().atMost(Duration.ofSeconds(60)).until(node::ready);
            JsonNode entries = JSON.readTree(node.get("/v1/memory?limit=1000").body()).get("entries");
            Set<String> present = new HashSet<>();
            entries.forEach(e -> present.add(e.get("id").asText()));
            assertTrue(present.containsAll(acknowledged), "lost acknowledged entries; log:\n" + NodeProcess.read(log));
            assertEquals(0, node.terminate(), "SIGTERM should stop the node cleanly; log:\n" + NodeProcess.read(log));
        }
    }

    @Test
    void badRequestsGetClearErrorsAndChangeNothing(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        Path log = dir.resolve("node.log");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", home.toString(), "--quiet-phrase"), NodeProcess.read(log));
        try (NodeProcess node = NodeProcess.start(home, freePort(), freePort(), log)) {
            await().atMost(Duration.ofSeconds(60)).until(node::ready);
            assertEquals(400, node.post("/v1/memory", "not json").statusCode());
            assertEquals(400, node.post("/v1/memory", "{\"kind\":\"note\"}").statusCode());
            assertEquals(400, node.post("/v1/memory", "{\"text\":\"x\",\"kind\":\"" + "k".repeat(5000) + "\"}").statusCode());
            assertEquals(404, node.get("/v1/nothing").statusCode());
            JsonNode entries = JSON.readTree(node.get("/v1/memory").body()).get("entries");
            assertEquals(0, entries.size());
            node.terminate();
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
