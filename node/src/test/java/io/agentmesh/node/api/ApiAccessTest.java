package io.agentmesh.node.api;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The API's access rule: the bearer token, no cross-origin calls, the loopback Host check. */
class ApiAccessTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    private final ApiToken token = ApiToken.generate(new SecureRandom());
    private final AtomicInteger scrapes = new AtomicInteger();
    private HttpApi api;

    /** A node whose only live operation is /metrics, which counts the scrapes that got through. */
    private final class Node extends UnusedNodeOperations {
        @Override
        public Optional<MetricsSource> metrics() {
            return Optional.of(() -> {
                scrapes.incrementAndGet();
                return "# TYPE x gauge\nx 1\n";
            });
        }
    }

    private String start(ApiAccess.Policy policy) throws IOException {
        api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), new Node(), "test", policy);
        api.start();
        return "http://127.0.0.1:" + api.port();
    }

    @AfterEach
    void stop() {
        if (api != null) {
            api.close();
        }
    }

    private static HttpResponse<String> get(String url, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withATokenRequiredARequestWithoutOrWithAWrongTokenGets401AndTheRightOneGetsThrough() throws Exception {
        String base = start(new ApiAccess.Policy(Optional.of(token), true));
        assertTrue(api.tokenRequired());

        HttpResponse<String> none = get(base + "/metrics");
        assertEquals(401, none.statusCode());
        assertTrue(none.body().startsWith("{\"error\":\"this API needs its token"), none.body());
        assertEquals("application/json; charset=utf-8", none.headers().firstValue("Content-Type").orElse(""));
        assertEquals("Bearer realm=\"agentmesh\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
        assertEquals(401, get(base + "/metrics", "Authorization", "Bearer " + token.reveal() + "x").statusCode());
        assertEquals(401, get(base + "/metrics", "Authorization", "Basic " + token.reveal()).statusCode());
        assertEquals(0, scrapes.get(), "no refused request reached the handler");

        assertEquals(200, get(base + "/metrics", "Authorization", "Bearer " + token.reveal()).statusCode());
        assertEquals(200, get(base + "/metrics", "x-api-key", token.reveal()).statusCode(),
                "the header Anthropic's SDK sends");
        assertEquals(2, scrapes.get());
        assertEquals(200, get(base + "/healthz").statusCode(), "liveness needs no token");
        assertEquals(Map.of("unauthorized", 3L), api.refusals());
        assertFalse(none.body().contains(token.reveal()));
    }

    @Test
    void theDashboardsFilesLoadWithoutATokenButItsDataCallsNeedOne() throws Exception {
        String base = start(new ApiAccess.Policy(Optional.of(token), true));
        HttpResponse<String> page = get(base + "/ui/");
        assertEquals(200, page.statusCode(), "a browser cannot send a header with the address a user types");
        assertFalse(page.body().contains(token.reveal()));
        assertEquals(401, get(base + "/metrics").statusCode(), "the data the page polls still needs the token");
        assertEquals(401, HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ui/"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()).statusCode(),
                "only GET of the page's files is open");
    }

    @Test
    void onLoopbackWithoutRequireTokenNoTokenIsNeededAsBefore() throws Exception {
        String base = start(new ApiAccess.Policy(Optional.of(token), false));
        assertFalse(api.tokenRequired());
        assertEquals(200, get(base + "/metrics").statusCode());
    }

    @Test
    void aNonLoopbackAddressWithoutATokenIsRefusedBeforeAnythingListens() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HttpApi(
                new InetSocketAddress("0.0.0.0", 0), new Node(), "test", ApiAccess.Policy.none()));
        assertTrue(e.getMessage().contains("needs an API token") && e.getMessage().contains("agentmesh api-token new"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new HttpApi(new InetSocketAddress("127.0.0.1", 0),
                new Node(), "test", new ApiAccess.Policy(Optional.empty(), true)), "--require-token without one");
    }

    @Test
    void crossOriginRequestsAndPreflightsGet403AndNoCorsHeaders() throws Exception {
        String base = start(ApiAccess.Policy.none());
        HttpResponse<String> ok = get(base + "/metrics");
        assertEquals(200, ok.statusCode());
        assertTrue(ok.headers().map().keySet().stream().noneMatch(h -> h.toLowerCase().startsWith("access-control")));

        HttpResponse<String> foreign = get(base + "/metrics", "Origin", "http://evil.example");
        assertEquals(403, foreign.statusCode());
        assertTrue(foreign.body().contains("cross-origin requests are refused"), foreign.body());
        assertTrue(foreign.headers().map().keySet().stream()
                .noneMatch(h -> h.toLowerCase().startsWith("access-control")));

        HttpResponse<String> preflight = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v1/memory"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", "http://evil.example")
                .header("Access-Control-Request-Method", "POST").build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(403, preflight.statusCode());
        assertTrue(preflight.headers().map().keySet().stream()
                .noneMatch(h -> h.toLowerCase().startsWith("access-control")));
        assertEquals(1, scrapes.get(), "only the same-origin request reached the handler");

        assertEquals(200, get(base + "/metrics", "Origin", base).statusCode(), "the node's own page may call it");
        assertEquals(Map.of("cross_origin", 2L), api.refusals());
    }

    @Test
    void onLoopbackARequestForAnotherHostNameIsRefusedAgainstDnsRebinding() throws Exception {
        start(ApiAccess.Policy.none());
        assertTrue(raw("rebound.example:" + api.port()).startsWith("HTTP/1.1 403"));
        assertTrue(raw("localhost:" + api.port()).startsWith("HTTP/1.1 200"));
        assertTrue(raw("[::1]:" + api.port()).startsWith("HTTP/1.1 200"));
        assertEquals(Map.of("wrong_host", 1L), api.refusals());
    }

    /** A GET /metrics with the given Host header (HttpClient will not send one of our choosing). */
    private String raw(String host) throws IOException {
        try (Socket s = new Socket("127.0.0.1", api.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("GET /metrics HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    @Test
    void aTokenIsNeverShownByToStringAndComparesOnlyEqualText() {
        assertEquals("ApiToken[redacted]", token.toString());
        assertTrue(token.matches(token.reveal()));
        assertFalse(token.matches(token.reveal().substring(1)));
        assertFalse(token.matches(null));
        assertThrows(IllegalArgumentException.class, () -> ApiToken.parse("short", "test"));
        assertThrows(IllegalArgumentException.class, () -> ApiToken.parse("a".repeat(30) + " b", "test"));
    }
}
