package io.agentmesh.node.mesh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.provider.FakeProvider;
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
import java.util.concurrent.atomic.AtomicReference;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The agent's LLM endpoints on three real nodes: a follower refuses, naming the leader; the leader answers. */
class LlmFollowerMeshTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String OPENAI_CALL = "{\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\":"
            + " \"hi\"}]}";

    private static HttpResponse<String> post(int port, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(20)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFollowerAnswersNotLeaderNamingTheLeaderAndTheLeaderAnswers(@TempDir Path dir) throws Exception {
        try (FakeProvider provider = new FakeProvider(); LocalMesh mesh = new LocalMesh(dir, 3)) {
            provider.enqueue(FakeProvider.openAiStreamed("Hello from the leader")); // every attempt streams upstream
            Path llmJson = dir.resolve("llm.json");
            Files.writeString(llmJson, """
                    {"providers": [{"id": "local", "kind": "openai-compatible", "baseUrl": "%s", "noKey": true,
                      "models": [{"name": "m", "contextTokens": 100000, "maxOutputTokens": 1000,
                                  "price": {"inputPerMTok": 1, "outputPerMTok": 2}}]}]}"""
                    .formatted(provider.baseUrl("/v1")));
            mesh.llm = LlmConfig.load(llmJson, PriceTable.shipped());
            mesh.startAll();

            AtomicReference<Integer> leader = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (int i = 0; i < 3; i++) {
                    NodeRuntime n = mesh.nodes[i];
                    if (n.isLeader()) {
                        leader.set(i);
                        return true;
                    }
                }
                return false;
            });
            int l = leader.get();
            int follower = (l + 1) % 3;
            String leaderId = mesh.ids.get(l).toString();

            // A follower learns who leads a moment after the election: until then it answers without a name.
            AtomicReference<HttpResponse<String>> refused = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                refused.set(post(mesh.httpPorts.get(follower), "/llm/openai/v1/chat/completions", OPENAI_CALL));
                return refused.get().body().contains(leaderId);
            });
            HttpResponse<String> r = refused.get();
            assertEquals(503, r.statusCode(), r.body());
            assertEquals("false", r.headers().firstValue("x-should-retry").orElseThrow());
            JsonNode error = JSON.readTree(r.body()).get("error");
            assertEquals("not_leader", error.get("type").asText());
            assertTrue(error.get("message").asText().contains("AGENTMESH_API"), error.toString());

            HttpResponse<String> anthropic = post(mesh.httpPorts.get(follower), "/llm/anthropic/v1/messages",
                    "{\"model\": \"m\", \"max_tokens\": 10, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
            assertEquals(503, anthropic.statusCode());
            assertEquals("not_leader", JSON.readTree(anthropic.body()).at("/error/type").asText());
            assertEquals(0, provider.requests(), "a follower sends nothing to a provider");

            HttpResponse<String> answered = post(mesh.httpPorts.get(l), "/llm/openai/v1/chat/completions",
                    OPENAI_CALL);
            assertEquals(200, answered.statusCode(), answered.body());
            assertEquals("Hello from the leader", JSON.readTree(answered.body()).at("/choices/0/message/content")
                    .asText());
            assertEquals(1, provider.requests());
            assertFalse(answered.headers().firstValue("x-request-id").orElseThrow().isBlank());
        }
    }
}
