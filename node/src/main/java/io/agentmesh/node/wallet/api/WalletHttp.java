package io.agentmesh.node.wallet.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.spend.WalletService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.function.Function;

/**
 * The wallet's endpoints on the node's HTTP server (docs/wallet.md, "Using the wallet"). HttpApi hands every exchange
 * under {@code /v1/wallet} over whole; each one is served on this class's own bounded executor, because a spend waits
 * (up to {@code waitSeconds}) for its transaction.
 * <pre>
 * POST /v1/wallet/spend     {"idempotencyKey", "to", "valueWei"|"valueEther", "data"?, "waitSeconds"?}: the spend,
 *                           200 once it ended, 202 while it is on its way (ask again with the same key); the leader
 *                           only (409 naming the leader elsewhere); a stale Agentmesh-Fence is refused (409)
 * GET  /v1/wallet           address, balance, budget left, frozen, policy, driver, pending, approvals waiting,
 *                           completed (?completed=N, default 20)
 * GET  /v1/wallet/spend     ?id=N or ?idempotencyKey=K: one spend
 * POST /v1/wallet/approve   {"id", "by"}: a human approves a spend waiting for approval
 * POST /v1/wallet/cancel    {"id"|"idempotencyKey", "by", "waitSeconds"?}: cancel (no cost before a nonce, else a
 *                           zero-value self-transfer variant at the nonce; the mined variant decides the outcome)
 * POST /v1/wallet/reject    {"id", "by", "reason"?}: a human rejects a spend that has no nonce yet
 * </pre>
 * Errors are {@code {"error": message, "code": CODE}}; a refused spend changes nothing.
 */
public final class WalletHttp {
    private static final Logger log = LoggerFactory.getLogger(WalletHttp.class);
    public static final String PREFIX = "/v1/wallet";
    public static final int MAX_BODY_BYTES = 128 * 1024;
    public static final long DEFAULT_WAIT_SECONDS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WalletService wallet;
    private final ExecutorService exchanges;
    private final Semaphore open;
    /** The agent's fence check: a refusal (409 body) for a stale {@code Agentmesh-Fence} header value. */
    private final Function<String, Optional<ObjectNode>> staleFence;
    private final String nodeName;

    public WalletHttp(WalletService wallet, ExecutorService exchanges, int maxOpen,
                      Function<String, Optional<ObjectNode>> staleFence, String nodeName) {
        this.wallet = wallet;
        this.exchanges = exchanges;
        this.open = new Semaphore(maxOpen);
        this.staleFence = staleFence;
        this.nodeName = nodeName;
    }

    public static boolean owns(String path) {
        return path.equals(PREFIX) || path.startsWith(PREFIX + "/");
    }

    /** Answers an exchange on a node without a wallet, and closes it. */
    public static void refuse(HttpExchange ex, String message) {
        try (ex) {
            send(ex, 404, error("NO_WALLET", message));
        } catch (IOException ignored) {
            // the client went away
        }
    }

    /** Takes the exchange over; never throws. */
    public void handle(HttpExchange ex) {
        if (!open.tryAcquire()) {
            try (ex) {
                send(ex, 429, error("OVERLOADED", "this node is serving its limit of wallet requests; retry"));
            } catch (IOException ignored) {
                // gone
            }
            return;
        }
        try {
            exchanges.execute(() -> {
                try (ex) {
                    serve(ex);
                } finally {
                    open.release();
                }
            });
        } catch (RejectedExecutionException e) {
            open.release();
            refuse(ex, "this node is shutting down");
        }
    }

    private void serve(HttpExchange ex) {
        String path = ex.getRequestURI().getPath();
        String method = ex.getRequestMethod();
        try {
            switch (path) {
                case PREFIX -> {
                    requireMethod(method, "GET");
                    int n = (int) longParam(ex, "completed", 20, 0, 1000);
                    send(ex, 200, SpendJson.status(wallet.status(n)));
                }
                case PREFIX + "/spend" -> {
                    if (method.equals("GET")) {
                        Optional<String> id = param(ex, "id");
                        Optional<String> key = param(ex, "idempotencyKey");
                        if (id.isPresent() == key.isPresent()) {
                            throw new IllegalArgumentException("give exactly one of ?id= and ?idempotencyKey=");
                        }
                        Optional<Spend> s = wallet.find(id.map(WalletHttp::spendId), key);
                        if (s.isEmpty()) {
                            send(ex, 404, error("UNKNOWN_SPEND", "no such spend"));
                        } else {
                            send(ex, 200, SpendJson.spend(s.get()));
                        }
                        return;
                    }
                    requireMethod(method, "POST");
                    String fence = ex.getRequestHeaders().getFirst("Agentmesh-Fence");
                    if (fence != null) {
                        Optional<ObjectNode> refusal = staleFence.apply(fence.trim());
                        if (refusal.isPresent()) {
                            send(ex, 409, refusal.get());
                            return;
                        }
                    }
                    var req = WalletService.parse(body(ex), DEFAULT_WAIT_SECONDS);
                    Spend s = wallet.spend(req, "api");
                    send(ex, s.state().terminal() ? 200 : 202, SpendJson.spend(s));
                }
                case PREFIX + "/approve" -> {
                    requireMethod(method, "POST");
                    JsonNode b = body(ex);
                    send(ex, 200, SpendJson.spend(wallet.approve(spendId(b), b.path("by").asText(null))));
                }
                case PREFIX + "/cancel" -> {
                    requireMethod(method, "POST");
                    JsonNode b = body(ex);
                    boolean byId = b.has("id");
                    if (byId == b.has("idempotencyKey")) {
                        throw new IllegalArgumentException("give exactly one of id and idempotencyKey");
                    }
                    JsonNode w = b.path("waitSeconds");
                    if (!w.isMissingNode() && (!w.isIntegralNumber() || w.asLong() < 0 || w.asLong() > 300)) {
                        throw new IllegalArgumentException("waitSeconds is 0 to 300");
                    }
                    Optional<String> key = byId ? Optional.empty() : Optional.of(b.path("idempotencyKey").asText(""))
                            .filter(k -> !k.isBlank());
                    if (!byId && key.isEmpty()) {
                        throw new IllegalArgumentException("idempotencyKey is a non-empty string");
                    }
                    Spend s = wallet.cancel(byId ? Optional.of(spendId(b)) : Optional.empty(), key,
                            b.path("by").asText(null), w.asLong(0) * 1000);
                    send(ex, s.state().terminal() ? 200 : 202, SpendJson.spend(s));
                }
                case PREFIX + "/reject" -> {
                    requireMethod(method, "POST");
                    JsonNode b = body(ex);
                    send(ex, 200, SpendJson.spend(wallet.reject(spendId(b), b.path("by").asText(null),
                            b.path("reason").asText(""))));
                }
                default -> send(ex, 404, error("NOT_FOUND", "no such endpoint: " + path));
            }
        } catch (WalletService.WalletException e) {
            sendQuietly(ex, e.status(), error(e.code(), e.getMessage()));
        } catch (IllegalArgumentException e) {
            sendQuietly(ex, 400, error("BAD_REQUEST", e.getMessage()));
        } catch (MethodNotAllowed e) {
            sendQuietly(ex, 405, error("METHOD_NOT_ALLOWED", e.getMessage()));
        } catch (IOException | RuntimeException e) {
            log.warn("node {} wallet endpoint {} {} failed: {}", nodeName, method, path, e.toString());
            sendQuietly(ex, 500, error("INTERNAL", String.valueOf(e.getMessage())));
        }
    }

    private static final class MethodNotAllowed extends RuntimeException {
        MethodNotAllowed(String m) {
            super(m);
        }
    }

    private static void requireMethod(String method, String expected) {
        if (!method.equals(expected)) {
            throw new MethodNotAllowed("use " + expected);
        }
    }

    private static long spendId(JsonNode b) {
        JsonNode id = b.get("id");
        if (id == null || !id.isIntegralNumber() || !id.canConvertToLong() || id.asLong() < 1) {
            throw new IllegalArgumentException("\"id\" (the spend's id, a whole number >= 1) is required");
        }
        return id.asLong();
    }

    private static long spendId(String s) {
        try {
            long id = Long.parseLong(s);
            if (id >= 1) {
                return id;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException("id is a whole number >= 1, got \"" + s + "\"");
    }

    private static JsonNode body(HttpExchange ex) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY_BYTES + 1);
            if (bytes.length > MAX_BODY_BYTES) {
                throw new IllegalArgumentException("request body is larger than " + MAX_BODY_BYTES + " bytes");
            }
            JsonNode n;
            try {
                n = JSON.readTree(bytes);
            } catch (IOException e) {
                throw new IllegalArgumentException("the request body is not valid JSON");
            }
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("the request body must be a JSON object");
            }
            return n;
        }
    }

    private static Optional<String> param(HttpExchange ex, String name) {
        String q = ex.getRequestURI().getRawQuery();
        if (q == null) {
            return Optional.empty();
        }
        for (String pair : q.split("&")) {
            if (pair.startsWith(name + "=")) {
                return Optional.of(URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8));
            }
        }
        return Optional.empty();
    }

    private static long longParam(HttpExchange ex, String name, long fallback, long min, long max) {
        Optional<String> v = param(ex, name);
        if (v.isEmpty()) {
            return fallback;
        }
        try {
            long n = Long.parseLong(v.get());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new IllegalArgumentException(name + " is a whole number from " + min + " to " + max);
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode o = JSON.createObjectNode();
        o.put("error", message);
        o.put("code", code);
        return o;
    }

    private static void sendQuietly(HttpExchange ex, int status, Object body) {
        try {
            send(ex, status, body);
        } catch (IOException ignored) {
            // the client went away
        }
    }

    private static void send(HttpExchange ex, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }
}
