package io.agentmesh.node.wallet.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.agentmesh.node.wallet.chain.Anvil;
import io.agentmesh.node.wallet.spend.WalletWorld;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The /v1/wallet endpoints over HTTP, on anvil with the real ledger: answers, codes, and bad input changing nothing. */
class WalletHttpTest {
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir
    Path home;
    WalletWorld world;
    HttpServer server;
    final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void close() throws Exception {
        if (server != null) {
            server.stop(0);
        }
        if (world != null) {
            world.close();
        }
    }

    record Answer(int status, JsonNode body) {
    }

    private Answer call(String method, String path, String body, String fence) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + server.getAddress().getPort() + path)).timeout(Duration.ofSeconds(60));
        if (fence != null) {
            b.header("Agentmesh-Fence", fence);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), JSON.readTree(r.body()));
    }

    @Test
    void spendStatusApproveCancelAndBadInputOverHttp() throws Exception {
        world = new WalletWorld(home);
        var a = world.leader("a", 1, true, world.config(c ->
                ((com.fasterxml.jackson.databind.node.ObjectNode) c.get("policy")).put("approvalAboveEther", "1")));
        WalletHttp endpoints = new WalletHttp(a.service(), Executors.newVirtualThreadPerTaskExecutor(), 8,
                fence -> fence.equals("1:1") ? Optional.of(JSON.createObjectNode().put("error", "stale fence"))
                        : Optional.empty(), "a");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/", endpoints::handle);
        server.start();
        String to = Anvil.ADDRESS2.hex();

        Answer done = call("POST", "/v1/wallet/spend", "{\"idempotencyKey\":\"h1\",\"to\":\"" + to
                + "\",\"valueEther\":\"0.5\",\"waitSeconds\":30}", "2:5");
        assertEquals(200, done.status(), done.body().toString());
        assertEquals("COMPLETED", done.body().path("state").asText());
        assertEquals(done.body().path("hashes").get(0).asText(), done.body().path("finalHash").asText());

        Answer waiting = call("POST", "/v1/wallet/spend", "{\"idempotencyKey\":\"h2\",\"to\":\"" + to
                + "\",\"valueEther\":\"2\",\"waitSeconds\":0}", null);
        assertEquals(202, waiting.status(), waiting.body().toString());
        assertEquals("AWAITING_APPROVAL", waiting.body().path("state").asText());
        Answer status = call("GET", "/v1/wallet", null, null);
        assertEquals(200, status.status());
        assertEquals(1, status.body().path("approvalsWaiting").size());
        assertEquals(1, status.body().path("completed").size());
        assertTrue(status.body().path("driver").path("holdsKey").asBoolean());
        assertEquals(Anvil.ADDRESS0.checksummed(), status.body().path("address").asText());
        Answer approved = call("POST", "/v1/wallet/approve", "{\"id\":" + waiting.body().path("id").asLong()
                + ",\"by\":\"alice\"}", null);
        assertEquals(200, approved.status(), approved.body().toString());
        assertEquals("APPROVED", approved.body().path("state").asText());

        Answer bad = call("POST", "/v1/wallet/spend", "{\"idempotencyKey\":\"h3\",\"to\":\"0x12\",\"valueEther\":\"1\"}",
                null);
        assertEquals(400, bad.status());
        assertEquals("BAD_REQUEST", bad.body().path("code").asText());
        Answer stale = call("POST", "/v1/wallet/spend", "{\"idempotencyKey\":\"h4\",\"to\":\"" + to
                + "\",\"valueEther\":\"0.1\"}", "1:1");
        assertEquals(409, stale.status());
        Answer overCap = call("POST", "/v1/wallet/spend", "{\"idempotencyKey\":\"h5\",\"to\":\"" + to
                + "\",\"valueEther\":\"6\"}", null);
        assertEquals(403, overCap.status());
        assertEquals("OVER_PER_TX_CAP", overCap.body().path("code").asText());
        assertEquals(404, call("GET", "/v1/wallet/spend?idempotencyKey=h3", null, null).status());
        assertEquals(404, call("GET", "/v1/wallet/spend?idempotencyKey=h4", null, null).status());
        assertEquals(405, call("DELETE", "/v1/wallet", null, null).status());
        assertEquals(400, call("POST", "/v1/wallet/approve", "{\"by\":\"x\"}", null).status());
        assertEquals("h1", call("GET", "/v1/wallet/spend?idempotencyKey=h1", null, null).body()
                .path("idempotencyKey").asText());

        Answer toCancel = call("POST", "/v1/wallet/spend", "{\"idempotencyKey\":\"h6\",\"to\":\"" + to
                + "\",\"valueEther\":\"3\",\"waitSeconds\":0}", null);
        assertEquals("AWAITING_APPROVAL", toCancel.body().path("state").asText());
        Answer both = call("POST", "/v1/wallet/cancel", "{\"id\":" + toCancel.body().path("id").asLong()
                + ",\"idempotencyKey\":\"h6\",\"by\":\"alice\"}", null);
        assertEquals(400, both.status(), both.body().toString());
        assertEquals(400, call("POST", "/v1/wallet/cancel", "{\"idempotencyKey\":\"h6\"}", null).status(),
                "who cancels is required");
        assertEquals(404, call("POST", "/v1/wallet/cancel", "{\"idempotencyKey\":\"nobody\",\"by\":\"alice\"}",
                null).status());
        assertEquals("AWAITING_APPROVAL", call("GET", "/v1/wallet/spend?idempotencyKey=h6", null, null).body()
                .path("state").asText(), "refused cancels changed nothing");
        Answer cancelled = call("POST", "/v1/wallet/cancel", "{\"idempotencyKey\":\"h6\",\"by\":\"alice\"}", null);
        assertEquals(200, cancelled.status(), cancelled.body().toString());
        assertEquals("REJECTED", cancelled.body().path("state").asText());
        Answer lateCancel = call("POST", "/v1/wallet/cancel", "{\"id\":" + done.body().path("id").asLong()
                + ",\"by\":\"alice\"}", null);
        assertEquals(200, lateCancel.status(), lateCancel.body().toString());
        assertEquals("COMPLETED", lateCancel.body().path("state").asText(), "a completed spend stays completed");
        assertEquals("TRANSFER", lateCancel.body().path("minedKind").asText());

        // The CLI: agentmesh wallet cancel --key ... against the same endpoints.
        call("POST", "/v1/wallet/spend", "{\"idempotencyKey\":\"h7\",\"to\":\"" + to
                + "\",\"valueEther\":\"3\",\"waitSeconds\":0}", null);
        String addr = "127.0.0.1:" + server.getAddress().getPort();
        var cli = new picocli.CommandLine(new io.agentmesh.node.cli.WalletCommand());
        assertEquals(2, cli.execute("cancel", "--http", addr, "--by", "alice"), "neither --id nor --key");
        assertEquals(0, cli.execute("cancel", "--http", addr, "--key", "h7", "--by", "alice", "--wait", "0"));
        assertEquals("REJECTED", call("GET", "/v1/wallet/spend?idempotencyKey=h7", null, null).body()
                .path("state").asText());
    }
}
