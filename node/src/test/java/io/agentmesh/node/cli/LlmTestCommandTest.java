package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * `agentmesh llm test` end to end: a real llm.json with two providers on loopback (mockwebserver3), one answering in
 * OpenAI's format and one refusing its key in Anthropic's, through the real provider layer.
 */
class LlmTestCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GOOD_KEY = "sk-good-0123456789abcdef";
    private static final String BAD_KEY = "sk-ant-bad-0123456789abcdef";
    /** 20 prompt tokens of which 8 cached, 5 completion tokens of which 2 reasoning. */
    private static final String USAGE = "{\"prompt_tokens\":20,\"completion_tokens\":5,\"total_tokens\":25,"
            + "\"prompt_tokens_details\":{\"cached_tokens\":8},\"completion_tokens_details\":{\"reasoning_tokens\":2}}";

    @TempDir
    Path dir;
    private final MockWebServer openAi = new MockWebServer();
    private final MockWebServer anthropic = new MockWebServer();
    private Path config;

    @BeforeEach
    void startProvidersAndWriteConfig() throws IOException {
        openAi.start();
        anthropic.start();
        Path goodKey = keyFile("good.key", GOOD_KEY);
        Path badKey = keyFile("bad.key", BAD_KEY);
        config = dir.resolve("llm.json");
        Files.writeString(config, """
                {"providers": [
                  {"id": "good", "kind": "openai", "baseUrl": "%s", "keyFile": "%s",
                   "models": [{"name": "gpt-4o", "contextTokens": 128000, "maxOutputTokens": 16384}],
                   "timeouts": {"connectMs": 5000, "firstTokenMs": 10000, "streamIdleMs": 10000, "totalMs": 20000}},
                  {"id": "bad", "kind": "anthropic", "baseUrl": "%s", "keyFile": "%s",
                   "models": [{"name": "claude-haiku-4-5", "contextTokens": 200000, "maxOutputTokens": 64000}],
                   "timeouts": {"connectMs": 5000, "firstTokenMs": 10000, "streamIdleMs": 10000, "totalMs": 20000}}
                ]}""".formatted(openAi.url("/v1"), goodKey, anthropic.url("/v1"), badKey));
    }

    @AfterEach
    void stopProviders() {
        openAi.close();
        anthropic.close();
    }

    private Path keyFile(String name, String key) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, key + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private void enqueueAnswerAndRefusal() {
        openAi.enqueue(json(200, "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
                + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                + "\"content\":\"ok\"},\"finish_reason\":\"stop\"}],\"usage\":" + USAGE + "}"));
        // Anthropic's 401 body, echoing the key it was sent: the output must not.
        anthropic.enqueue(json(401, "{\"type\":\"error\",\"error\":{\"type\":\"authentication_error\","
                + "\"message\":\"invalid x-api-key " + BAD_KEY + "\"}}"));
    }

    private static MockResponse json(int status, String body) {
        return new MockResponse.Builder().code(status).addHeader("Content-Type", "application/json").body(body)
                .build();
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int exit = AgentmeshCommand.execute(args);
            return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
        }
    }

    private static String lineFor(String output, String target) {
        return output.lines().filter(l -> l.contains(" " + target + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + target + " in:\n" + output));
    }

    @Test
    void oneAnsweringAndOneRefusingProviderGiveAnOkLineAFailLineAndExitOne() throws Exception {
        enqueueAnswerAndRefusal();

        Run r = run("llm", "test", "--llm-config", config.toString());

        assertEquals(LlmTestCommand.EXIT_SOME_FAILED, r.exit(), r.out() + r.err());
        String ok = lineFor(r.out(), "good/gpt-4o");
        assertTrue(ok.startsWith("ok    good/gpt-4o  "), ok);
        // gpt-4o: 12 uncached x $2.50 + 8 cached x $1.25 + 5 output x $10, per million tokens = $0.00009.
        assertTrue(ok.contains("usage 12 in, 8 cached, 0 cache-write, 5 out (2 reasoning)  cost $0.00009"), ok);
        String fail = lineFor(r.out(), "bad/claude-haiku-4-5");
        assertTrue(fail.startsWith("FAIL  bad/claude-haiku-4-5  AUTH  "), fail);
        assertTrue(fail.contains("HTTP 401 authentication_error: invalid x-api-key [key]"), fail);
        assertFalse(r.out().contains(BAD_KEY) || r.err().contains(BAD_KEY), "the key is never printed");
        assertTrue(r.out().contains("1 of 2 answered"), r.out());

        // One request each, through the real provider layer: the key as each format sends it, a tiny limit.
        RecordedRequest sentOpenAi = openAi.takeRequest(5, TimeUnit.SECONDS);
        assertNotNull(sentOpenAi);
        assertEquals("/v1/chat/completions", sentOpenAi.getUrl().encodedPath());
        assertEquals("Bearer " + GOOD_KEY, sentOpenAi.getHeaders().get("Authorization"));
        JsonNode body = JSON.readTree(sentOpenAi.getBody().utf8());
        assertEquals("gpt-4o", body.path("model").asText());
        assertEquals(8, body.path("max_completion_tokens").asInt(), body.toString());
        RecordedRequest sentAnthropic = anthropic.takeRequest(5, TimeUnit.SECONDS);
        assertNotNull(sentAnthropic);
        assertEquals(BAD_KEY, sentAnthropic.getHeaders().get("x-api-key"));
        assertEquals(8, JSON.readTree(sentAnthropic.getBody().utf8()).path("max_tokens").asInt());
        assertEquals(1, openAi.getRequestCount());
        assertEquals(1, anthropic.getRequestCount());
    }

    @Test
    void onlyTheNamedProviderIsAskedAndItsSuccessExitsZero() {
        enqueueAnswerAndRefusal();

        Run r = run("llm", "test", "--llm-config", config.toString(), "--provider", "good", "--max-output-tokens",
                "1");

        assertEquals(LlmTestCommand.EXIT_ALL_ANSWERED, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("1 of 1 answered"), r.out());
        assertEquals(1, openAi.getRequestCount());
        assertEquals(0, anthropic.getRequestCount(), "the provider not named is not called");
    }

    @Test
    void jsonOutputHasEveryTargetWithItsOutcome() throws Exception {
        enqueueAnswerAndRefusal();

        Run r = run("llm", "test", "--llm-config", config.toString(), "--json");

        assertEquals(LlmTestCommand.EXIT_SOME_FAILED, r.exit(), r.err());
        JsonNode doc = JSON.readTree(r.out());
        assertFalse(doc.path("ok").asBoolean());
        JsonNode targets = doc.path("targets");
        assertEquals(2, targets.size());
        assertEquals("good/gpt-4o", targets.get(0).path("target").asText());
        assertTrue(targets.get(0).path("ok").asBoolean());
        assertEquals(90_000, targets.get(0).path("costNanoUsd").asLong());
        assertEquals(12, targets.get(0).path("usage").path("inputTokens").asLong());
        assertEquals("bad/claude-haiku-4-5", targets.get(1).path("target").asText());
        assertEquals("AUTH", targets.get(1).path("error").asText());
        assertEquals(401, targets.get(1).path("httpStatus").asInt());
        assertFalse(r.out().contains(BAD_KEY));
    }

    @Test
    void aProviderWithoutItsKeyIsReportedAndNotCalled() throws Exception {
        enqueueAnswerAndRefusal();
        Files.delete(dir.resolve("bad.key"));

        Run r = run("llm", "test", "--llm-config", config.toString());

        assertEquals(LlmTestCommand.EXIT_SOME_FAILED, r.exit(), r.out() + r.err());
        String fail = lineFor(r.out(), "bad/claude-haiku-4-5");
        assertTrue(fail.contains("NO_KEY") && fail.contains("bad.key does not exist"), fail);
        assertTrue(lineFor(r.out(), "good/gpt-4o").startsWith("ok "), r.out());
        assertEquals(0, anthropic.getRequestCount());
    }

    @Test
    void aBadConfigIsRefusedWithItsReasonExitTwoAndNothingSent() throws Exception {
        enqueueAnswerAndRefusal();
        String text = Files.readString(config);
        Files.writeString(config, text.replace("\"totalMs\": 20000}},", "\"totalMs\": 20000}, \"retries\": 2},"));

        Run r = run("llm", "test", "--llm-config", config.toString());

        assertEquals(2, r.exit(), r.out() + r.err());
        assertTrue(r.err().contains("unknown key \"retries\""), r.err());
        assertEquals(0, openAi.getRequestCount() + anthropic.getRequestCount(), "nothing is sent");
    }

    @Test
    void anUnknownProviderOrAMissingConfigIsABadArgument() {
        Run unknown = run("llm", "test", "--llm-config", config.toString(), "--provider", "nope");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().contains("--provider nope: no such provider"), unknown.err());

        Run missing = run("llm", "test", "--home", dir.resolve("empty-home").toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().contains("llm.json does not exist"), missing.err());
        for (Run r : List.of(unknown, missing)) {
            assertEquals("", r.out());
        }
        assertEquals(0, openAi.getRequestCount() + anthropic.getRequestCount());
    }

    @Test
    void helpSaysItSpendsTokens() {
        Run r = run("llm", "test", "--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("SPENDS A FEW TOKENS"), r.out());
    }
}
