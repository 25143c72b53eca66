package io.agentmesh.node.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two real nodes (Netty, SQLite, HTTP) on loopback, each mirroring its own workspace directory. */
class WorkspaceMeshTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static HttpResponse<String> call(int port, String method, String pathAndQuery, String body)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(20));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Starts every node of {@code mesh} mirroring a workspace directory of its own, ws0, ws1... under {@code dir}. */
    private static Path[] startMirroring(LocalMesh mesh, Path dir) throws Exception {
        Path[] ws = new Path[mesh.nodes.length];
        for (int i = 0; i < ws.length; i++) {
            ws[i] = Files.createDirectories(dir.resolve("ws" + i));
        }
        mesh.workspaces = ws;
        mesh.startAll();
        return ws;
    }

    @Test
    void anEditInOneWorkspaceReachesTheOtherAndTheApiServesTheFiles(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 2)) {
            Path[] ws = startMirroring(mesh, dir);
            Path ws0 = ws[0];
            Path ws1 = ws[1];
            Files.createDirectories(ws0.resolve("memory"));
            Files.writeString(ws0.resolve("memory/2026-12-03.md"), "- 09:00 started\n");
            await().atMost(WAIT).until(() -> "- 09:00 started\n".equals(read(ws1.resolve("memory/2026-12-03.md"))));
            Files.writeString(ws1.resolve("memory/2026-12-03.md"), "- 09:00 started\n- 09:05 from node 1\n");
            await().atMost(WAIT).until(() -> "- 09:00 started\n- 09:05 from node 1\n"
                    .equals(read(ws0.resolve("memory/2026-12-03.md"))));

            int http0 = mesh.httpPorts.get(0);
            int http1 = mesh.httpPorts.get(1);
            HttpResponse<String> put = call(http1, "PUT", "/v1/workspace/file?path=HEARTBEAT.md", "- check mail\n");
            assertEquals(200, put.statusCode(), put.body());
            assertEquals(13, JSON.readTree(put.body()).get("bytes").asInt());
            await().atMost(WAIT).until(() -> "- check mail\n".equals(read(ws0.resolve("HEARTBEAT.md"))));
            HttpResponse<String> get = call(http0, "GET", "/v1/workspace/file?path=HEARTBEAT.md", null);
            assertEquals(200, get.statusCode());
            assertEquals("- check mail\n", get.body());
            assertTrue(get.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            JsonNode list = JSON.readTree(call(http0, "GET", "/v1/workspace", null).body());
            assertEquals(2, list.get("files").size(), list.toString());
            assertEquals(0, list.get("refused").size());

            assertEquals(200, call(http0, "DELETE", "/v1/workspace/file?path=HEARTBEAT.md", null).statusCode());
            await().atMost(WAIT).until(() -> read(ws1.resolve("HEARTBEAT.md")) == null);
            assertEquals(404, call(http1, "GET", "/v1/workspace/file?path=HEARTBEAT.md", null).statusCode());
            assertEquals(404, call(http1, "DELETE", "/v1/workspace/file?path=HEARTBEAT.md", null).statusCode());

            await().atMost(WAIT).until(() -> JSON.readTree(call(http0, "GET", "/v1/status", null).body())
                    .get("workspace").get("files").asInt() == 1);
            JsonNode status = JSON.readTree(call(http0, "GET", "/v1/status", null).body()).get("workspace");
            assertEquals(0, status.get("refused").asInt(), status.toString());
            assertTrue(status.get("lastSyncMillis").asLong() > 0, status.toString());
        }
    }

    @Test
    void aRestartedNodesStaleCopyTakesTheMeshsContentInsteadOfAddingItsOldLines(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 2)) {
            Path[] ws = startMirroring(mesh, dir);
            Path ws0 = ws[0];
            Path ws1 = ws[1];
            Files.writeString(ws0.resolve("counter.txt"), "41\n");
            await().atMost(WAIT).until(() -> "41\n".equals(read(ws1.resolve("counter.txt"))));
            mesh.stop(1);
            Files.writeString(ws0.resolve("counter.txt"), "57\n");
            // Node 1 comes back without its mirror for a while: its document catches up with 57 while its disk
            // keeps 41 (as after a kill -9 between storing a change and writing the file).
            mesh.workspaces[1] = null;
            mesh.start(1);
            int http1 = mesh.httpPorts.get(1);
            await().atMost(WAIT).until(() -> "57\n".equals(call(http1, "GET", "/v1/workspace/file?path=counter.txt",
                    null).body()));
            mesh.stop(1);
            mesh.workspaces[1] = ws1;
            mesh.start(1);
            await().atMost(WAIT).until(() -> "57\n".equals(read(ws1.resolve("counter.txt"))));
            // A union would show within half a second, on either node: both copies must stay 57 throughout.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() ->
                    "57\n".equals(read(ws1.resolve("counter.txt"))) && "57\n".equals(read(ws0.resolve("counter.txt"))));
            assertEquals("57\n", call(mesh.httpPorts.get(0), "GET", "/v1/workspace/file?path=counter.txt", null)
                    .body(), "not 57 and 41: the restarted node's old copy was no edit");
        }
    }

    @Test
    void theApiRefusesPathsOutsideTheWorkspaceIgnoredPathsAndBinaryBodies(@TempDir Path dir) throws Exception {
        try (LocalMesh mesh = new LocalMesh(dir, 1)) {
            Path ws = startMirroring(mesh, dir)[0];
            int port = mesh.httpPorts.get(0);
            for (String bad : new String[] {"../../etc/passwd", "memory/../../x", "%2Fetc%2Fpasswd", "a%00b", "a//b",
                    ".git/config", "x.swp"}) {
                HttpResponse<String> r = call(port, "PUT", "/v1/workspace/file?path=" + bad, "x\n");
                assertEquals(400, r.statusCode(), bad + ": " + r.body());
                assertEquals(400, call(port, "GET", "/v1/workspace/file?path=" + bad, null).statusCode(), bad);
            }
            assertTrue(call(port, "PUT", "/v1/workspace/file?path=../x", "x").body().contains(".."));
            assertEquals(400, call(port, "PUT", "/v1/workspace/file", "x").statusCode(), "no path");
            HttpRequest binary = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                            + "/v1/workspace/file?path=img.png"))
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(new byte[] {(byte) 0x89, 'P', 'N', 'G', (byte) 0xff}))
                    .build();
            HttpResponse<String> r = HTTP.send(binary, HttpResponse.BodyHandlers.ofString());
            assertEquals(400, r.statusCode());
            assertTrue(r.body().contains("UTF-8"), r.body());
            assertEquals(413, call(port, "PUT", "/v1/workspace/file?path=big.md",
                    "x".repeat(1024 * 1024 + 1)).statusCode());
            assertEquals(400, call(port, "PUT", "/v1/workspace/file?path=a.md&durability=most", "a\n")
                    .statusCode(), "durability is local or majority");
            assertEquals(400, call(port, "PUT", "/v1/workspace/file?path=a.md&durability=maybe", "a\n").statusCode());
            JsonNode list = JSON.readTree(call(port, "GET", "/v1/workspace", null).body());
            assertEquals(0, list.get("files").size(), "nothing was written: " + list);
            try (var files = Files.list(ws)) {
                assertEquals(0, files.count());
            }
        }
    }
}
