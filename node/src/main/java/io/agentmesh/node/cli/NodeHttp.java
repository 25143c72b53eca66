package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import io.agentmesh.node.api.ApiToken;

/** The CLI's requests to a running node's HTTP API, with one clear line for each failure. */
final class NodeHttp {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long TIMEOUT_MS = 10_000;

    private NodeHttp() {
    }

    /** The raw body of a 200 answer to GET {@code pathAndQuery} at {@code http} (host:port). */
    static String get(String http, String pathAndQuery) throws IOException, InterruptedException {
        return send(http, "GET", pathAndQuery, TIMEOUT_MS);
    }

    /** The raw body of a 200 answer to {@code method} (no body) {@code pathAndQuery}, waiting up to {@code timeoutMs}. */
    static String send(String http, String method, String pathAndQuery, long timeoutMs)
            throws IOException, InterruptedException {
        HttpResponse<String> response = exchange(http, method, pathAndQuery, null, timeoutMs,
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("node at " + http + " answered " + response.statusCode() + " to "
                    + response.uri().getPath() + ": " + error(response.body()));
        }
        return response.body();
    }

    /**
     * One request to the node at {@code http} (host:port) with the CLI's API token, and a JSON body when
     * {@code jsonBody} is not null; the answer whatever its status. A node that does not answer, or not within
     * {@code timeoutMs}, is an IOException saying so.
     */
    static <T> HttpResponse<T> exchange(String http, String method, String pathAndQuery, String jsonBody,
                                        long timeoutMs, HttpResponse.BodyHandler<T> handler)
            throws IOException, InterruptedException {
        URI uri;
        try {
            uri = URI.create("http://" + http + pathAndQuery);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--http must be host:port, got " + http);
        }
        HttpRequest.Builder request = authorized(HttpRequest.newBuilder(uri)).timeout(Duration.ofMillis(timeoutMs));
        if (jsonBody != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        try {
            return client.send(request.build(), handler);
        } catch (ConnectException e) {
            throw new IOException("no node answers on " + http + "; is it running? (pass --http host:port)");
        } catch (HttpTimeoutException e) {
            throw new IOException("the node at " + http + " did not answer within " + timeoutMs + " ms");
        }
    }

    /** The {@code error} of a node's JSON error body, else the body as it came. */
    static String error(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            return n != null && n.hasNonNull("error") ? n.get("error").asText() : body;
        } catch (IOException notJson) {
            return body;
        }
    }

    /**
     * The API token the CLI sends: $AGENTMESH_API_TOKEN, else {@code <home>/api-token} ($AGENTMESH_HOME, else
     * ~/.agentmesh) when that file exists; empty for none (a node on loopback needs none).
     */
    static Optional<ApiToken> clientToken() throws IOException {
        String env = System.getenv(ApiToken.ENV);
        if (env != null && !env.isBlank()) {
            return Optional.of(ApiToken.parse(env, "$" + ApiToken.ENV));
        }
        return ApiToken.read(HomeOptions.home(null).resolve(ApiToken.FILE_NAME));
    }

    /** {@code request} with the CLI's API token as a bearer token, when it has one. */
    static HttpRequest.Builder authorized(HttpRequest.Builder request) throws IOException {
        clientToken().ifPresent(t -> request.header("Authorization", "Bearer " + t.reveal()));
        return request;
    }

    /** The raw bytes of a 200 answer to GET {@code path} (a binary document), with the same errors as {@link #get}. */
    static byte[] getBytes(String http, String path) throws IOException, InterruptedException {
        HttpResponse<byte[]> response = exchange(http, "GET", path, null, TIMEOUT_MS,
                HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() != 200) {
            throw new IOException("node at " + http + " answered " + response.statusCode() + " to " + path + ": "
                    + new String(response.body(), StandardCharsets.UTF_8));
        }
        return response.body();
    }

    static JsonNode parse(String http, String body) throws IOException {
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            throw new IOException("the node at " + http + " answered with something that is not JSON");
        }
    }
}
