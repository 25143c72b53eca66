package io.agentmesh.node.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.node.dashboard.DashboardHttp;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard's files come from the node with a policy that allows no inline script or style and nothing from
 * elsewhere; the page itself puts no markup in from data; and {@code GET /v1/intents} lists the newest intents.
 */
class DashboardApiTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient(); // follows no redirects by default
    private final List<Integer> limitsAsked = new CopyOnWriteArrayList<>();
    private HttpApi api;

    @BeforeEach
    void start() throws IOException {
        api = new HttpApi(new InetSocketAddress("127.0.0.1", 0), new UnusedNodeOperations() {
            @Override
            public CompletableFuture<List<Map<String, Object>>> recentIntents(int limit) {
                limitsAsked.add(limit);
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("intent", Map.of("id", "i-1", "kind", "job"));
                one.put("outcome", null);
                return CompletableFuture.completedFuture(List.of(one));
            }
        }, "dashboard-test");
        api.start();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theRootRedirectsToTheDashboard() throws Exception {
        for (String path : List.of("/", "/ui")) {
            HttpResponse<String> r = send("GET", path);
            assertEquals(302, r.statusCode(), path);
            assertEquals(DashboardHttp.PATH, r.headers().firstValue("Location").orElse(""), path);
        }
    }

    @Test
    void thePageAndEveryFileItNamesAreServedUnderTheContentSecurityPolicy() throws Exception {
        HttpResponse<String> page = send("GET", "/ui/");
        assertEquals(200, page.statusCode());
        assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("script-src 'self'") && csp.contains("default-src 'none'")
                && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), csp);
        assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));

        List<String> named = new ArrayList<>();
        Matcher m = Pattern.compile("(?:src|href)=\"(/ui/[^\"]+)\"").matcher(page.body());
        while (m.find()) {
            named.add(m.group(1));
        }
        assertTrue(named.containsAll(List.of("/ui/dashboard.js", "/ui/dashboard.css", "/ui/favicon.svg")), named.toString());
        for (String path : named) {
            HttpResponse<String> r = send("GET", path);
            assertEquals(200, r.statusCode(), path);
            String type = r.headers().firstValue("Content-Type").orElse("");
            String expected = path.endsWith(".js") ? "text/javascript" : path.endsWith(".css") ? "text/css"
                    : "image/svg+xml";
            assertTrue(type.startsWith(expected), path + " served as " + type);
            assertEquals(csp, r.headers().firstValue("Content-Security-Policy").orElse(""), path);
        }
    }

    @Test
    void thePageHasNoInlineScriptStyleOrHandler() throws Exception {
        String page = send("GET", "/ui/").body();
        Matcher scripts = Pattern.compile("<script([^>]*)>").matcher(page);
        while (scripts.find()) {
            assertTrue(scripts.group(1).contains("src=\"/ui/"), "an inline script: " + scripts.group());
        }
        assertFalse(page.contains("<style"), "an inline style block");
        assertFalse(Pattern.compile("\\sstyle=").matcher(page).find(), "an inline style attribute");
        assertFalse(Pattern.compile("\\son[a-z]+=", Pattern.CASE_INSENSITIVE).matcher(page).find(),
                "an inline event handler");
    }

    @Test
    void theScriptPutsNoMarkupInFromData() throws Exception {
        String js = send("GET", "/ui/dashboard.js").body();
        for (String sink : List.of("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(",
                "new Function", "javascript:")) {
            assertFalse(js.contains(sink), "the dashboard script uses " + sink);
        }
        assertTrue(js.contains("textContent"), "text goes in as text");
    }

    @Test
    void anUnknownFileIs404AndAnotherMethodIs405() throws Exception {
        HttpResponse<String> missing = send("GET", "/ui/../../etc/passwd");
        assertEquals(404, missing.statusCode());
        assertFalse(missing.body().contains("passwd"), "the answer does not echo the path");
        assertEquals(404, send("GET", "/ui/nothing.js").statusCode());
        HttpResponse<String> post = send("POST", "/ui/");
        assertEquals(405, post.statusCode());
        assertEquals("GET", post.headers().firstValue("Allow").orElse(""));
    }

    @Test
    void theNewestIntentsAreListedWithinTheLimits() throws Exception {
        HttpResponse<String> r = send("GET", "/v1/intents?limit=20");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode body = new ObjectMapper().readTree(r.body());
        assertEquals("i-1", body.path("intents").path(0).path("intent").path("id").asText());
        assertTrue(body.path("intents").path(0).path("outcome").isNull());
        assertEquals(200, send("GET", "/v1/intents").statusCode());
        assertEquals(400, send("GET", "/v1/intents?limit=0").statusCode());
        assertEquals(400, send("GET", "/v1/intents?limit=1001").statusCode());
        assertEquals(List.of(20, 50), limitsAsked, "a bad limit never reaches the node; 50 by default");
    }
}
