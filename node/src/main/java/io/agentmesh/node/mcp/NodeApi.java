package io.agentmesh.node.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The local node's HTTP API as the MCP tools use it: bounded waits (connect and whole request), bounded answers, the
 * fence header on every side-effecting call, and one clear message per failure (node down, timeout, refusal with
 * the node's own reason), never a hang.
 */
final class NodeApi {
    /** The header a side-effecting call carries the agent's fencing token in (docs/mcp.md). */
    static final String FENCE_HEADER = "Agentmesh-Fence";
    static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A call that did not produce a usable answer; the message is for the person or model reading the tool result. */
    static final class ApiException extends Exception {
        final int status;

        ApiException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** What the node answered: status and body text. */
    record Answer(int status, String body) {
        JsonNode json() throws ApiException {
            try {
                return body.isEmpty() ? JSON.createObjectNode() : JSON.readTree(body);
            } catch (IOException e) {
                throw new ApiException(status, "the node answered something that is not JSON: "
                        + body.substring(0, Math.min(200, body.length())));
            }
        }
    }

    private final URI base;
    private final Optional<String> fence;
    private final String durability;
    private final Duration requestTimeout;
    private final HttpClient client;
    /** Sent as a bearer token on every call when the node's API needs one. */
    private final Optional<io.agentmesh.node.api.ApiToken> token;

    /**
     * @param base           the node's HTTP API, e.g. http://127.0.0.1:7070
     * @param fence          sent as {@value #FENCE_HEADER} on side-effecting calls (from AGENTMESH_FENCE)
     * @param durability     "local" or "majority", asked of every write
     * @param requestTimeout the most one call may take, connect included
     */
    NodeApi(URI base, Optional<String> fence, String durability, Duration requestTimeout) {
        this(base, fence, durability, requestTimeout, Optional.empty());
    }

    /** @param token the node's API token, sent as {@code Authorization: Bearer} on every call */
    NodeApi(URI base, Optional<String> fence, String durability, Duration requestTimeout,
            Optional<io.agentmesh.node.api.ApiToken> token) {
        this.token = Objects.requireNonNull(token, "token");
        this.base = Objects.requireNonNull(base, "base");
        this.fence = fence;
        this.durability = durability;
        this.requestTimeout = requestTimeout;
        this.client = HttpClient.newBuilder().connectTimeout(requestTimeout.compareTo(Duration.ofSeconds(3)) < 0
                ? requestTimeout : Duration.ofSeconds(3)).version(HttpClient.Version.HTTP_1_1).build();
    }

    URI base() {
        return base;
    }

    String durability() {
        return durability;
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    Answer get(String pathAndQuery) throws ApiException {
        return call(HttpRequest.newBuilder(uri(pathAndQuery)).GET(), "GET " + pathAndQuery);
    }

    /** A write: carries the fence and the durability asked for. */
    Answer write(String method, String path, String query, String contentType, String body) throws ApiException {
        String q = (query == null || query.isEmpty() ? "" : query + "&") + "durability=" + durability;
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path + "?" + q))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        if (body != null) {
            b.header("Content-Type", contentType);
        }
        fence.ifPresent(f -> b.header(FENCE_HEADER, f));
        return call(b, method + " " + path);
    }

    /** A write that must succeed with 2xx; its JSON answer. */
    JsonNode writeJson(String method, String path, Object body) throws ApiException {
        String text;
        try {
            text = JSON.writeValueAsString(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return ok(write(method, path, "", "application/json", text)).json();
    }

    JsonNode getJson(String pathAndQuery) throws ApiException {
        return ok(get(pathAndQuery)).json();
    }

    /** Refuses a non-2xx answer with the node's own reason. */
    static Answer ok(Answer a) throws ApiException {
        if (a.status() >= 200 && a.status() < 300) {
            return a;
        }
        throw new ApiException(a.status(), "the node refused it (HTTP " + a.status() + "): " + reason(a));
    }

    /** The "error" text of a JSON error answer, else the body's start. */
    static String reason(Answer a) {
        try {
            JsonNode n = JSON.readTree(a.body());
            if (n != null && n.hasNonNull("error")) {
                JsonNode e = n.get("error");
                return e.isTextual() ? e.asText() : e.toString();
            }
        } catch (IOException e) {
            // not JSON: show the text
        }
        String b = a.body().strip();
        return b.isEmpty() ? "(no reason given)" : b.substring(0, Math.min(500, b.length()));
    }

    private URI uri(String pathAndQuery) {
        String b = base.toString();
        return URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + pathAndQuery);
    }

    private Answer call(HttpRequest.Builder request, String what) throws ApiException {
        token.ifPresent(t -> request.header("Authorization", "Bearer " + t.reveal()));
        // The whole exchange, body included, is bounded by the timeout: a node that stalls mid-answer is not a hang.
        java.util.concurrent.CompletableFuture<HttpResponse<byte[]>> pending = client.sendAsync(
                request.timeout(requestTimeout).build(), HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> response;
        try {
            response = pending.get(requestTimeout.toMillis() + 500, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            pending.cancel(true);
            throw timeout(what);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof HttpConnectTimeoutException) {
                throw new ApiException(0, "the agentmesh node at " + base + " did not accept a connection within "
                        + requestTimeout.toMillis() + " ms; is it running? (" + what + ")");
            }
            if (cause instanceof HttpTimeoutException) {
                throw timeout(what);
            }
            if (cause instanceof ConnectException) {
                throw new ApiException(0, "the agentmesh node at " + base + " is not reachable (connection"
                        + " refused): is `agentmesh node run` running there? Point --api or AGENTMESH_API at its"
                        + " HTTP address.");
            }
            throw new ApiException(0, "could not talk to the agentmesh node at " + base + " (" + what + "): "
                    + cause);
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            throw new ApiException(0, "interrupted while calling the node (" + what + ")");
        }
        byte[] bytes = response.body();
        if (bytes.length > MAX_ANSWER_BYTES) {
            throw new ApiException(response.statusCode(), "the node's answer to " + what + " is larger than "
                    + MAX_ANSWER_BYTES + " bytes");
        }
        return new Answer(response.statusCode(), new String(bytes, StandardCharsets.UTF_8));
    }

    private ApiException timeout(String what) {
        return new ApiException(0, "the agentmesh node at " + base + " did not answer within "
                + requestTimeout.toMillis() + " ms (" + what + "); it may be overloaded or without a majority"
                + " (agentmesh status)");
    }
}
