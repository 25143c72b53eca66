package io.agentmesh.node.api;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Who may call the node's HTTP API (and everything served beside it: /metrics, the LLM endpoints, the dashboard),
 * checked before any handler runs (docs/operations.md, "API tokens").
 *
 * <ul>
 *   <li><b>Token.</b> On loopback no token is needed (as before), unless the node was started with
 *       {@code --require-token}; on any other address every request needs {@code Authorization: Bearer <token>} (or
 *       {@code x-api-key: <token>}, the header Anthropic's SDK sends), else 401 with a JSON error. A node refuses to
 *       start on a non-loopback address without a token. {@code /healthz} and {@code /readyz} answer without one:
 *       they say only up and ready, for probes that hold no secret; so do the dashboard's static files (no data in
 *       them; the page sends the token on each of its calls).</li>
 *   <li><b>No cross-origin calls.</b> The API sends no {@code Access-Control-Allow-*} header, and a request whose
 *       {@code Origin} is not the address it was sent to (a web page elsewhere, which could otherwise POST a
 *       "simple" request without a preflight) or a CORS preflight gets 403, before any handler runs.</li>
 *   <li><b>No DNS rebinding on loopback.</b> On loopback, a request whose {@code Host} is not a loopback name or
 *       address gets 403: a page whose name was made to resolve to 127.0.0.1 is still not the node.</li>
 * </ul>
 *
 * The token is compared in constant time ({@link ApiToken#matches}) and never logged; refusals are counted by reason
 * for {@code agentmesh_rejected_inputs_total{source="http"}} and logged once per reason.
 */
public final class ApiAccess extends Filter {
    private static final Logger log = LoggerFactory.getLogger(ApiAccess.class);
    /** Paths that answer without a token: liveness and readiness only. */
    private static final java.util.Set<String> OPEN_PATHS = java.util.Set.of("/healthz", "/readyz");

    /**
     * How the node's API is protected.
     *
     * @param token             the token requests must carry when one is required; empty for none
     * @param requireOnLoopback require the token on loopback too (a machine shared with other users)
     */
    public record Policy(Optional<ApiToken> token, boolean requireOnLoopback) {
        public Policy {
            Objects.requireNonNull(token, "token");
        }

        /** No token: the API must listen on loopback. */
        public static Policy none() {
            return new Policy(Optional.empty(), false);
        }
    }

    private final Optional<ApiToken> token;
    private final boolean loopback;
    private final String nodeName;
    private final Map<String, AtomicLong> refusals = new ConcurrentHashMap<>();

    private ApiAccess(Optional<ApiToken> token, boolean loopback, String nodeName) {
        this.token = token;
        this.loopback = loopback;
        this.nodeName = nodeName;
    }

    /**
     * The access rule for an API bound to {@code bind}; refuses (IllegalArgumentException, which the CLI turns into
     * exit code 2) a non-loopback address, or {@code requireOnLoopback}, without a token.
     */
    public static ApiAccess forBind(InetSocketAddress bind, Policy policy, String nodeName) {
        check(bind, policy);
        boolean loopback = isLoopback(bind);
        Optional<ApiToken> required = loopback && !policy.requireOnLoopback() ? Optional.empty() : policy.token();
        return new ApiAccess(required, loopback, nodeName);
    }

    /** Refuses (IllegalArgumentException) a policy without a token where {@code bind} needs one; changes nothing. */
    public static void check(InetSocketAddress bind, Policy policy) {
        boolean loopback = isLoopback(bind);
        if (policy.token().isEmpty() && (!loopback || policy.requireOnLoopback())) {
            throw new IllegalArgumentException((loopback ? "--require-token" : "the HTTP API on " + bind.getHostString()
                    + ":" + bind.getPort() + " (not loopback)") + " needs an API token, and this home has none:"
                    + " create one with `agentmesh api-token new` (it is printed once and kept in <home>/"
                    + ApiToken.FILE_NAME + ", mode 0600), or keep --http on 127.0.0.1");
        }
    }

    /** Whether {@code bind} is a loopback address (the wildcard 0.0.0.0 is not). */
    public static boolean isLoopback(InetSocketAddress bind) {
        InetAddress a = bind.getAddress();
        return a != null && a.isLoopbackAddress();
    }

    /** Whether requests must carry the token. */
    public boolean tokenRequired() {
        return token.isPresent();
    }

    /** Requests refused so far, by reason: unauthorized, cross_origin, wrong_host. */
    public Map<String, Long> refusals() {
        Map<String, Long> out = new TreeMap<>();
        refusals.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    @Override
    public String description() {
        return "agentmesh API access: token, origin and host checks";
    }

    @Override
    public void doFilter(HttpExchange ex, Chain chain) throws IOException {
        String origin = ex.getRequestHeaders().getFirst("Origin");
        String host = ex.getRequestHeaders().getFirst("Host");
        if (ex.getRequestMethod().equals("OPTIONS")
                && ex.getRequestHeaders().getFirst("Access-Control-Request-Method") != null) {
            refuse(ex, 403, "cross_origin", "cross-origin requests are refused: this API allows no CORS");
            return;
        }
        if (origin != null && !sameOrigin(origin, host)) {
            refuse(ex, 403, "cross_origin", "cross-origin requests are refused: Origin " + clip(origin)
                    + " is not this node's address");
            return;
        }
        if (loopback && !loopbackHost(host)) {
            refuse(ex, 403, "wrong_host", "this API listens on loopback and answers only requests addressed to"
                    + " localhost, 127.0.0.1 or [::1]");
            return;
        }
        if (token.isPresent() && !openWithoutToken(ex) && !authorized(ex)) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"agentmesh\"");
            refuse(ex, 401, "unauthorized", "this API needs its token: send 'Authorization: Bearer <token>' (the"
                    + " token is in <home>/" + ApiToken.FILE_NAME + " on the node's machine; the CLI sends it from $"
                    + ApiToken.ENV + " or that file)");
            return;
        }
        chain.doFilter(ex);
    }

    /**
     * Liveness, readiness and the dashboard's own files answer without the token: the files carry no data (the page
     * asks for the token and sends it on every call it makes), and a browser cannot attach a header to the address
     * a user types.
     */
    private static boolean openWithoutToken(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        return OPEN_PATHS.contains(path)
                || (ex.getRequestMethod().equals("GET") && io.agentmesh.node.dashboard.DashboardHttp.owns(path));
    }

    private boolean authorized(HttpExchange ex) {
        ApiToken t = token.orElseThrow();
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7) && t.matches(auth.substring(7).strip())) {
            return true;
        }
        String key = ex.getRequestHeaders().getFirst("x-api-key");
        return key != null && t.matches(key.strip());
    }

    /** The browser's Origin (scheme://host[:port]) names the address the request was sent to (Host). */
    static boolean sameOrigin(String origin, String host) {
        if (host == null) {
            return false;
        }
        String o = origin.strip().toLowerCase(Locale.ROOT);
        String h = host.strip().toLowerCase(Locale.ROOT);
        return o.equals("http://" + h) || o.equals("https://" + h) || o.equals("http://" + h.replaceFirst(":80$", ""));
    }

    /** localhost, a 127.x.y.z address or [::1], with any port. */
    static boolean loopbackHost(String host) {
        if (host == null) {
            return false;
        }
        String h = host.strip().toLowerCase(Locale.ROOT);
        String name;
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            name = end < 0 ? h : h.substring(1, end);
        } else {
            int colon = h.lastIndexOf(':');
            name = colon < 0 ? h : h.substring(0, colon);
        }
        return name.equals("localhost") || name.equals("::1") || name.matches("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    }

    private void refuse(HttpExchange ex, int status, String reason, String message) throws IOException {
        long n = refusals.computeIfAbsent(reason, k -> new AtomicLong()).incrementAndGet();
        if (n == 1) {
            // Once per reason: a scanner must not fill the log. Never the token or the headers that carry it.
            log.info("node {} http refused {} {} from {}: {} (later refusals for this reason are only counted)",
                    nodeName, ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRemoteAddress(), reason);
        }
        try (ex) {
            ex.getRequestBody().readNBytes(HttpApi.MAX_BODY_BYTES); // drain a little, so the client reads the answer
            byte[] body = ("{\"error\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            ex.sendResponseHeaders(status, body.length);
            ex.getResponseBody().write(body);
        }
    }

    private static String clip(String s) {
        String t = s.replaceAll("[^\\x20-\\x7e]", "?");
        return t.length() > 100 ? t.substring(0, 100) + "..." : t;
    }
}
