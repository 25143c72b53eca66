package io.agentmesh.node.api;

import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.agent.FenceCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code POST /v1/intents} hands the node the fence its {@code Agentmesh-Fence} header carried, in its canonical text
 * form, so the intent keeps it; no header, no fence; a stale or malformed fence never reaches the node.
 */
class IntentFenceApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final AgentFence CURRENT = new AgentFence("node-current", new FencingToken(7, 1042), 500);
    private final Node node = new Node();
    private HttpApi api;

    /** A node whose newest agent run is {@link #CURRENT}; it records the intents it is asked to write. */
    private static final class Node extends UnusedNodeOperations {
        /** kind, payload and fence (or "none") of each requested intent. */
        final List<List<String>> intents = new ArrayList<>();

        public CompletableFuture<Object> requestIntent(String kind, String payloadJson, String fence) {
            intents.add(Arrays.asList(kind, payloadJson, fence == null ? "none" : fence));
            return CompletableFuture.completedFuture(Map.of("id", "i" + intents.size(), "fence",
                    fence == null ? "none" : fence));
        }

        public CompletableFuture<Optional<Map<String, Object>>> staleFence(FencingToken presented) {
            return CompletableFuture.completedFuture(FenceCheck.refusal(Optional.of(CURRENT), presented));
        }
    }

    @BeforeEach
    void start() throws IOException {
        api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), node, "intent-fence-test");
        api.start();
    }

    @AfterEach
    void close() {
        api.close();
    }

    private HttpResponse<String> post(String fence) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/v1/intents"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"kind\":\"exec\",\"payload\":{\"command\":\"c\"}}"));
        if (fence != null) {
            b.header(FenceCheck.HEADER, fence);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aFencedRequestHandsTheNodeItsFenceAndAnUnfencedOneNone() throws Exception {
        assertEquals(201, post("7.1042").statusCode());
        assertEquals(201, post("0008.01043").statusCode(), "read as 8.1043, a newer run this node has not heard of");
        HttpResponse<String> plain = post(null);
        assertEquals(201, plain.statusCode());
        assertTrue(plain.body().contains("\"fence\":\"none\""), plain.body());
        assertEquals(List.of(List.of("exec", "{\"command\":\"c\"}", "7.1042"),
                List.of("exec", "{\"command\":\"c\"}", "8.1043"),
                List.of("exec", "{\"command\":\"c\"}", "none")), node.intents);
    }

    @Test
    void aStaleOrMalformedFenceIsRefusedBeforeTheNodeWritesAnything() throws Exception {
        HttpResponse<String> stale = post("7.1041");
        assertEquals(409, stale.statusCode(), stale.body());
        assertTrue(stale.body().contains("stale agent fence 7.1041"), stale.body());
        for (String bad : List.of("seven", "7", "7.0", "-7.1042")) {
            HttpResponse<String> r = post(bad);
            assertEquals(400, r.statusCode(), bad + ": " + r.body());
            assertTrue(r.body().contains(FenceCheck.HEADER), r.body());
        }
        assertEquals(List.of(), node.intents);
    }
}
