package io.agentmesh.node.api;

import io.agentmesh.protocol.identity.NodeId;
import io.agentmesh.protocol.identity.NodeRevocation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On a witness the HTTP API refuses every read and write of the agent state (and a revocation draft, whose cut
 * comes from the state) with 409 and the reason, before the node is asked anything, while health, readiness,
 * status, consensus events and the removals it enforces still answer.
 */
class WitnessApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private HttpApi api;

    /** A witness node whose state operations must never be reached. */
    private static final class Witness extends UnusedNodeOperations {
        private static <T> T unreachable() {
            throw new AssertionError("a witness's state was asked for");
        }

        public CompletableFuture<Object> appendMemory(String kind, String text, List<String> tags,
                                                      io.agentmesh.node.replication.Durability durability) {
            return unreachable();
        }

        public CompletableFuture<List<?>> memory(int limit) {
            return unreachable();
        }

        public CompletableFuture<Void> replaceNotes(String text, io.agentmesh.node.replication.Durability durability) {
            return unreachable();
        }

        public CompletableFuture<Object> upsertTask(String id, String title, String status, String detail,
                                                    io.agentmesh.node.replication.Durability durability) {
            return unreachable();
        }

        public CompletableFuture<Object> requestIntent(String kind, String payloadJson, String fence) {
            return unreachable();
        }

        public CompletableFuture<Optional<Object>> intent(String id) {
            return unreachable();
        }

        public CompletableFuture<Object> addSchedule(String id, String cron, String zone, String kind,
                                                    String payloadJson, String catchUp) {
            return unreachable();
        }

        public CompletableFuture<Object> state() {
            return unreachable();
        }

        public CompletableFuture<Optional<Object>> consensusEvents(long afterSeq) {
            return CompletableFuture.completedFuture(Optional.of(Map.of("roles", List.of())));
        }

        public CompletableFuture<Map<String, Object>> status() {
            return CompletableFuture.completedFuture(Map.of("role", "witness"));
        }

        public CompletableFuture<Map<String, Object>> revocations() {
            return CompletableFuture.completedFuture(Map.of("revoked", List.of()));
        }

        public CompletableFuture<Boolean> revoke(NodeRevocation revocation) {
            return unreachable();
        }

        public CompletableFuture<Map<String, Object>> revocationDraft(NodeId node) {
            return unreachable();
        }

        public boolean witness() {
            return true;
        }
    }

    @AfterEach
    void close() {
        if (api != null) {
            api.close();
        }
    }

    private HttpResponse<String> call(String method, String path) throws IOException, InterruptedException {
        HttpRequest.BodyPublisher body = method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString("{\"text\":\"x\",\"id\":\"t\",\"title\":\"t\",\"kind\":\"job\"}");
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .method(method, body).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void stateEndpointsAnswer409AndStatusHealthAndEventsStillWork() throws Exception {
        api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), new Witness(), "witness-test");
        api.start();
        for (String[] c : new String[][] {{"GET", "/v1/state"}, {"GET", "/v1/memory"}, {"POST", "/v1/memory"},
                {"PUT", "/v1/notes"}, {"POST", "/v1/tasks"}, {"POST", "/v1/intents"}, {"GET", "/v1/intents/abc"},
                {"POST", "/v1/schedules"}, {"GET", "/v1/revocations/draft?node=x"}}) {
            HttpResponse<String> r = call(c[0], c[1]);
            assertEquals(409, r.statusCode(), c[0] + " " + c[1] + ": " + r.body());
            assertTrue(r.body().contains("this node is a witness: it holds no agent state"), r.body());
        }
        assertEquals(200, call("GET", "/healthz").statusCode());
        assertEquals(200, call("GET", "/readyz").statusCode());
        HttpResponse<String> status = call("GET", "/v1/status");
        assertEquals(200, status.statusCode());
        assertTrue(status.body().contains("\"role\":\"witness\""), status.body());
        assertEquals(200, call("GET", "/v1/consensus/events").statusCode());
        assertEquals(200, call("GET", "/v1/revocations").statusCode(), "a witness enforces removals like any node");
        assertEquals(404, call("GET", "/v1/nothing").statusCode());
    }

    @Test
    void theLlmEndpointsAnswer503InEachFormatsShapeOnAWitness() throws Exception {
        api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), new Witness(), "witness-test");
        api.start();
        HttpResponse<String> openAi = call("POST", "/llm/openai/v1/chat/completions");
        assertEquals(503, openAi.statusCode());
        assertTrue(openAi.body().contains("\"type\":\"not_configured\""), openAi.body());
        assertTrue(openAi.body().contains("this node is a witness"), openAi.body());
        HttpResponse<String> anthropic = call("POST", "/llm/anthropic/v1/messages");
        assertEquals(503, anthropic.statusCode());
        assertTrue(anthropic.body().startsWith("{\"type\":\"error\""), anthropic.body());
    }
}
