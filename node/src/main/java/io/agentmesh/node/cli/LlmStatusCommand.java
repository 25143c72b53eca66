package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.llm.cost.NanoUsd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * Asks a running node for its LLM gateway's status ({@code GET /v1/llm/status}, docs/llm.md "Status and costs") and
 * prints it as tables: each target's health as routing sees it, its recent attempts, error rate and latency; the
 * calls open in the ledger and what they reserve; each budget's spent and left; today's spend.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Show a node's LLM gateway: each provider and model's health (available, cooling down,"
                + " circuit open, no key...), recent attempts, error rate and latency; calls in flight and open in"
                + " the ledger; budgets with spent and left; today's spend.",
                "Spend and health facts are replicated: a follower shows the same as the leader, which serves"
                        + " the calls."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:every target is available and no hard budget is spent",
                "1:the node did not answer",
                "2:bad arguments",
                "3:the node has no LLM config, a target is unavailable, or a hard budget is spent"})
public final class LlmStatusCommand implements Callable<Integer> {
    static final int EXIT_ATTENTION = 3;

    @Option(names = "--http", defaultValue = "127.0.0.1:7070",
            description = "The node's HTTP API (default ${DEFAULT-VALUE}).")
    String http;

    @Option(names = "--json", description = "Print the node's JSON as it came.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        String body = NodeHttp.get(http, "/v1/llm/status");
        JsonNode s = NodeHttp.parse(http, body);
        if (json) {
            System.out.println(body);
        } else {
            print(s, System.out);
        }
        return needsAttention(s) ? EXIT_ATTENTION : 0;
    }

    static boolean needsAttention(JsonNode s) {
        if (!s.path("configured").asBoolean()) {
            return true;
        }
        for (JsonNode t : s.path("targets")) {
            if (!t.path("available").asBoolean()) {
                return true;
            }
        }
        for (JsonNode b : s.path("budgets")) {
            if (b.path("enforcement").asText().equals("hard") && b.path("leftNanoUsd").asLong() <= 0) {
                return true;
            }
        }
        return false;
    }

    static void print(JsonNode s, PrintStream out) {
        out.printf("llm on %s (%s)%n", s.path("node").asText(), s.path("role").asText());
        if (!s.path("configured").asBoolean()) {
            out.println("not configured: " + s.path("configSource").asText("no llm.json")
                    + " (write one, see docs/llm.md \"Configuration\")");
        } else {
            out.printf("from %s; %s%n", s.path("configSource").asText(), s.path("serving").asBoolean()
                    ? "serving calls (leader), " + s.path("inFlight").asLong() + " in flight"
                    : "not serving calls (the leader does)");
        }
        JsonNode ledger = s.path("ledger");
        out.printf("ledger %d open calls, %s reserved%n", ledger.path("openCalls").asLong(),
                NanoUsd.format(ledger.path("reservedNanoUsd").asLong()));
        if (s.path("targets").size() > 0) {
            out.println();
            // Health last: its reason and deadline are the longest and the one thing never to cut.
            String format = "%-32s %8s %6s %5s  %-18s %15s %9s  %s%n";
            out.printf(format, "TARGET", "ATTEMPTS", "FAILED", "ERR%", "LAST ERROR", "LATENCY p50/max", "1ST TOKEN",
                    "HEALTH");
            for (JsonNode t : s.path("targets")) {
                JsonNode r = t.path("recent");
                JsonNode latency = t.path("latencyMs");
                out.printf(format, t.path("target").asText(), r.path("attempts").asLong(), r.path("failures").asLong(),
                        r.path("attempts").asLong() == 0 ? "-" : r.path("errorRatePercent").asLong() + "%",
                        r.path("lastError").asText("-"),
                        latency.isObject() ? latency.path("p50").asLong() + "/" + latency.path("max").asLong() + " ms"
                                : "-",
                        t.path("firstTokenMs").isNumber() ? t.path("firstTokenMs").asLong() + " ms" : "-",
                        t.path("health").asText());
            }
        }
        if (s.path("budgets").size() > 0) {
            out.println();
            out.printf("%-32s %-18s %-11s %14s %14s %14s%n", "BUDGET", "PERIOD", "ENFORCEMENT", "LIMIT", "SPENT",
                    "LEFT");
            for (JsonNode b : s.path("budgets")) {
                out.printf("%-32s %-18s %-11s %14s %14s %14s%n", b.path("scope").asText(),
                        b.path("period").asText() + " " + b.path("periodStart").asText(),
                        b.path("enforcement").asText(), NanoUsd.format(b.path("limitNanoUsd").asLong()),
                        NanoUsd.format(b.path("spentNanoUsd").asLong()),
                        NanoUsd.format(b.path("leftNanoUsd").asLong()));
            }
        }
        JsonNode today = s.path("today");
        out.println();
        out.printf("today %s (UTC): %s charged, %s in doubt, %d attempts, calls %d answered, %d failed, %d in doubt"
                        + " (agentmesh llm costs: more days)%n", today.path("day").asText(),
                NanoUsd.format(today.path("chargedNanoUsd").asLong()),
                NanoUsd.format(today.path("inDoubtNanoUsd").asLong()), today.path("attempts").asLong(),
                today.path("callsAnswered").asLong(), today.path("callsFailed").asLong(),
                today.path("callsInDoubt").asLong());
        if (s.path("asOfMillis").isNumber()) {
            out.println("as of " + Instant.ofEpochMilli(s.path("asOfMillis").asLong()));
        }
    }
}
