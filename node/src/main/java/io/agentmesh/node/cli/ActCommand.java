package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.state.Outcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * Requests an action through a running node; the leader performs it once. Optionally waits for the outcome, whose
 * status becomes the exit code, so a script can tell a failure from an action the world may or may not have seen.
 */
@Command(name = "act", mixinStandardHelpOptions = true,
        description = {"Request an action (an intent); the leader performs it at most once.",
                "--wait-seconds waits for its outcome and prints it: succeeded, failed, or uncertain (the leader"
                        + " performing it was lost after starting it, so the world may or may not have seen it;"
                        + " it is not run again)."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:recorded (no wait), or the outcome is succeeded",
                "1:the outcome is failed, or the node could not be reached or refused the request",
                "2:bad arguments",
                "3:no outcome within --wait-seconds (is a majority of voters up? agentmesh status)",
                "4:the outcome is uncertain"})
public final class ActCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long REQUEST_TIMEOUT_MS = 10_000;
    static final int EXIT_SUCCEEDED = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_NO_OUTCOME = 3;
    static final int EXIT_UNCERTAIN = 4;

    @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The node's HTTP API (default ${DEFAULT-VALUE}).")
    String http;

    @Option(names = "--kind", defaultValue = "job",
            description = "Executor kind: job, or exec (payload {\"command\": name, \"args\": {...}} runs a"
                    + " command from the nodes' exec config), or backup / drill (payload {\"target\": id or"
                    + " \"all\"}) (default ${DEFAULT-VALUE}).")
    String kind;

    @Option(names = "--payload", defaultValue = "{}", description = "JSON payload for the executor (default ${DEFAULT-VALUE}).")
    String payload;

    @Option(names = "--wait-seconds", defaultValue = "0",
            description = "Wait this long for the outcome and exit with its code (0: do not wait).")
    int waitSeconds;

    @Override
    public Integer call() throws Exception {
        JsonNode payloadJson;
        try {
            payloadJson = JSON.readTree(payload);
        } catch (IOException e) {
            throw new IllegalArgumentException("--payload is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        String body = JSON.writeValueAsString(JSON.createObjectNode().put("kind", kind).set("payload", payloadJson));
        HttpResponse<String> created = NodeHttp.exchange(http, "POST", "/v1/intents", body, REQUEST_TIMEOUT_MS,
                HttpResponse.BodyHandlers.ofString());
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
            HttpResponse<String> r = NodeHttp.exchange(http, "GET", "/v1/intents/" + id, null, REQUEST_TIMEOUT_MS,
                    HttpResponse.BodyHandlers.ofString());
            JsonNode outcome = JSON.readTree(r.body()).path("outcome");
            if (!outcome.isMissingNode() && !outcome.isNull()) {
                String status = outcome.path("status").asText();
                System.out.println("outcome " + status + ": " + outcome.path("result").asText());
                return exitCodeFor(status);
            }
            Thread.sleep(100);
        }
        System.out.println("no outcome within " + waitSeconds + " s; is a majority of voters up? (agentmesh status)");
        return EXIT_NO_OUTCOME;
    }

    /** A status this version does not know (written by a newer node) counts as failed: nothing says it happened. */
    static int exitCodeFor(String status) {
        return switch (status) {
            case Outcome.SUCCEEDED -> EXIT_SUCCEEDED;
            case Outcome.UNCERTAIN -> EXIT_UNCERTAIN;
            default -> EXIT_FAILED;
        };
    }
}
