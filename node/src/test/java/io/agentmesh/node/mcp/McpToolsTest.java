package io.agentmesh.node.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.agentmesh.protocol.time.SystemClock;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpSchema.TextContent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The MCP tools against a fake node that speaks the HTTP contract (docs/mcp.md, the workspace endpoints of issue 11):
 * which requests each tool sends (method, path, query, body, the fence header on side effects only), how answers
 * and refusals come back, and that bad input, a node that is down and a node that hangs are clear tool errors
 * within a bound.
 */
class McpToolsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FENCE = "7:42";

    /** One request the fake node received. */
    record Seen(String method, String path, String query, String fence, String contentType, String body) {
    }

    @FunctionalInterface
    interface Route {
        void answer(HttpExchange ex, String body) throws IOException;
    }

    private HttpServer server;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Map<String, Route> routes = new ConcurrentHashMap<>();

    @BeforeEach
    void startFakeNode() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> {
            try (ex) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRequestURI().getQuery(),
                        ex.getRequestHeaders().getFirst(NodeApi.FENCE_HEADER),
                        ex.getRequestHeaders().getFirst("Content-Type"), body));
                Route r = routes.get(ex.getRequestMethod() + " " + ex.getRequestURI().getPath());
                if (r == null) {
                    send(ex, 404, "{\"error\":\"no such endpoint: " + ex.getRequestURI().getPath() + "\"}");
                } else {
                    r.answer(ex, body);
                }
            }
        });
        server.start();
    }

    @AfterEach
    void stopFakeNode() {
        server.stop(0);
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", body.startsWith("{") ? "application/json" : "text/plain");
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            ex.getResponseBody().write(b);
        }
    }

    private URI base() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private McpTools tools(Optional<String> fence, String durability, Duration timeout) {
        return new McpTools(new NodeApi(base(), fence, durability, timeout), new SystemClock());
    }

    private McpTools tools() {
        return tools(Optional.of(FENCE), "majority", Duration.ofSeconds(5));
    }

    private static String text(CallToolResult r) {
        return ((TextContent) r.content().get(0)).text();
    }

    private static void assertToolError(CallToolResult r, String says) {
        assertTrue(Boolean.TRUE.equals(r.isError()), "a tool error: " + text(r));
        assertTrue(text(r).contains(says), "expected '" + says + "' in: " + text(r));
    }

    private static void assertOk(CallToolResult r) {
        assertFalse(Boolean.TRUE.equals(r.isError()), text(r));
    }

    private Seen only(String method, String path) {
        List<Seen> matching = seen.stream().filter(s -> s.method().equals(method) && s.path().equals(path)).toList();
        assertEquals(1, matching.size(), "one " + method + " " + path + " in " + seen);
        return matching.get(0);
    }

    @Test
    void workspaceToolsSpeakTheContractAndFenceOnlyTheirWrites() throws Exception {
        routes.put("GET /v1/workspace", (ex, b) -> send(ex, 200, "{\"files\":[{\"path\":\"MEMORY.md\",\"bytes\":12}],"
                + "\"refused\":[{\"path\":\"big.bin\",\"reason\":\"binary\"}]}"));
        routes.put("GET /v1/workspace/file", (ex, b) -> {
            if (ex.getRequestURI().getQuery().equals("path=memory/2026-12-03.md")) {
                send(ex, 200, "# Today\n- ünïcode line\n");
            } else {
                send(ex, 404, "{\"error\":\"no such file\"}");
            }
        });
        routes.put("PUT /v1/workspace/file", (ex, b) -> send(ex, 200, "{\"path\":\"memory/2026-12-03.md\",\"bytes\":"
                + b.getBytes(StandardCharsets.UTF_8).length + "}"));
        routes.put("DELETE /v1/workspace/file", (ex, b) -> send(ex, 200, "{}"));
        McpTools t = tools();

        CallToolResult list = t.call("workspace_list", Map.of());
        assertOk(list);
        assertTrue(text(list).contains("MEMORY.md (12 bytes)") && text(list).contains("big.bin: binary"), text(list));
        assertNull(only("GET", "/v1/workspace").fence(), "a read carries no fence");

        CallToolResult read = t.call("workspace_read", Map.of("path", "memory/2026-12-03.md"));
        assertOk(read);
        assertEquals("# Today\n- ünïcode line\n", text(read));
        assertToolError(t.call("workspace_read", Map.of("path", "missing.md")), "no file missing.md in the workspace");

        CallToolResult write = t.call("workspace_write", Map.of("path", "memory/2026-12-03.md", "content", "é\n"));
        assertOk(write);
        Seen put = only("PUT", "/v1/workspace/file");
        assertEquals("path=memory/2026-12-03.md&durability=majority", put.query());
        assertEquals(FENCE, put.fence());
        assertTrue(put.contentType().startsWith("text/plain"), put.contentType());
        assertEquals("é\n", put.body());
        assertTrue(text(write).contains("(3 bytes)"), text(write));

        assertOk(t.call("workspace_delete", Map.of("path", "old.md")));
        Seen delete = only("DELETE", "/v1/workspace/file");
        assertEquals("path=old.md&durability=majority", delete.query());
        assertEquals(FENCE, delete.fence());
    }

    @Test
    void badPathsAndBadArgumentsAreRefusedBeforeAnythingIsSent() {
        McpTools t = tools();
        assertToolError(t.call("workspace_read", Map.of("path", "../etc/passwd")), "normalized");
        assertToolError(t.call("workspace_write", Map.of("path", "/etc/passwd", "content", "x")), "relative");
        assertToolError(t.call("workspace_read", Map.of()), "\"path\" (a string) is required");
        assertToolError(t.call("memory_append", Map.of("txt", "hello")), "unknown argument \"txt\"");
        assertToolError(t.call("memory_append", Map.of("text", 5)), "\"text\" must be a string");
        assertToolError(t.call("memory_list", Map.of("limit", 0)), "\"limit\" must be 1..1000");
        assertToolError(t.call("memory_list", Map.of("limit", 2.5)), "whole number");
        assertToolError(t.call("tasks_upsert", Map.of("id", "t", "title", "x", "status", "LATER")), "status must be");
        assertToolError(t.call("act", Map.of("kind", "job", "payload", "x")), "payload must be a JSON object");
        assertToolError(t.call("no_such_tool", Map.of()), "no tool named");
        assertTrue(seen.isEmpty(), "nothing reached the node: " + seen);
    }

    @Test
    void writesCarryTheFenceAndDurabilityAndTheNodesRefusalIsSaidWithItsReason() throws Exception {
        routes.put("POST /v1/memory", (ex, b) -> send(ex, 201, "{\"id\":\"m-1\",\"text\":\"hi\"}"));
        routes.put("PUT /v1/notes", (ex, b) -> send(ex, 409, "{\"error\":\"fence 7:42 is older than the current"
                + " fence 8:1: another agent instance took over\"}"));
        McpTools t = tools();
        assertOk(t.call("memory_append", Map.of("text", "hi", "tags", List.of("a"))));
        Seen post = only("POST", "/v1/memory");
        assertEquals(FENCE, post.fence());
        assertEquals("durability=majority", post.query());
        JsonNode body = JSON.readTree(post.body());
        assertEquals("hi", body.get("text").asText());
        assertEquals("note", body.get("kind").asText());
        assertEquals("a", body.get("tags").get(0).asText());

        assertToolError(t.call("notes_replace", Map.of("text", "new")), "HTTP 409): fence 7:42 is older");

        McpTools unfenced = tools(Optional.empty(), "local", Duration.ofSeconds(5));
        seen.clear();
        assertOk(unfenced.call("memory_append", Map.of("text", "hi")));
        assertNull(only("POST", "/v1/memory").fence(), "no AGENTMESH_FENCE, no header");
        assertEquals("durability=local", only("POST", "/v1/memory").query());
    }

    @Test
    void actWaitsForTheOutcomeAndSaysUncertainPlainly() {
        AtomicInteger polls = new AtomicInteger();
        routes.put("POST /v1/intents", (ex, b) -> send(ex, 201, "{\"id\":\"i-9\",\"kind\":\"exec\"}"));
        routes.put("GET /v1/intents/i-9", (ex, b) -> send(ex, 200, polls.incrementAndGet() < 3
                ? "{\"intent\":{},\"outcome\":null}"
                : "{\"intent\":{},\"outcome\":{\"status\":\"uncertain\",\"result\":\"started by an earlier leader\","
                + "\"performedBy\":\"node1x\"}}"));
        CallToolResult r = tools().call("act", Map.of("kind", "exec", "payload", Map.of("command", "send"),
                "waitSeconds", 10));
        assertOk(r);
        assertTrue(text(r).startsWith("uncertain: the leader performing it was lost"), text(r));
        assertTrue(text(r).contains("will not be run again"), text(r));
        assertEquals("uncertain", ((Map<?, ?>) r.structuredContent()).get("status"));
        Seen post = only("POST", "/v1/intents");
        assertEquals(FENCE, post.fence());
        assertTrue(post.body().contains("\"payload\":{\"command\":\"send\"}"), post.body());
        assertTrue(polls.get() >= 3);
    }

    @Test
    void actWithoutAnOutcomeInTimeSaysPendingAndHowToAskLater() {
        routes.put("POST /v1/intents", (ex, b) -> send(ex, 201, "{\"id\":\"i-1\"}"));
        routes.put("GET /v1/intents/i-1", (ex, b) -> send(ex, 200, "{\"intent\":{},\"outcome\":null}"));
        long t0 = System.nanoTime();
        CallToolResult r = tools().call("act", Map.of("kind", "job", "waitSeconds", 1));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000);
        assertOk(r);
        assertTrue(text(r).startsWith("pending: no outcome for intent i-1 within 1 s"), text(r));
        assertTrue(text(r).contains("intent_status"), text(r));
    }

    @Test
    void memorySearchAsksTheNodeToSearchItsWholeLog() {
        routes.put("GET /v1/memory", (ex, b) -> send(ex, 200, "{\"entries\":["
                + "{\"id\":\"2\",\"kind\":\"note\",\"text\":\"rain in paris\",\"tags\":[\"weather\"]}]}"));
        CallToolResult r = tools().call("memory_search", Map.of("query", "PARIS  weather"));
        assertOk(r);
        List<?> hits = (List<?>) ((Map<?, ?>) r.structuredContent()).get("entries");
        assertEquals(1, hits.size());
        assertEquals("2", ((Map<?, ?>) hits.get(0)).get("id"));
        // The words go lower-cased, form-encoded (the node decodes + as a space), with the default limit.
        assertEquals("q=paris+weather&limit=20", only("GET", "/v1/memory").query());
    }

    @Test
    void aNodeThatIsDownIsAClearErrorNotAHang() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        McpTools t = new McpTools(new NodeApi(URI.create("http://127.0.0.1:" + closedPort), Optional.empty(),
                "majority", Duration.ofSeconds(5)), new SystemClock());
        long t0 = System.nanoTime();
        CallToolResult r = t.call("status", Map.of());
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 5_000);
        assertToolError(r, "is not reachable (connection refused)");
    }

    @Test
    void aNodeThatDoesNotAnswerTimesOutWithinTheBound() {
        CountDownLatch answer = new CountDownLatch(1);
        routes.put("GET /v1/status", (ex, b) -> {
            try {
                answer.await(5, TimeUnit.SECONDS); // hangs until the test has its verdict
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            send(ex, 200, "{}");
        });
        long t0 = System.nanoTime();
        CallToolResult r = tools(Optional.empty(), "majority", Duration.ofMillis(500)).call("status", Map.of());
        long tookMs = (System.nanoTime() - t0) / 1_000_000;
        answer.countDown();
        assertToolError(r, "did not answer within 500 ms");
        assertTrue(tookMs < 3_000, "took " + tookMs + " ms");
    }

    @Test
    void everyToolHasAnObjectSchemaThatRefusesUnknownProperties() {
        for (McpTools.Tool tool : tools().tools()) {
            assertEquals("object", tool.inputSchema().get("type"), tool.name());
            assertEquals(false, tool.inputSchema().get("additionalProperties"), tool.name());
            assertTrue(tool.name().matches("[a-z_]+"), tool.name());
        }
        assertEquals(List.of("memory_append", "memory_search", "memory_list", "notes_read", "notes_replace",
                "tasks_upsert", "tasks_list", "workspace_list", "workspace_read", "workspace_write",
                "workspace_delete", "act", "intent_status", "status", "wallet_spend", "wallet_status"),
                tools().tools().stream().map(McpTools.Tool::name).toList());
    }
    @Test
    void walletSpendSendsTheKeyWithTheFenceAndWaitsForTheSpendToEnd() throws Exception {
        java.util.concurrent.atomic.AtomicInteger polls = new java.util.concurrent.atomic.AtomicInteger();
        routes.put("POST /v1/wallet/spend", (ex, body) -> send(ex, 202, "{\"id\":3,\"idempotencyKey\":\"k1\","
                + "\"state\":\"PREPARED\",\"terminal\":false,\"hashes\":[\"0xaa\"]}"));
        routes.put("GET /v1/wallet/spend", (ex, body) -> send(ex, 200, polls.incrementAndGet() < 2
                ? "{\"id\":3,\"state\":\"PREPARED\",\"terminal\":false}"
                : "{\"id\":3,\"state\":\"COMPLETED\",\"terminal\":true,\"finalHash\":\"0xaa\",\"block\":9}"));
        CallToolResult r = tools().call("wallet_spend", Map.of("idempotencyKey", "k1",
                "to", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "valueEther", "0.01", "waitSeconds", 10));
        assertOk(r);
        assertTrue(text(r).startsWith("spend k1: COMPLETED, transaction 0xaa in block 9"), text(r));
        Seen post = only("POST", "/v1/wallet/spend");
        assertEquals(FENCE, post.fence());
        JsonNode sent = JSON.readTree(post.body());
        assertEquals("k1", sent.path("idempotencyKey").asText());
        assertEquals("0.01", sent.path("valueEther").asText());
        assertToolError(tools().call("wallet_spend", Map.of("idempotencyKey", "k2",
                "to", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8")), "exactly one of valueEther and valueWei");
        routes.put("POST /v1/wallet/spend", (ex, body) -> send(ex, 403, "{\"error\":\"the value is above the"
                + " per-transaction cap\",\"code\":\"OVER_PER_TX_CAP\"}"));
        assertToolError(tools().call("wallet_spend", Map.of("idempotencyKey", "k3",
                "to", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "valueEther", "9")), "per-transaction cap");
    }
}
