package io.agentmesh.node.api;

import io.agentmesh.node.replication.Durability;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.MemoryView;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * While a node loads its state it serves memory reads from the view saved with its last snapshot (marked
 * "loading"), answers a short status, and holds writes until the load is done; then they go through.
 */
class LoadingApiTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void memoryReadsAreServedBeforeTheStateHasLoadedAndWritesWaitForIt() throws Exception {
        MemoryView saved = MemoryView.of(List.of(new MemoryEntry("m-1", 1L, "node-1", "note", "saved before",
                List.of("a"))));
        CompletableFuture<Void> loaded = new CompletableFuture<>();
        CompletableFuture<Object> written = new CompletableFuture<>();
        NodeOperations node = new UnusedNodeOperations() {
            @Override
            public CompletableFuture<Void> loaded() {
                return loaded;
            }

            @Override
            public boolean memoryReadableWhileLoading() {
                return true;
            }

            @Override
            public Map<String, Object> loadingStatus() {
                return Map.of("loading", true, "memoryEntries", saved.size());
            }

            @Override
            public CompletableFuture<List<?>> memory(int limit) {
                return CompletableFuture.completedFuture(saved.newest(limit));
            }

            @Override
            public CompletableFuture<List<?>> memorySearch(String query, String tag, int limit) {
                return CompletableFuture.completedFuture(saved.search(query, tag, limit));
            }

            @Override
            public CompletableFuture<Object> appendMemory(String kind, String text, List<String> tags,
                                                          Durability durability) {
                written.complete(text);
                return CompletableFuture.completedFuture(Map.of("text", text));
            }
        };
        try (HttpApi api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), node, "test")) {
            api.start();
            String base = "http://127.0.0.1:" + api.port();
            HttpResponse<String> read = send(base + "/v1/memory?limit=10", null);
            assertEquals(200, read.statusCode(), read.body());
            assertTrue(read.body().contains("saved before") && read.body().contains("\"loading\":true"), read.body());
            assertTrue(send(base + "/v1/memory?tag=a", null).body().contains("saved before"));
            HttpResponse<String> status = send(base + "/v1/status", null);
            assertEquals(200, status.statusCode());
            assertTrue(status.body().contains("\"loading\":true"), status.body());

            CompletableFuture<HttpResponse<String>> write = http.sendAsync(HttpRequest.newBuilder(
                    URI.create(base + "/v1/memory")).POST(HttpRequest.BodyPublishers.ofString("{\"text\": \"new\"}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            Thread.sleep(300);
            assertFalse(written.isDone(), "a write waits for the load");
            loaded.complete(null);
            assertEquals(201, write.get(10, TimeUnit.SECONDS).statusCode());
            assertEquals("new", written.get());
            HttpResponse<String> after = send(base + "/v1/memory?limit=10", null);
            assertFalse(after.body().contains("loading"), after.body());
        }
    }

    private HttpResponse<String> send(String url, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
        return http.send(body == null ? b.GET().build() : b.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
