package io.agentmesh.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GET /v1/memory served from the read view: every client reads its own acknowledged write at once, even with other
 * writers going on; searches by words and tag; bad parameters are a 400 that says which.
 */
class MemoryReadApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void clientsReadTheirOwnWritesAndSearchByWordsAndTag(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        try (NodeRuntime node = NodeRuntime.start(new NodeSettings(home.resolve("identity"), home.resolve("state"),
                Optional.empty(), new InetSocketAddress("127.0.0.1", freePort()), Optional.empty(),
                new InetSocketAddress("127.0.0.1", 0), List.of(), List.of(), 20_000, false, AgentSettings.none()))) {
            String base = "http://127.0.0.1:" + node.httpPort();
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            List<Thread> writers = new ArrayList<>();
            for (int w = 0; w < 8; w++) {
                int writer = w;
                writers.add(Thread.ofPlatform().start(() -> {
                    try {
                        for (int i = 0; i < 25; i++) {
                            String tag = writer % 2 == 0 ? "even" : "odd";
                            JsonNode written = JSON.readTree(post(base + "/v1/memory", "{\"text\": \"writer w" + writer
                                    + "x entry " + i + " Zebra\", \"kind\": \"note\", \"tags\": [\"" + tag + "\"]}"));
                            String id = written.get("id").asText();
                            JsonNode newest = JSON.readTree(get(base + "/v1/memory?limit=50", 200));
                            boolean seen = false;
                            for (JsonNode e : newest.get("entries")) {
                                seen |= e.get("id").asText().equals(id);
                            }
                            if (!seen) {
                                problems.add("writer " + writer + " did not read its entry " + id);
                            }
                        }
                    } catch (Exception e) {
                        problems.add(e.toString());
                    }
                }));
            }
            for (Thread t : writers) {
                t.join();
            }
            assertEquals(List.of(), List.copyOf(problems));

            JsonNode hits = JSON.readTree(get(base + "/v1/memory?q=" + enc("zebra W3X") + "&limit=1000", 200))
                    .get("entries");
            assertEquals(25, hits.size());
            for (JsonNode e : hits) {
                assertTrue(e.get("text").asText().startsWith("writer w3x "), e.toString());
            }
            JsonNode odd = JSON.readTree(get(base + "/v1/memory?tag=odd&limit=1000", 200)).get("entries");
            assertEquals(100, odd.size());
            JsonNode both = JSON.readTree(get(base + "/v1/memory?tag=even&q=" + enc("entry 24") + "&limit=10",
                    200)).get("entries");
            assertEquals(4, both.size(), both.toString());

            assertTrue(get(base + "/v1/memory?limit=0", 400).contains("limit"));
            assertTrue(get(base + "/v1/memory?lmit=5", 400).contains("unknown query parameter 'lmit'"));
            assertTrue(get(base + "/v1/memory?q=%20%20", 400).contains("q must have"));
            assertTrue(get(base + "/v1/memory?tag=" + "t".repeat(65), 400).contains("tag"));
            assertTrue(get(base + "/v1/memory?q=a&q=b", 400).contains("twice"));
            assertTrue(get(base + "/v1/memory?q=a%01b", 400).contains("control"));
        }
        // A clean shutdown snapshots and saves the view beside it; the restart adopts it and serves the same log.
        assertTrue(java.nio.file.Files.isRegularFile(home.resolve("state").resolve(
                io.agentmesh.state.MemoryViewFile.NAME)));
        try (NodeRuntime node = NodeRuntime.start(new NodeSettings(home.resolve("identity"), home.resolve("state"),
                Optional.empty(), new InetSocketAddress("127.0.0.1", freePort()), Optional.empty(),
                new InetSocketAddress("127.0.0.1", 0), List.of(), List.of(), 20_000, false, AgentSettings.none()))) {
            String base = "http://127.0.0.1:" + node.httpPort();
            assertEquals(200, JSON.readTree(get(base + "/v1/memory?limit=1000", 200)).get("entries").size());
            assertEquals(100, JSON.readTree(get(base + "/v1/memory?tag=odd&limit=1000", 200)).get("entries").size());
            JsonNode after = JSON.readTree(post(base + "/v1/memory", "{\"text\": \"after restart\", \"tags\": [\"odd\"]}"));
            JsonNode newest = JSON.readTree(get(base + "/v1/memory?limit=1", 200)).get("entries");
            assertEquals(after.get("id"), newest.get(0).get("id"));
        }
    }

    private String get(String url, int expectStatus) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(expectStatus, r.statusCode(), r.body());
        return r.body();
    }

    private String post(String url, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, r.statusCode(), r.body());
        return r.body();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
