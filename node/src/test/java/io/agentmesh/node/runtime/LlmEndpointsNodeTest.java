package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.llm.api.NpmClients;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.provider.FakeProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real {@code openai} and {@code @anthropic-ai/sdk} npm clients against a real node (the whole runtime: HTTP API,
 * gateway, Raft call ledger) whose llm.json names one loopback fake provider: every answer went through the provider
 * and back into each client's format. Once with the runtime in this JVM, once as {@code agentmesh node run} in its own
 * process, as a user starts it.
 */
class LlmEndpointsNodeTest {
    private static final String CHUNK = "{\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"gpt-test\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}],\"usage\":null}";

    private static void textStream(FakeProvider p) {
        p.stream().data(FakeProvider.openAiChunk("Hel", null)).data(FakeProvider.openAiChunk("lo", null))
                .data(FakeProvider.openAiChunk(null, "stop")).data(FakeProvider.openAiUsageChunk()).data("[DONE]")
                .end().enqueue();
    }

    private static void toolStream(FakeProvider p) {
        p.stream().data(CHUNK.formatted("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
                        + "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"weather\","
                        + "\"arguments\":\"\"}}]}", "null"))
                .data(CHUNK.formatted("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
                        + "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}", "null"))
                .data(CHUNK.formatted("{}", "\"tool_calls\"")).data(FakeProvider.openAiUsageChunk()).data("[DONE]")
                .end().enqueue();
    }

    /**
     * The provider's answers, in the order the script calls: each call is one attempt at the provider, streamed
     * upstream whether the client streams or not (the gateway streams every attempt whose model can).
     */
    private static void script(FakeProvider provider) {
        provider.enqueue(FakeProvider.openAiStreamed("Hello from m"));
        toolStream(provider);
        textStream(provider);
        toolStream(provider);
        provider.enqueue(FakeProvider.openAiStreamed("Hello from m"));
        toolStream(provider);
        textStream(provider);
    }

    private static String llmJson(FakeProvider provider) {
        return """
                {"providers": [{"id": "local", "kind": "openai-compatible", "baseUrl": "%s", "noKey": true,
                  "models": [{"name": "m", "contextTokens": 100000, "maxOutputTokens": 1000,
                              "price": {"inputPerMTok": 1, "outputPerMTok": 2}}]}]}"""
                .formatted(provider.baseUrl("/v1"));
    }

    @Test
    void theOfficialClientsCallAnLlmThroughARealNode(@TempDir Path dir) throws Exception {
        Path clients = NpmClients.install();
        Path home = dir.resolve("a");
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (FakeProvider provider = new FakeProvider()) {
            script(provider);
            Path llmJson = dir.resolve("llm.json");
            Files.writeString(llmJson, llmJson(provider));
            LlmConfig config = LlmConfig.load(llmJson, PriceTable.shipped());
            try (NodeRuntime node = LoneNode.start(home, config)) {
                await().atMost(Duration.ofSeconds(30)).until(node::isLeader);

                JsonNode out = NpmClients.runScript(clients, "http://127.0.0.1:" + node.httpPort(),
                        Map.of("LIVE", "1", "MODEL_TEXT", "m", "MODEL_TOOLS", "m"));

                assertWhatTheClientsParsed(out, provider);
                JsonNode spent = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(node.llmCosts(1).join().orElseThrow());
                assertFalse(spent.isEmpty());
            }
        }
    }

    /**
     * The same clients against {@code agentmesh node run} in its own JVM, started as a user starts it: the llm.json
     * in its home (read by default, no flag), its HTTP API on a loopback port, the fake provider in this JVM.
     */
    @Test
    void theOfficialClientsCallAnLlmThroughANodeRunProcess(@TempDir Path dir) throws Exception {
        Path clients = NpmClients.install();
        Path home = dir.resolve("a");
        Path log = dir.resolve("node.log");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", home.toString(), "--quiet-phrase"),
                NodeProcess.read(log));
        try (FakeProvider provider = new FakeProvider()) {
            script(provider);
            Files.writeString(home.resolve("llm.json"), llmJson(provider));
            try (NodeProcess node = NodeProcess.start(home, KillNineRestartTest.freePort(),
                    KillNineRestartTest.freePort(), log)) {
                await("the node leads and serves LLM calls").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200)).until(() -> serving(node));

                JsonNode out = NpmClients.runScript(clients, "http://127.0.0.1:" + node.httpPort,
                        Map.of("LIVE", "1", "MODEL_TEXT", "m", "MODEL_TOOLS", "m"));

                assertWhatTheClientsParsed(out, provider);
                JsonNode costs = new ObjectMapper().readTree(node.get("/v1/llm/costs?days=1").body());
                assertTrue(costs.path("totals").path("chargedNanoUsd").asLong() > 0, "the calls were charged: "
                        + costs);
                assertEquals(0, node.terminate(), NodeProcess.read(log));
            }
        }
    }

    private static boolean serving(NodeProcess node) {
        try {
            HttpResponse<String> r = node.get("/v1/llm/status");
            return r.statusCode() == 200 && new ObjectMapper().readTree(r.body()).path("serving").asBoolean();
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static void assertWhatTheClientsParsed(JsonNode out, FakeProvider provider) {
        assertEquals("Hello from m", out.at("/openaiPlain/ok/content").asText(), out.toString());
        assertEquals("m", out.at("/openaiPlain/ok/model").asText());
        assertEquals(20, out.at("/openaiPlain/ok/usage/prompt_tokens").asLong());
        assertEquals(8, out.at("/openaiPlain/ok/usage/prompt_tokens_details/cached_tokens").asLong());
        assertEquals("Paris", out.at("/openaiTools/ok/arguments/city").asText(), out.toString());
        assertEquals(List.of("Hel", "lo"), texts(out.at("/openaiStream/ok/deltas")), out.toString());
        assertEquals("stop", out.at("/openaiStream/ok/finish").asText());
        assertEquals(5, out.at("/openaiStream/ok/usage/completion_tokens").asLong());
        assertEquals("weather", out.at("/openaiStreamHelper/ok/toolName").asText(), out.toString());
        assertEquals("Paris", out.at("/openaiStreamHelper/ok/arguments/city").asText());
        assertEquals(List.of("m", "local/m"), texts(out.at("/openaiModels/ok")), out.toString());

        assertEquals("Hello from m", out.at("/anthropicPlain/ok/text").asText(), out.toString());
        assertEquals("end_turn", out.at("/anthropicPlain/ok/stop").asText());
        assertEquals(12, out.at("/anthropicPlain/ok/usage/input_tokens").asLong(), "uncached input");
        assertEquals(8, out.at("/anthropicPlain/ok/usage/cache_read_input_tokens").asLong());
        assertEquals("tool_use", out.at("/anthropicTools/ok/stop").asText(), out.toString());
        assertEquals("Paris", out.at("/anthropicTools/ok/input/city").asText());
        assertEquals(List.of("Hel", "lo"), texts(out.at("/anthropicStream/ok/deltas")), out.toString());
        assertEquals("Hello", out.at("/anthropicStream/ok/text").asText());

        JsonNode unknown = out.at("/openaiUnknownModel/error");
        assertEquals(404, unknown.get("status").asInt(), out.toString());
        assertEquals("model_not_found", unknown.get("code").asText());
        String message = unknown.get("message").asText();
        assertTrue(message.contains("\"no-such-model\"") && message.contains("no configured model, alias or"
                + " provider/model of that name"), "the SDK raises with the gateway's message: " + unknown);

        JsonNode huge = out.at("/anthropicHugePrompt/error");
        assertEquals(400, huge.get("status").asInt(), out.toString());
        assertEquals("invalid_request_error", huge.get("type").asText());
        assertTrue(huge.get("message").asText().contains("context"), huge.toString());

        assertEquals(7, provider.requests(), "one provider request per call, none for the unknown model or"
                + " the prompt that fits no model");
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        assertTrue(array.isArray(), "an array: " + array);
        return out;
    }
}
