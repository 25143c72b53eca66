package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.langchain4j.agent.tool.ToolExecutionRequest;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.gateway.CallRequest;
import io.agentmesh.node.llm.gateway.CallResult;
import io.agentmesh.node.port.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real {@code openai} and {@code @anthropic-ai/sdk} npm clients, pointed at the endpoints (hosted on a JDK HTTP
 * server over a scripted gateway): what each client parsed from every answer, stream and error.
 */
class NpmClientsTest {
    private ScriptedCalls gateway;
    private HttpServer server;
    private ExecutorService exchanges;

    @BeforeEach
    void start() throws Exception {
        gateway = new ScriptedCalls(NpmClientsTest::script);
        exchanges = Executors.newVirtualThreadPerTaskExecutor();
        LlmHttp llm = new LlmHttp(gateway, LlmHttpTest.MODELS, new ManualClock(1_700_000_000_000L),
                () -> UUID.randomUUID().toString(), exchanges, 16, 60_000, "npm-test");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext(LlmHttp.PREFIX, llm::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        exchanges.shutdownNow();
    }

    /** What the scripted gateway does, by the model the client asked for. */
    private static ScriptedCalls.Script script(CallRequest r) {
        ToolExecutionRequest weather = ToolExecutionRequest.builder().id("call_w1").name("weather")
                .arguments("{\"city\":\"Paris\"}").build();
        return switch (r.modelOrAlias()) {
            case "tooly" -> ScriptedCalls.Script.answer(List.of(), id -> ScriptedCalls.answered(id, "anthropic",
                    "claude-sonnet-4-5", "", List.of(weather), "tool_use", new Usage(30, 0, 0, 12, 0), 100));
            case "broke" -> ScriptedCalls.Script.answer(List.of("Hel", "lo"), id -> ScriptedCalls.failed(id,
                    CallResult.Failure.STREAM_FAILED, "the provider's stream was cut after some text"));
            case "leaderless" -> ScriptedCalls.Script.answer(List.of(), id -> ScriptedCalls.notLeader(id,
                    "node1leader"));
            case "poor" -> ScriptedCalls.Script.answer(List.of(), id -> ScriptedCalls.failed(id,
                    CallResult.Failure.BUDGET_EXCEEDED, "the daily budget of $20 has no room for this call"));
            default -> ScriptedCalls.Script.answer(List.of("Hel", "lo", " there"), id -> ScriptedCalls.answered(id,
                    "openai", "gpt-4o-2024-08-06", "Hello there", List.of(), "stop", new Usage(8, 4, 0, 3, 0), 50));
        };
    }

    @Test
    void theOfficialClientsParseAnswersStreamsAndErrors() throws Exception {
        Path dir = NpmClients.install();
        JsonNode out = NpmClients.runScript(dir, "http://127.0.0.1:" + server.getAddress().getPort(), Map.of());

        JsonNode plain = out.at("/openaiPlain/ok");
        assertEquals("Hello there", plain.get("content").asText(), out.toString());
        assertEquals("gpt-4o-2024-08-06", plain.get("model").asText());
        assertEquals("stop", plain.get("finish").asText());
        assertEquals(12, plain.at("/usage/prompt_tokens").asLong());
        assertEquals(4, plain.at("/usage/prompt_tokens_details/cached_tokens").asLong());
        assertEquals(15, plain.at("/usage/total_tokens").asLong());

        assertEquals("tool_calls", out.at("/openaiTools/ok/finish").asText(), out.toString());
        assertEquals("weather", out.at("/openaiTools/ok/toolName").asText());
        assertEquals("Paris", out.at("/openaiTools/ok/arguments/city").asText());

        JsonNode stream = out.at("/openaiStream/ok");
        assertEquals(List.of("Hel", "lo", " there"), texts(stream.get("deltas")), out.toString());
        assertEquals("stop", stream.get("finish").asText());
        assertEquals(3, stream.at("/usage/completion_tokens").asLong());

        assertEquals("weather", out.at("/openaiStreamHelper/ok/toolName").asText(), out.toString());
        assertEquals("Paris", out.at("/openaiStreamHelper/ok/arguments/city").asText());

        JsonNode broken = out.at("/openaiStreamBroken");
        assertTrue(broken.has("error"), "a stream cut after some text is an error to the client: " + broken);
        assertTrue(broken.at("/error/message").asText().contains("cut"), broken.toString());

        JsonNode notLeader = out.at("/openaiNotLeader/error");
        assertEquals(503, notLeader.get("status").asInt(), out.toString());
        assertEquals("not_leader", notLeader.get("type").asText());
        assertTrue(notLeader.get("message").asText().contains("node1leader"));

        assertEquals(List.of("gpt-4o", "smart"), texts(out.at("/openaiModels/ok")), out.toString());

        JsonNode aPlain = out.at("/anthropicPlain/ok");
        assertEquals("Hello there", aPlain.get("text").asText(), out.toString());
        assertEquals("end_turn", aPlain.get("stop").asText());
        assertEquals(8, aPlain.at("/usage/input_tokens").asLong());
        assertEquals(4, aPlain.at("/usage/cache_read_input_tokens").asLong());
        assertEquals(3, aPlain.at("/usage/output_tokens").asLong());

        assertEquals("tool_use", out.at("/anthropicTools/ok/stop").asText(), out.toString());
        assertEquals("Paris", out.at("/anthropicTools/ok/input/city").asText());

        JsonNode aStream = out.at("/anthropicStream/ok");
        assertEquals(List.of("Hel", "lo", " there"), texts(aStream.get("deltas")), out.toString());
        assertEquals("Hello there", aStream.get("text").asText());
        assertEquals("end_turn", aStream.get("stop").asText());
        assertEquals(3, aStream.at("/usage/output_tokens").asLong());
        assertEquals(8, aStream.at("/usage/input_tokens").asLong(), "message_delta's usage carries the input");

        assertTrue(out.at("/anthropicStreamBroken").has("error"), out.toString());

        JsonNode budget = out.at("/anthropicBudget/error");
        assertEquals(429, budget.get("status").asInt(), out.toString());
        assertEquals("budget_exceeded", budget.get("type").asText());

        // x-should-retry: false kept both SDKs from retrying the refused calls by themselves.
        assertEquals(1, gateway.requests.stream().filter(r -> r.modelOrAlias().equals("leaderless")).count());
        assertEquals(1, gateway.requests.stream().filter(r -> r.modelOrAlias().equals("poor")).count());
        assertFalse(gateway.requests.isEmpty());
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new java.util.ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
