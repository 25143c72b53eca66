package io.agentmesh.node.runtime;

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
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A real `node run --workspace` process killed with SIGKILL and started again: the files its disk kept from before
 * are stale copies, not edits, so the document's newer content replaces them instead of being merged with them.
 */
class WorkspaceKillNineRestartTest {
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private static HttpResponse<String> call(int http, String method, String pathAndQuery, String body)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String file(int http, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = call(http, "GET", "/v1/workspace/file?path=" + path, null);
        return r.statusCode() == 200 ? r.body() : null;
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static long savedBases(Path home) throws IOException {
        try (Stream<Path> files = Files.walk(home)) {
            return files.filter(f -> f.getParent().getFileName().toString().equals("workspace-base")
                    && f.getFileName().toString().endsWith(".base")).count();
        }
    }

    @Test
    void staleCopiesOnAKilledNodesDiskTakeTheDocumentsContentAfterRestart(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("home");
        Path ws = Files.createDirectories(dir.resolve("ws"));
        Path log = dir.resolve("node.log");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", home.toString(), "--quiet-phrase"),
                NodeProcess.read(log));
        int mesh = KillNineRestartTest.freePort();
        int http = KillNineRestartTest.freePort();
        try (NodeProcess node = NodeProcess.start(home, mesh, http, log, "--workspace", ws.toString())) {
            await().atMost(WAIT).until(node::ready);
            Files.writeString(ws.resolve("counter.txt"), "41\n");
            Files.writeString(ws.resolve("MEMORY.md"), "a\nb\nc\n");
            Files.writeString(ws.resolve("gone.md"), "soon deleted elsewhere\n");
            await().atMost(WAIT).until(() -> "41\n".equals(file(http, "counter.txt"))
                    && "a\nb\nc\n".equals(file(http, "MEMORY.md")) && file(http, "gone.md") != null);
            await().atMost(WAIT).until(() -> savedBases(home) == 3);
            node.kill9();
        }
        // The document moves on while this disk keeps its copies (the node runs without its mirror for a while, as
        // when the mesh's changes reach its store and it dies before writing them to disk).
        try (NodeProcess node = NodeProcess.start(home, mesh, http, log)) {
            await().atMost(WAIT).until(node::ready);
            assertEquals(200, call(http, "PUT", "/v1/workspace/file?path=counter.txt", "57\n").statusCode());
            assertEquals(200, call(http, "PUT", "/v1/workspace/file?path=MEMORY.md", "a\nc\n").statusCode());
            assertEquals(200, call(http, "DELETE", "/v1/workspace/file?path=gone.md", null).statusCode());
            node.kill9();
        }
        assertEquals("41\n", read(ws.resolve("counter.txt")));
        try (NodeProcess node = NodeProcess.start(home, mesh, http, log, "--workspace", ws.toString())) {
            await().atMost(WAIT).until(node::ready);
            await().atMost(WAIT).until(() -> "57\n".equals(read(ws.resolve("counter.txt")))
                    && "a\nc\n".equals(read(ws.resolve("MEMORY.md"))) && read(ws.resolve("gone.md")) == null);
            // A union of 57 and 41 would show within half a second: both copies must stay 57 throughout.
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(10)).until(() ->
                    "57\n".equals(file(http, "counter.txt")) && "57\n".equals(read(ws.resolve("counter.txt"))));
            assertEquals("57\n", file(http, "counter.txt"), "not 57 and 41; log:\n" + NodeProcess.read(log));
            assertEquals("a\nc\n", file(http, "MEMORY.md"), "the deleted line stays deleted");
            assertEquals(null, file(http, "gone.md"), "not brought back from this disk");
            assertEquals("57\n", read(ws.resolve("counter.txt")));
            assertEquals(0, node.terminate(), NodeProcess.read(log));
        }
    }
}
