package io.agentmesh.node.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.cli.AgentmeshCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An agent's LLM calls through a real node to the example's fake provider (examples/fake-llm, its own process), then
 * the operator's view of them: `agentmesh llm status` and `llm costs` against the node count the calls, their cost
 * and the budget's spent, and once the provider is gone the call fails with the reason, status names the error and
 * exits 3.
 */
class LlmOpsLiveTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FAKE = Path.of("..", "examples", "fake-llm", "FakeLlm.java").toAbsolutePath()
            .normalize();
    private static final String CHAT = "/llm/openai/v1/chat/completions";

    private record Run(int exit, String out) {
    }

    private static Run cli(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            int exit = AgentmeshCommand.execute(args);
            return new Run(exit, captured.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
        }
    }

    private static Process startFake(Path dir) throws IOException {
        Path portFile = dir.resolve("fake.port");
        return new ProcessBuilder(ProcessHandle.current().info().command().orElseThrow(), FAKE.toString(),
                "--port", "0", "--port-file", portFile.toString(), "--exit-on-stdin-eof")
                .redirectErrorStream(true).redirectOutput(dir.resolve("fake.log").toFile()).start();
    }

    @Test
    void callsThroughTheNodeAreCountedInStatusAndCostsAndAFailedProviderShowsThere(@TempDir Path dir)
            throws Exception {
        assertTrue(Files.isRegularFile(FAKE), "run from the node module");
        Path home = dir.resolve("node");
        Path log = dir.resolve("node.log");
        assertEquals(0, NodeProcess.runCli(log, "init", "--home", home.toString(), "--quiet-phrase"),
                NodeProcess.read(log));
        Process fake = startFake(dir);
        try {
            Path portFile = dir.resolve("fake.port");
            await("the fake LLM listens").atMost(Duration.ofSeconds(60)).until(() -> Files.exists(portFile));
            int fakePort = Integer.parseInt(Files.readString(portFile).trim());
            Files.writeString(home.resolve("llm.json"), """
                    {"providers": [{"id": "fake", "kind": "openai-compatible", "baseUrl": "http://127.0.0.1:%d/v1",
                                    "noKey": true,
                                    "models": [{"name": "fake-small", "contextTokens": 8192, "maxOutputTokens": 256,
                                                "price": {"inputPerMTok": 1, "outputPerMTok": 2}}]}],
                     "routing": {"maxWaitMs": 1000},
                     "budgets": [{"period": "day", "limitUsd": 1}]}
                    """.formatted(fakePort));
            try (NodeProcess node = NodeProcess.start(home, KillNineRestartTest.freePort(),
                    KillNineRestartTest.freePort(), log)) {
                String http = "127.0.0.1:" + node.httpPort;
                await("the node leads and serves LLM calls").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(200)).until(() -> serving(node));

                HttpResponse<String> whole = node.post(CHAT, "{\"model\": \"fake-small\", \"max_tokens\": 64,"
                        + " \"messages\": [{\"role\": \"user\", \"content\": \"beat 5 on node1\"}]}");
                assertEquals(200, whole.statusCode(), whole.body());
                assertTrue(JSON.readTree(whole.body()).path("choices").get(0).path("message").path("content")
                        .asText().startsWith("Fake reply to \"beat 5 on node1\""), whole.body());
                HttpResponse<String> streamed = node.post(CHAT, "{\"model\": \"fake-small\", \"stream\": true,"
                        + " \"messages\": [{\"role\": \"user\", \"content\": \"beat 10\"}]}");
                assertEquals(200, streamed.statusCode(), streamed.body());
                assertTrue(streamed.body().contains("data: [DONE]"), streamed.body());

                Run status = cli("llm", "status", "--http", http);
                assertEquals(0, status.exit(), status.out());
                assertTrue(status.out().contains("(leader)") && status.out().contains("serving calls"), status.out());
                assertTrue(status.out().lines().anyMatch(l -> l.startsWith("fake/fake-small")
                        && l.matches(".*\\s2\\s+0\\s+0%.*") && l.endsWith("available")), status.out());
                assertTrue(status.out().lines().anyMatch(l -> l.startsWith("every call") && l.contains("$1.00")),
                        status.out());
                assertTrue(status.out().contains("calls 2 answered, 0 failed"), status.out());

                Run costs = cli("llm", "costs", "--http", http, "--days", "1");
                assertEquals(0, costs.exit(), costs.out());
                String total = costs.out().lines().filter(l -> l.startsWith("TOTAL")).findFirst().orElseThrow();
                assertTrue(total.contains(" 2/0/0 "), costs.out());
                JsonNode costsJson = JSON.readTree(node.get("/v1/llm/costs?days=1").body());
                long charged = costsJson.path("totals").path("chargedNanoUsd").asLong();
                assertTrue(charged > 0, "priced by llm.json, not zero: " + costsJson);
                String metrics = node.get("/v1/llm/metrics").body();
                assertTrue(metrics.lines().anyMatch(l -> l.equals("agentmesh_llm_charged_nano_usd_total{provider="
                        + "\"fake\",model=\"fake-small\"} " + charged)), metrics);
                JsonNode nodeStatus = JSON.readTree(node.get("/v1/status").body());
                assertEquals(charged, nodeStatus.path("llm").path("chargedNanoUsd").asLong(), "in /v1/status too");
                assertEquals(2, nodeStatus.path("llm").path("callsAnswered").asLong());
                JsonNode statusJson = JSON.readTree(node.get("/v1/llm/status").body());
                assertEquals(charged, statusJson.path("budgets").get(0).path("spentNanoUsd").asLong(),
                        "the day's budget has spent what the day cost");

                fake.destroy();
                assertTrue(fake.waitFor(10, TimeUnit.SECONDS));
                HttpResponse<String> failed = node.post(CHAT, "{\"model\": \"fake-small\","
                        + " \"messages\": [{\"role\": \"user\", \"content\": \"anyone there?\"}]}");
                assertTrue(failed.statusCode() >= 500, failed.statusCode() + " " + failed.body());
                assertTrue(failed.body().contains("CONNECT"), failed.body());
                Run down = cli("llm", "status", "--http", http);
                assertEquals(3, down.exit(), down.out());
                assertTrue(down.out().lines().anyMatch(l -> l.startsWith("fake/fake-small") && l.contains("CONNECT")
                        && !l.endsWith(" available")), down.out());
                assertTrue(down.out().contains("calls 2 answered, 1 failed"), down.out());
                assertEquals(0, node.terminate(), NodeProcess.read(log));
            }
        } finally {
            fake.destroyForcibly();
        }
    }

    private static boolean serving(NodeProcess node) {
        try {
            HttpResponse<String> r = node.get("/v1/llm/status");
            return r.statusCode() == 200 && JSON.readTree(r.body()).path("serving").asBoolean();
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
