package io.agentmesh.node.runtime;

import io.agentmesh.node.cli.AgentmeshCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A node killed with SIGKILL in the middle of a backup: the next backup just works, and the result verifies. */
class BackupKillNineTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static HttpResponse<String> backup(int httpPort) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1/backup"))
                .timeout(Duration.ofSeconds(120)).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<Path> files(Path dir, String sub) throws Exception {
        if (!Files.isDirectory(dir.resolve(sub))) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir.resolve(sub))) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    @Test
    void aBackupKilledMidwayLeavesNothingToClearAndTheNextOneVerifies(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        Path nas = Files.createDirectories(dir.resolve("nas"));
        Path log = dir.resolve("node.log");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", home.toString(), "--quiet-phrase"), NodeProcess.read(log));
        Files.writeString(home.resolve("backup.json"),
                "{\"targets\": [{\"id\": \"nas\", \"uri\": \"file://" + nas.toAbsolutePath() + "\"}]}");
        int mesh = freePort();
        int http = freePort();
        try (NodeProcess node = NodeProcess.start(home, mesh, http, log)) {
            await().atMost(Duration.ofSeconds(60)).until(node::ready);
            await().atMost(Duration.ofSeconds(30)).until(() -> backup(http).statusCode() == 200);
            assertEquals(1, files(nas, "man").size());
            // About 20 MB of incompressible memory: two segments, long enough to be killed in the middle.
            SecureRandom random = new SecureRandom();
            for (int i = 0; i < 400; i++) {
                byte[] noise = new byte[36 * 1024];
                random.nextBytes(noise);
                HttpResponse<String> r = node.post("/v1/memory", "{\"text\":\"" + Base64.getEncoder().encodeToString(noise)
                        + "\"}");
                assertEquals(201, r.statusCode(), r.body());
            }
            int segmentsBefore = files(nas, "seg").size();
            CompletableFuture<?> killed = CompletableFuture.runAsync(() -> {
                try {
                    backup(http);
                } catch (Exception expected) {
                    // the node dies under it
                }
            });
            // Killed as soon as the second backup has begun writing objects, before its manifest.
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
                    .until(() -> files(nas, "seg").size() > segmentsBefore);
            node.kill9();
            killed.join();
            assertEquals(1, files(nas, "man").size(), "the kill came after the manifest; the test proves nothing");
        }
        try (NodeProcess node = NodeProcess.start(home, mesh, http, log)) {
            await().atMost(Duration.ofSeconds(60)).until(node::ready);
            await().atMost(Duration.ofSeconds(60)).until(() -> backup(http).statusCode() == 200);
            String list = node.get("/v1/backup").body();
            assertTrue(list.contains("\"ok\":true") && list.contains("\"manifest\":2"), list);
            assertEquals(0, node.terminate(), NodeProcess.read(log));
        }
        assertEquals(0, AgentmeshCommand.execute("backup", "verify", "--home", home.toString()));
    }
}
