package io.agentmesh.node.llm.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.gateway.CallRequest;
import io.agentmesh.node.llm.gateway.CallResult;
import io.agentmesh.node.llm.gateway.LlmModels;
import io.agentmesh.node.port.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The endpoints on a real JDK HTTP server over a scripted gateway, through a real HTTP client. */
class LlmHttpTest {
    static final LlmModels MODELS = () -> List.of(
            new LlmModels.Entry("gpt-4o", LlmModels.Kind.MODEL, List.of(new Target("openai", "gpt-4o")), 16384),
            new LlmModels.Entry("smart", LlmModels.Kind.ALIAS, List.of(new Target("anthropic", "claude-sonnet-4-5"),
                    new Target("openai", "gpt-4o")), 64000));
    static final String HELLO = "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";
    static final String HELLO_STREAM = "{\"model\": \"smart\", \"stream\": true, \"messages\": [{\"role\": \"user\","
            + " \"content\": \"hi\"}]}";

    private final ObjectMapper json = new ObjectMapper();
    private final AtomicInteger ids = new AtomicInteger();
    private ScriptedCalls gateway;
    private HttpServer server;
    private ExecutorService exchanges;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    String base;

    @BeforeEach
    void start() throws Exception {
        gateway = new ScriptedCalls(r -> ScriptedCalls.Script.answer(List.of("Hel", "lo"),
                id -> ScriptedCalls.text(id, "Hello")));
        exchanges = Executors.newVirtualThreadPerTaskExecutor();
        LlmHttp llm = new LlmHttp(gateway, MODELS, new ManualClock(1_700_000_000_000L),
                () -> "call-" + ids.incrementAndGet(), exchanges, 4, 20_000, "test-node");
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext(LlmHttp.PREFIX, llm::handle);
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
        exchanges.shutdownNow();
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(20)).GET()
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aCallIsAnsweredAsAChatCompletionWithItsCallIdAsRequestId() throws Exception {
        HttpResponse<String> r = post("/llm/openai/v1/chat/completions", HELLO);
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = json.readTree(r.body());
        assertEquals("Hello", body.at("/choices/0/message/content").asText());
        assertEquals("chatcmpl-call-1", body.get("id").asText());
        assertEquals(1_700_000_000, body.get("created").asLong());
        assertEquals("call-1", r.headers().firstValue("x-request-id").orElseThrow());
        CallRequest sent = gateway.requests.peek();
        assertEquals("call-1", sent.callId());
        assertEquals("gpt-4o", sent.modelOrAlias());
        assertFalse(sent.stream());
        assertEquals(16384, sent.maxOutputTokens(), "no max_tokens: the model's own limit is the worst case");
    }

    @Test
    void everyRequestIsANewCallEvenWithTheSameIdempotencyKey() throws Exception {
        for (int i = 0; i < 2; i++) {
            client.send(HttpRequest.newBuilder(URI.create(base + "/llm/openai/v1/chat/completions"))
                    .header("Idempotency-Key", "same").header("x-request-id", "same")
                    .POST(HttpRequest.BodyPublishers.ofString(HELLO)).build(), HttpResponse.BodyHandlers.ofString());
        }
        assertEquals(List.of("call-1", "call-2"), gateway.requests.stream().map(CallRequest::callId).toList());
    }

    @Test
    void theSdkTimeoutHeaderBecomesTheCallsDeadline() throws Exception {
        client.send(HttpRequest.newBuilder(URI.create(base + "/llm/openai/v1/chat/completions"))
                .header("X-Stainless-Timeout", "600").POST(HttpRequest.BodyPublishers.ofString(HELLO)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(1_700_000_000_000L + 600_000, gateway.requests.peek().deadlineMillis().getAsLong());
    }

    @Test
    void aStreamSendsTextAsItArrivesThenFinishThenDone() throws Exception {
        HttpResponse<String> r = post("/llm/openai/v1/chat/completions", HELLO_STREAM);
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElseThrow().startsWith("text/event-stream"));
        List<String> data = dataLines(r.body());
        assertEquals("[DONE]", data.getLast());
        assertEquals("Hel", json.readTree(data.get(1)).at("/choices/0/delta/content").asText());
        assertEquals("lo", json.readTree(data.get(2)).at("/choices/0/delta/content").asText());
        assertEquals("stop", json.readTree(data.get(3)).at("/choices/0/finish_reason").asText());
        assertTrue(gateway.requests.peek().stream());
        assertEquals(64000, gateway.requests.peek().maxOutputTokens(), "an alias's largest limit");
    }

    @Test
    void aCallThatFailsBeforeAnyTextIsAnHttpErrorNamingTheLeader() throws Exception {
        gateway.script(r -> ScriptedCalls.Script.answer(List.of(), id -> ScriptedCalls.notLeader(id, "node1lead")));
        for (String body : List.of(HELLO, HELLO_STREAM)) {
            HttpResponse<String> r = post("/llm/openai/v1/chat/completions", body);
            assertEquals(503, r.statusCode());
            assertEquals("false", r.headers().firstValue("x-should-retry").orElseThrow());
            JsonNode error = json.readTree(r.body()).get("error");
            assertEquals("not_leader", error.get("type").asText());
            assertTrue(error.get("message").asText().contains("node1lead"), error.toString());
        }
    }

    @Test
    void aStreamThatFailsAfterTextEndsWithAnErrorEventAndNoDone() throws Exception {
        gateway.script(r -> ScriptedCalls.Script.answer(List.of("partial "),
                id -> ScriptedCalls.failed(id, CallResult.Failure.STREAM_FAILED, "the provider cut the stream")));
        HttpResponse<String> r = post("/llm/openai/v1/chat/completions", HELLO_STREAM);
        assertEquals(200, r.statusCode(), "the 200 went out with the first text");
        List<String> data = dataLines(r.body());
        assertFalse(data.contains("[DONE]"), r.body());
        JsonNode last = json.readTree(data.getLast());
        assertEquals("stream_failed", last.at("/error/code").asText());

        HttpResponse<String> a = post("/llm/anthropic/v1/messages", "{\"model\": \"smart\", \"max_tokens\": 10,"
                + " \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertTrue(a.body().contains("event: error\n"), a.body());
        assertFalse(a.body().contains("message_stop"), a.body());
    }

    @Test
    void budgetExceededIs429ThatTheSdksDoNotRetry() throws Exception {
        gateway.script(r -> ScriptedCalls.Script.answer(List.of(), id -> ScriptedCalls.failed(id,
                CallResult.Failure.BUDGET_EXCEEDED, "the day's budget of $20.00 has no room for this call")));
        HttpResponse<String> r = post("/llm/anthropic/v1/messages", "{\"model\": \"smart\", \"max_tokens\": 10,"
                + " \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
        assertEquals(429, r.statusCode());
        assertEquals("false", r.headers().firstValue("x-should-retry").orElseThrow());
        assertTrue(r.headers().firstValue("Retry-After").isEmpty());
        JsonNode body = json.readTree(r.body());
        assertEquals("error", body.get("type").asText());
        assertEquals("budget_exceeded", body.at("/error/type").asText());
    }

    @Test
    void malformedJsonWrongTypesAndEmptyBodiesAre400InEachFormatsShape() throws Exception {
        HttpResponse<String> r = post("/llm/openai/v1/chat/completions", "{\"model\": \"gpt-4o\", \"messages\": [");
        assertEquals(400, r.statusCode());
        assertEquals("invalid_json", json.readTree(r.body()).at("/error/code").asText());
        r = post("/llm/openai/v1/chat/completions", "[1, 2]");
        assertEquals(400, r.statusCode());
        r = post("/llm/openai/v1/chat/completions", "");
        assertEquals(400, r.statusCode());
        r = post("/llm/anthropic/v1/messages", "not json");
        assertEquals(400, r.statusCode());
        assertEquals("invalid_request_error", json.readTree(r.body()).at("/error/type").asText());
        r = post("/llm/openai/v1/chat/completions", "{\"model\": 4, \"messages\": []}");
        assertEquals(400, r.statusCode());
        assertEquals("model", json.readTree(r.body()).at("/error/param").asText());
        assertTrue(gateway.requests.isEmpty(), "no bad request reached the gateway");
    }

    /** Found by LlmRequestBodyFuzzTest: Jackson reads these bytes as UTF-32 and fails outside JacksonException. */
    @Test
    void aBodyJacksonTakesForImpossibleUtf32IsAnswered400() throws Exception {
        byte[] body = {0, 0, 0, 0, 0, 0, 0, 0x0f, '{', '"', 'm', 'e', '-', 's'};
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base
                        + "/llm/openai/v1/chat/completions")).timeout(Duration.ofSeconds(20))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, r.statusCode());
        assertEquals("invalid_json", json.readTree(r.body()).at("/error/code").asText());
        assertTrue(gateway.requests.isEmpty(), "no bad request reached the gateway");
    }

    @Test
    void aBodyOverEightMebibytesIs413AndNeverReachesTheGateway() throws Exception {
        String huge = "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \""
                + "x".repeat(LlmHttp.MAX_BODY_BYTES) + "\"}]}";
        HttpResponse<String> r = post("/llm/openai/v1/chat/completions", huge);
        assertEquals(413, r.statusCode());
        assertEquals("request_too_large", json.readTree(r.body()).at("/error/code").asText());
        assertTrue(gateway.requests.isEmpty());
        // A prompt just under the limit is a call (the gateway judges whether it fits a model's context).
        String big = "{\"model\": \"gpt-4o\", \"messages\": [{\"role\": \"user\", \"content\": \""
                + "x".repeat(LlmHttp.MAX_BODY_BYTES - 200) + "\"}]}";
        assertEquals(200, post("/llm/openai/v1/chat/completions", big).statusCode());
    }

    @Test
    void unknownPathsAndMethodsAreRefused() throws Exception {
        assertEquals(404, post("/llm/openai/v1/completions", HELLO).statusCode());
        assertEquals(405, get("/llm/openai/v1/chat/completions").statusCode());
        assertEquals(404, get("/llm/anthropic/v2/messages").statusCode());
    }

    @Test
    void theModelListsNameEveryModelAndAlias() throws Exception {
        JsonNode openAi = json.readTree(get("/llm/openai/v1/models").body());
        assertEquals(List.of("gpt-4o", "smart"), ids(openAi.get("data")));
        JsonNode anthropic = json.readTree(get("/llm/anthropic/v1/models").body());
        assertEquals(List.of("gpt-4o", "smart"), ids(anthropic.get("data")));
        assertEquals("smart", anthropic.get("last_id").asText());
    }

    @Test
    void aClientThatGoesAwayMidStreamCancelsTheCall() throws Exception {
        CountDownLatch gone = new CountDownLatch(1);
        List<String> many = new ArrayList<>(Collections.nCopies(400, "text "));
        gateway.script(r -> new ScriptedCalls.Script(many, id -> ScriptedCalls.text(id, "never"), 5, gone));
        String body = HELLO_STREAM;
        try (Socket socket = new Socket("127.0.0.1", server.getAddress().getPort())) {
            socket.getOutputStream().write(("POST /llm/openai/v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            InputStream in = socket.getInputStream();
            byte[] first = new byte[256];
            assertTrue(in.read(first) > 0, "the stream started");
        }
        gone.countDown();
        await().atMost(10, TimeUnit.SECONDS).until(() -> gateway.refusals.contains("call-1"));
    }

    @Test
    void callsBeyondTheLimitAreRefusedAtOnceAsRetryable() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        gateway.script(r -> new ScriptedCalls.Script(List.of(), id -> ScriptedCalls.text(id, "ok"), 0, release));
        List<Thread> waiting = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiting.add(Thread.ofVirtual().start(() -> {
                try {
                    post("/llm/openai/v1/chat/completions", HELLO);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            }));
        }
        await().atMost(10, TimeUnit.SECONDS).until(() -> gateway.requests.size() == 4);
        HttpResponse<String> r = post("/llm/openai/v1/chat/completions", HELLO);
        assertEquals(503, r.statusCode());
        assertEquals("true", r.headers().firstValue("x-should-retry").orElseThrow());
        assertEquals("1", r.headers().firstValue("Retry-After").orElseThrow());
        release.countDown();
        for (Thread t : waiting) {
            t.join(10_000);
        }
        assertEquals(200, post("/llm/openai/v1/chat/completions", HELLO).statusCode());
    }

    private static List<String> ids(JsonNode data) {
        List<String> out = new ArrayList<>();
        data.forEach(m -> out.add(m.get("id").asText()));
        return out;
    }

    static List<String> dataLines(String sse) {
        return sse.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    }
}
