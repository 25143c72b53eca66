package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;

/** `agentmesh drill` (docs/backup.md, "The drill"): the leader restores its newest backup into a scratch directory. */
@Command(name = "drill", mixinStandardHelpOptions = true,
        description = "Run the restore drill on the leader: restore the newest backup (of --target, or the first target"
                + " that restores) into a scratch directory, verify it, replay it, compare with the live state, and"
                + " print the signed report. Exit 1 when the drill failed.")
public final class DrillCommand implements Callable<Integer> {
    /** A drill downloads and replays the whole backup: the command waits this long for the node's answer. */
    private static final long DRILL_TIMEOUT_MS = 30 * 60_000;

    @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The leader's HTTP API (default ${DEFAULT-VALUE}).")
    String http;

    @Option(names = "--target", paramLabel = "ID", description = "Only this target (no fallback to another).")
    String target;

    @Option(names = "--json", description = "Print the signed report as JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        String q = target == null ? "" : "?target=" + java.net.URLEncoder.encode(target, StandardCharsets.UTF_8);
        String body = Progress.postAndFollow(http, "/v1/drill" + q, DRILL_TIMEOUT_MS, "drillProgress");
        JsonNode signed = NodeHttp.parse(http, body);
        JsonNode r = signed.path("report");
        if (json) {
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(signed));
            return r.path("ok").asBoolean() ? 0 : 1;
        }
        for (JsonNode a : r.path("attempts")) {
            String id = a.path("target").asText();
            if (!a.path("ok").asBoolean() && !a.has("recoveryMs")) {
                System.out.println(id + ": FAILED" + (a.has("problem") ? " (" + a.path("problem").asText() + ")" : "")
                        + ": " + a.path("error").asText() + " (" + a.path("where").asText() + ")");
                continue;
            }
            JsonNode t = a.path("recoveryMs");
            JsonNode lost = a.path("lostWrites");
            StringBuilder ranges = new StringBuilder();
            for (JsonNode x : lost.path("ranges")) {
                ranges.append(ranges.isEmpty() ? " (" : ", ").append(x.path("actor").asText(), 0, 8).append(' ')
                        .append(x.path("fromSeq").asLong()).append("..").append(x.path("toSeq").asLong());
            }
            if (!ranges.isEmpty()) {
                ranges.append(')');
            }
            System.out.println(id + ": " + (a.path("ok").asBoolean() ? "ok" : "FAILED: " + a.path("error").asText())
                    + ", manifest " + a.path("manifest").asLong() + ", " + a.path("changes").asLong()
                    + " changes restored in " + t.path("total").asLong() + " ms (fetch " + t.path("fetch").asLong()
                    + ", decrypt " + t.path("decrypt").asLong() + ", verify " + t.path("verify").asLong()
                    + ", replay " + t.path("replay").asLong() + "), " + lost.path("changes").asLong()
                    + " changes would be lost" + ranges + ", backup " + lost.path("manifestAgeMs").asLong() / 1000
                    + " s old, identity " + (a.path("identity").path("sameAgentAndRootKey").asBoolean()
                    && !a.path("identity").path("writerRevokedSince").asBoolean() ? "continuous" : "BROKEN"));
        }
        System.out.println("drill " + (r.path("ok").asBoolean() ? "ok" : "FAILED") + ", signed by "
                + r.path("node").asText() + " at " + r.path("startedAt").asText());
        return r.path("ok").asBoolean() ? 0 : 1;
    }
}
