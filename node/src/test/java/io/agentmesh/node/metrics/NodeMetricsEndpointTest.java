package io.agentmesh.node.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.agent.AgentSettings;
import io.agentmesh.node.cli.AgentmeshCommand;
import io.agentmesh.node.llm.config.LlmConfig;
import io.agentmesh.node.llm.cost.PriceTable;
import io.agentmesh.node.llm.provider.FakeProvider;
import io.agentmesh.node.runtime.LoneNode;
import io.agentmesh.node.runtime.NodeRuntime;
import io.agentmesh.node.runtime.NodeSettings;
import io.agentmesh.relay.HostPort;
import io.agentmesh.relay.RelayConfig;
import io.agentmesh.relay.RelayServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Scrapes a running node's (and a relay's) {@code /metrics} over HTTP, parses it strictly ({@link PrometheusText})
 * and checks that the named meters exist and move with what the node does.
 */
class NodeMetricsEndpointTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static PrometheusText scrape(String base) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
        try {
            return PrometheusText.parse(r.body());
        } catch (IllegalArgumentException e) {
            throw new AssertionError(e.getMessage() + "\n" + r.body(), e);
        }
    }

    private static HttpResponse<String> post(String base, String path, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static Path llmJson(Path dir, FakeProvider provider) throws Exception {
        Path f = dir.resolve("llm.json");
        Files.writeString(f, """
                {"providers": [{"id": "local", "kind": "openai-compatible", "baseUrl": "%s", "noKey": true,
                  "models": [{"name": "m", "contextTokens": 100000, "maxOutputTokens": 1000,
                              "price": {"inputPerMTok": 1000, "outputPerMTok": 2000}}]}]}"""
                .formatted(provider.baseUrl("/v1")));
        return f;
    }

    @Test
    void aScrapeParsesAndItsMetersMoveWithWritesActionsAndLlmCalls(@TempDir Path dir) throws Exception {
        Path home = dir.resolve("a");
        assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
        try (FakeProvider provider = new FakeProvider()) {
            provider.enqueue(FakeProvider.openAiStreamed("Hello from m"));
            LlmConfig llm = LlmConfig.load(llmJson(dir, provider), PriceTable.shipped());
            try (NodeRuntime node = LoneNode.start(home, llm)) {
                String base = "http://127.0.0.1:" + node.httpPort();
                await().atMost(WAIT).until(node::isLeader);

                PrometheusText before = scrape(base);
                assertEquals(0.0, before.value("agentmesh_writes_total", "durability", "local", "outcome", "ok"));
                assertEquals(1.0, before.value("agentmesh_raft_role", "role", "leader"));
                assertEquals(0.0, before.value("agentmesh_raft_role", "role", "follower"));
                assertTrue(before.value("agentmesh_raft_term") >= 1, "a leader has a term");
                assertEquals("counter", before.families().get("agentmesh_raft_leader_changes_total").type());
                assertTrue(before.value("agentmesh_raft_leader_changes_total") >= 1, "this node became leader");
                assertEquals("histogram", before.families().get("agentmesh_write_duration_seconds").type());
                assertTrue(before.has("jvm_memory_used_bytes") && before.has("jvm_threads_live_threads")
                        && before.has("jvm_gc_memory_allocated_bytes_total"), "JVM basics");
                assertTrue(before.has("agentmesh_rejected_inputs_total"));
                assertEquals(0.0, before.value("agentmesh_rejected_inputs_total", "source", "transport",
                        "reason", "malformed_frame"));
                assertEquals(0.0, before.value("agentmesh_connections"));

                assertEquals(201, post(base, "/v1/memory", "{\"text\": \"hello\"}").statusCode());
                assertEquals(201, post(base, "/v1/memory", "{\"text\": \"again\"}").statusCode());
                String job = JSON.readTree(post(base, "/v1/intents", "{\"kind\": \"job\", \"payload\": {}}").body())
                        .path("id").asText();
                String llmIntent = JSON.readTree(post(base, "/v1/intents", "{\"kind\": \"llm\", \"payload\":"
                        + " {\"model\": \"m\", \"messages\": [{\"role\": \"user\", \"content\": \"hi\"}],"
                        + " \"maxTokens\": 20}}").body()).path("id").asText();
                await().atMost(WAIT).until(() -> done(node, job) && done(node, llmIntent));

                PrometheusText after = scrape(base);
                assertEquals(4.0, after.value("agentmesh_writes_total", "durability", "local", "outcome", "ok"),
                        "two memory entries and two intents");
                assertEquals(4.0, after.value("agentmesh_write_duration_seconds_count", "durability", "local"));
                assertTrue(after.value("agentmesh_write_duration_seconds_sum", "durability", "local") > 0);
                assertEquals(4.0, after.value("agentmesh_write_duration_seconds_bucket", "durability", "local",
                        "le", "+Inf"));
                assertEquals(1.0, after.value("agentmesh_actions_completed_total", "kind", "job",
                        "outcome", "succeeded"));
                assertEquals(1.0, after.value("agentmesh_actions_completed_total", "kind", "llm",
                        "outcome", "succeeded"));
                assertEquals(1.0, after.value("agentmesh_llm_calls_total", "provider", "local", "model", "m",
                        "status", "answered"));
                assertEquals(1.0, after.value("agentmesh_llm_attempts_total", "provider", "local", "model", "m"));
                assertTrue(after.value("agentmesh_llm_cost_usd_total", "provider", "local", "model", "m") > 0,
                        "the call cost something at 1000 USD per million input tokens");
                assertTrue(after.value("agentmesh_memory_entries") >= 2);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static boolean done(NodeRuntime node, String intent) {
        return node.intent(intent).join().map(m -> ((java.util.Map<String, Object>) m).get("outcome") != null)
                .orElse(false);
    }

    @Test
    void aRelaysMetricsParseAndCountANodesRegistration(@TempDir Path dir) throws Exception {
        try (RelayServer relay = new RelayServer(RelayConfig.loopback())) {
            relay.start();
            String relayBase = "http://" + HostPort.format(relay.httpAddress());
            assertEquals(0.0, scrape(relayBase).value("agentmesh_relay_registrations_total"));
            Path home = dir.resolve("a");
            assertEquals(0, AgentmeshCommand.execute("init", "--home", home.toString(), "--quiet-phrase"));
            try (NodeRuntime node = NodeRuntime.start(new NodeSettings(home.resolve("identity"),
                    home.resolve("state"), Optional.empty(), new InetSocketAddress("127.0.0.1", freePort()),
                    Optional.empty(), new InetSocketAddress("127.0.0.1", 0), List.of(), List.of(relay.address()),
                    20_000, false, AgentSettings.none()))) {
                await().atMost(WAIT).until(() -> scrape(relayBase).value("agentmesh_relay_registrations_total") == 1);
                PrometheusText r = scrape(relayBase);
                assertEquals(1.0, r.value("agentmesh_relay_registrations"));
                assertTrue(r.has("agentmesh_relay_lookups_total") && r.has("agentmesh_relay_circuits_opened_total")
                        && r.has("agentmesh_relay_circuit_bytes_total"));
                // A node that has not joined a group yet still answers its scraper.
                PrometheusText n = scrape("http://127.0.0.1:" + node.httpPort());
                assertEquals(0.0, n.value("agentmesh_raft_role", "role", "leader"));
            }
        }
    }
}
