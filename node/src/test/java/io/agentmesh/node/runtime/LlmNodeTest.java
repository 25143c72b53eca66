package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.gateway.LlmGateway;
import io.agentmesh.node.llm.provider.FakeProvider;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The gateway wired into a real node: an {@code llm} intent performed by the leader through llm.json's provider. */
class LlmNodeTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path llmJson(Path dir, FakeProvider provider) throws Exception {
        Path f = dir.resolve("llm.json");
        Files.writeString(f, """
                {"providers": [{"id": "local", "kind": "openai-compatible", "baseUrl": "%s", "noKey": true,
                  "models": [{"name": "m", "contextTokens": 100000, "maxOutputTokens": 1000,
                              "price": {"inputPerMTok": 1, "outputPerMTok": 2}}]}]}"""
                .formatted(provider.baseUrl("/v1")));
        return f;
    }

    @SuppressWarnings("unchecked")
    private static Optional<Outcome> outcome(NodeRuntime node, String id) {
        return node.intent(id).join().map(m -> (Outcome) ((Map<String, Object>) m).get("outcome"));
    }

    @Test
    void anLlmIntentIsAnsweredThroughTheProviderInTheNodesLlmConfig(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        try (FakeProvider provider = new FakeProvider()) {
            provider.enqueue(FakeProvider.openAiStreamed("Hello from m")); // every attempt streams upstream
            LlmConfig config = LlmConfig.load(llmJson(dir, provider), PriceTable.shipped());
            try (NodeRuntime node = LoneNode.start(home, config)) {
                await().atMost(Duration.ofSeconds(30)).until(node::isLeader);
                Intent intent = (Intent) node.requestIntent("llm", "{\"model\": \"m\", \"messages\":"
                        + " [{\"role\": \"user\", \"content\": \"Say hello\"}], \"maxTokens\": 20}").join();

                await().atMost(Duration.ofSeconds(30)).until(() -> outcome(node, intent.id()).isPresent());

                Outcome o = outcome(node, intent.id()).orElseThrow();
                assertEquals(Outcome.SUCCEEDED, o.status(), o.result());
                JsonNode result = JSON.readTree(o.result());
                assertEquals("Hello from m", result.get("text").asText());
                assertEquals("local", result.get("provider").asText());
                assertEquals(1, provider.requests());
                JsonNode sent = JSON.readTree(provider.takeRequest().getBody().utf8());
                assertEquals("m", sent.get("model").asText());
                assertEquals(20, sent.get("max_tokens").asInt(), "the intent's maxTokens is what is sent");

                LlmGateway.Status status = node.llm().status().join();
                assertTrue(status.configured() && status.leader());
                assertEquals("local/m", status.targets().getFirst().target().toString());
                assertEquals("available", status.targets().getFirst().availability());
            }
        }
    }

    @Test
    void aBadLlmConfigStopsNodeRunAtStartWithTheConfigError(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"providers\": [], \"retries\": 3}");

        assertEquals(2, AgentmeshCommand.execute("node", "run", "--home", home.toString(), "--llm-config",
                bad.toString()));
        assertEquals(2, AgentmeshCommand.execute("node", "run", "--home", home.toString(), "--llm-config",
                dir.resolve("missing.json").toString()));
    }
}
