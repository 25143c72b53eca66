package io.agentmesh.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code GET /v1/llm/status} and {@code /v1/llm/costs} answer what the node reports, check the days asked for before
 * asking the node, refuse other methods, and answer 404 on a node that keeps no LLM ledger.
 */
class LlmStatusApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private final List<Integer> daysAsked = new CopyOnWriteArrayList<>();
    private HttpApi api;

    private void start(boolean keepsLedger) throws IOException {
        api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), new UnusedNodeOperations() {
            @Override
            public CompletableFuture<Optional<Map<String, Object>>> llmStatus() {
                return CompletableFuture.completedFuture(keepsLedger
                        ? Optional.of(Map.of("configured", true, "targets", List.of())) : Optional.empty());
            }

            @Override
            public CompletableFuture<Optional<String>> llmMetrics() {
                return CompletableFuture.completedFuture(keepsLedger
                        ? Optional.of("# TYPE agentmesh_llm_open_calls gauge\nagentmesh_llm_open_calls 0\n")
                        : Optional.empty());
            }

            @Override
            public CompletableFuture<Optional<Map<String, Object>>> llmCosts(int days) {
                daysAsked.add(days);
                return CompletableFuture.completedFuture(keepsLedger
                        ? Optional.of(Map.of("days", days, "rows", List.of())) : Optional.empty());
            }
        }, "test");
        api.start();
    }

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    private HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + pathAndQuery)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws IOException {
        return new ObjectMapper().readTree(r.body());
    }

    @Test
    void statusAndCostsAnswerWhatTheNodeReports() throws Exception {
        start(true);
        HttpResponse<String> status = get("/v1/llm/status");
        assertEquals(200, status.statusCode(), status.body());
        assertTrue(json(status).path("configured").asBoolean());
        assertEquals(7, json(get("/v1/llm/costs")).path("days").asInt(), "a week by default");
        assertEquals(30, json(get("/v1/llm/costs?days=30")).path("days").asInt());
        assertEquals(List.of(7, 30), daysAsked);
        HttpResponse<String> metrics = get("/v1/llm/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        assertTrue(metrics.body().contains("agentmesh_llm_open_calls 0"), metrics.body());
    }

    @Test
    void daysOutsideTheLedgersRetentionAreRefusedWithoutAskingTheNode() throws Exception {
        start(true);
        for (String bad : List.of("0", "401", "-1", "week")) {
            HttpResponse<String> r = get("/v1/llm/costs?days=" + bad);
            assertEquals(400, r.statusCode(), bad + ": " + r.body());
            assertTrue(json(r).path("error").asText().startsWith("days must be"), r.body());
        }
        assertEquals(List.of(), daysAsked);
    }

    @Test
    void onlyGetIsServed() throws Exception {
        start(true);
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port()
                + "/v1/llm/status")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, r.statusCode());
    }

    @Test
    void aNodeWithoutALedgerAnswers404WithTheReason() throws Exception {
        start(false);
        for (String path : List.of("/v1/llm/status", "/v1/llm/costs?days=3", "/v1/llm/metrics")) {
            HttpResponse<String> r = get(path);
            assertEquals(404, r.statusCode(), path);
            assertTrue(json(r).path("error").asText().contains("keeps no LLM ledger"), r.body());
        }
    }
}
