package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.backup.run.Drill;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.protocol.identity.IdentityDirectory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** `agentmesh drill` through the leader's API: the printed and recorded report, /v1/drill and the status line. */
class DrillCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CliRun cli(String... args) {
        return CliRun.run(args);
    }

    @Test
    void theLeaderDrillsOnRequestPrintsASignedReportAndShowsTheDrillInStatus(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        Path target = Files.createDirectories(dir.resolve("nas"));
        assertEquals(0, cli("init", "--home", home.toString(), "--quiet-phrase").exit());
        Files.writeString(home.resolve("backup.json"), "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://"
                + target.toAbsolutePath() + "\"}], \"drillEveryHours\": 24}");
        try (NodeRuntime node = LoneNode.start(home, LlmConfig.none(), NodeCommand.Run.backupConfig(home))) {
            await().atMost(Duration.ofSeconds(20)).until(node::isLeader);
            // The leader writes backup.json's default drill schedule ("30 3 * * *", daily) into the state.
            await().atMost(Duration.ofSeconds(20)).until(() -> node.status().get().get("drill"),
                    d -> Map.of("nas", Map.of("state", "missing", "everyMs", 86_400_000L)).equals(d));
            CliRun before = cli("status", "--http", node.httpAddress());
            assertTrue(before.out().contains("backup nas: backup none (on request), drill missing (every 24 h)"),
                    before.out());
            assertTrue(before.out().contains("WARNING no restore drill of nas yet, and one is scheduled every 24 h"),
                    before.out());
            node.appendMemory("note", "first", List.of()).join();
            assertEquals(0, cli("backup", "create", "--http", node.httpAddress()).exit());

            CliRun ok = cli("drill", "--http", node.httpAddress());
            assertEquals(0, ok.exit(), ok.out());
            assertTrue(ok.out().contains("nas: ok, manifest 1,"), ok.out());
            assertTrue(ok.out().contains(" 0 changes would be lost"), ok.out());
            assertTrue(ok.out().contains("identity continuous"), ok.out());

            node.appendMemory("note", "second", List.of()).join();
            CliRun json = cli("drill", "--http", node.httpAddress(), "--target", "nas", "--json");
            assertEquals(0, json.exit(), json.out());
            JsonNode signed = JSON.readTree(json.out());
            var nodeKey = IdentityDirectory.of(home.resolve("identity")).readCertificate().nodeKey();
            assertTrue(Drill.signatureValid(signed, nodeKey), "signed by the node key, as printed");
            JsonNode lost = signed.path("report").path("attempts").get(0).path("lostWrites");
            assertEquals(1, lost.path("changes").asLong(), lost.toPrettyString());

            @SuppressWarnings("unchecked")
            Map<String, Object> line = (Map<String, Object>) ((Map<String, Object>) node.status().get().get("drill"))
                    .get("nas");
            assertEquals("ok", line.get("state"), line.toString());
            CliRun after = cli("status", "--http", node.httpAddress());
            assertTrue(after.out().contains("backup nas: backup ok "), after.out());
            assertTrue(after.out().contains(" ago (on request), drill ok "), after.out());
            assertFalse(after.out().contains("WARNING"), after.out());
            var get = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://" + node.httpAddress() + "/v1/drill")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertEquals(200, get.statusCode());
            assertEquals(1, JSON.readTree(get.body()).path("nas").path("last").path("lostChanges").asLong(), get.body());
            assertEquals(2, Files.list(home.resolve("state").resolve(Drill.DRILLS_DIR)).count(),
                    "two reports and no scratch directory left");
            assertEquals(2, Files.list(target.resolve("drill")).count());
        }
    }
}
