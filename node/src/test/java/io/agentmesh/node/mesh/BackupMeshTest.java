package io.agentmesh.node.mesh;

import io.agentmesh.node.backup.format.RecipientGrant;
import io.agentmesh.node.backup.run.BackupGrants;
import io.agentmesh.node.backup.target.BackupConfig;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.runtime.NodeRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Backups in a three-node mesh: on the leader only, to every node's key, continued by the next leader. */
class BackupMeshTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> post(int httpPort) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1/backup"))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static long files(Path dir, String sub) throws Exception {
        if (!Files.isDirectory(dir.resolve(sub))) {
            return 0;
        }
        try (Stream<Path> s = Files.walk(dir.resolve(sub))) {
            return s.filter(Files::isRegularFile).count();
        }
    }

    private static int leader(LocalMesh mesh) {
        for (int i = 0; i < mesh.nodes.length; i++) {
            if (mesh.nodes[i] != null && mesh.nodes[i].isLeader()) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void aFollowerNamesTheLeaderEveryNodeVerifiesAndTheNextLeaderContinuesTheChain(@TempDir Path dir) throws Exception {
        Path nas = Files.createDirectories(dir.resolve("nas"));
        try (LocalMesh mesh = new LocalMesh(dir, 3)) {
            mesh.backup = BackupConfig.parse(new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + nas.toAbsolutePath() + "\"}]}"), "test");
            // The machine with the root key signed the phrase grant (as init does); node 0 publishes it.
            BackupGrants.writePhraseGrant(mesh.home(0).resolve("identity"), RecipientGrant.phrase(mesh.root));
            mesh.startAll();
            await().atMost(Duration.ofSeconds(30)).until(() -> leader(mesh) >= 0);
            // Every node's operational recipient and the phrase's are on the target.
            await().atMost(Duration.ofSeconds(30)).until(() -> files(nas, "grants") == 4);
            int lead = leader(mesh);
            int follower = (lead + 1) % 3;
            mesh.nodes[lead].appendMemory("note", "before failover", List.of()).join();

            // A follower learns the leader from its first heartbeat, which may come after the leader knows it
            // leads; until then it answers 409 with "unknown right now". Refusals change nothing, so ask again.
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                HttpResponse<String> refused = post(mesh.httpPorts.get(follower));
                assertEquals(409, refused.statusCode(), refused.body());
                return refused.body().contains(mesh.ids.get(lead).toString());
            });
            HttpResponse<String> ok = post(mesh.httpPorts.get(lead));
            assertEquals(200, ok.statusCode(), ok.body());
            assertTrue(ok.body().contains("\"manifest\":1"), ok.body());

            // The follower opens the leader's backup with its own key (the drill's path).
            Files.writeString(mesh.home(follower).resolve("backup.json"),
                    "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + nas.toAbsolutePath() + "\"}]}");
            assertEquals(0, AgentmeshCommand.execute("backup", "verify", "--home", mesh.home(follower).toString()));

            mesh.stop(lead);
            await().atMost(Duration.ofSeconds(30)).until(() -> leader(mesh) >= 0);
            int next = leader(mesh);
            mesh.nodes[next].appendMemory("note", "after failover", List.of()).join();
            HttpResponse<String> continued = post(mesh.httpPorts.get(next));
            assertEquals(200, continued.statusCode(), continued.body());
            assertTrue(continued.body().contains("\"manifest\":2") && continued.body().contains("\"ok\":true"),
                    continued.body());
            assertEquals(2, files(nas, "man"));
        }
    }
}
