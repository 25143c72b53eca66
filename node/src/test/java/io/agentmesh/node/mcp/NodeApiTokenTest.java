package io.agentmesh.node.mcp;

import com.sun.net.httpserver.HttpServer;
import io.agentmesh.node.api.ApiToken;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** `agentmesh mcp` sends the node's API token on every call when it has one, and no Authorization header otherwise. */
class NodeApiTokenTest {
    private HttpServer server;
    private final List<String> authorization = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startFakeNode() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", ex -> {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                authorization.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
                byte[] b = "{}".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(200, b.length);
                ex.getResponseBody().write(b);
            }
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void readsAndWritesCarryTheTokenAsABearerToken() throws Exception {
        ApiToken token = ApiToken.generate(new SecureRandom());
        URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
        NodeApi api = new NodeApi(base, Optional.empty(), "local", Duration.ofSeconds(5), Optional.of(token));
        api.get("/v1/status");
        api.write("POST", "/v1/memory", "", "application/json", "{\"text\":\"x\"}");
        new NodeApi(base, Optional.empty(), "local", Duration.ofSeconds(5)).get("/v1/status");
        assertEquals(List.of("Bearer " + token.reveal(), "Bearer " + token.reveal(), "null"), authorization);
    }
}
