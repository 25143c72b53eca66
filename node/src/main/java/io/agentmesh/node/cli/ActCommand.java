package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/** Requests an action through a running node; the leader performs it once. Optionally waits for the outcome. */
@Command(name = "act", mixinStandardHelpOptions = true,
        description = "Request an action (an intent); the leader performs it exactly once. --wait prints its outcome.")
public final class ActCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The node's HTTP API (default ${DEFAULT-VALUE}).")
    String http;

    @Option(names = "--kind", defaultValue = "job", description = "Executor kind (default ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = "--payload", defaultValue = "{}", description = "JSON payload for the executor (default ${DEFAULT-VALUE}).")
    String payload;

    @Option(names = "--wait-seconds", defaultValue = "0", description = "Wait this long for the outcome (0: do not wait).")
    int waitSeconds;

    @Override
    public Integer call() throws Exception {
        JsonNode payloadJson;
        try {
            payloadJson = JSON.readTree(payload);
        } catch (IOException e) {
            throw new IllegalArgumentException("--payload is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("kind", kind).set("payload", payloadJson));
        HttpResponse<String> created = send(client, HttpRequest.newBuilder(URI.create("http://" + http + "/v1/intents"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(10)).build());
        if (created.statusCode() != 201) {
            throw new IOException("node at " + http + " refused the intent (" + created.statusCode() + "): " + created.body());
        }
        String id = JSON.readTree(created.body()).path("id").asText();
        System.out.println("intent " + id + " recorded");
        if (waitSeconds <= 0) {
            return 0;
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = send(client, HttpRequest.newBuilder(URI.create("http://" + http + "/v1/intents/" + id))
                    .timeout(Duration.ofSeconds(10)).build());
            JsonNode outcome = JSON.readTree(r.body()).path("outcome");
            if (!outcome.isMissingNode() && !outcome.isNull()) {
                System.out.println("outcome " + outcome.path("status").asText() + ": " + outcome.path("result").asText());
                return "succeeded".equals(outcome.path("status").asText()) ? 0 : 1;
            }
            Thread.sleep(100);
        }
        System.out.println("no outcome within " + waitSeconds + " s; is a majority of voters up? (agentmesh status)");
        return 3;
    }

    private HttpResponse<String> send(HttpClient client, HttpRequest request) throws IOException, InterruptedException {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IOException("no node answers on " + http + "; is it running? (pass --http host:port)");
        }
    }
}
