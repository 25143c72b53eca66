package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.node.llm.cost.NanoUsd;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/**
 * Asks a running node what LLM calls cost ({@code GET /v1/llm/costs?days=N}, docs/llm.md "Status and costs") and
 * prints one row per UTC day, provider and model, then the totals. The figures are the call ledger's, replicated
 * through Raft: every voter shows the same.
 */
@Command(name = "costs", mixinStandardHelpOptions = true,
        description = {"Show what LLM calls cost per UTC day, provider and model over the last N days: charged"
                + " (from the usage providers reported, by the price table), in doubt (possibly billed, usage"
                + " unknown: counted as spent by the budgets), attempts, calls and tokens; then the totals."},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:shown", "1:the node did not answer", "2:bad arguments"})
public final class LlmCostsCommand implements Callable<Integer> {
    /** The ledger keeps 400 days of rows. */
    static final int MAX_DAYS = 400;

    @Option(names = "--http", defaultValue = "127.0.0.1:7070",
            description = "The node's HTTP API (default ${DEFAULT-VALUE}).")
    String http;

    @Option(names = "--days", defaultValue = "7", paramLabel = "N",
            description = "Today and the N-1 days before it, UTC, 1.." + MAX_DAYS + " (default ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--json", description = "Print the node's JSON as it came.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (days < 1 || days > MAX_DAYS) {
            throw new IllegalArgumentException("--days must be 1.." + MAX_DAYS + ", got " + days);
        }
        String body = NodeHttp.get(http, "/v1/llm/costs?days=" + days);
        if (json) {
            System.out.println(body);
        } else {
            print(NodeHttp.parse(http, body), System.out);
        }
        return 0;
    }

    static void print(JsonNode c, PrintStream out) {
        out.printf("llm costs on %s, %d day%s (UTC) from %s to %s%n", c.path("node").asText(), c.path("days").asLong(),
                c.path("days").asLong() == 1 ? "" : "s", c.path("from").asText(), c.path("to").asText());
        if (c.path("rows").isEmpty()) {
            out.println("no LLM calls in these days");
            return;
        }
        String format = "%-10s  %-36s %14s %14s %8s  %-20s  %s%n";
        out.printf(format, "DAY", "PROVIDER/MODEL", "CHARGED", "IN DOUBT", "ATTEMPTS", "CALLS ok/failed/doubt",
                "TOKENS in/cached/cache-write/out");
        for (JsonNode r : c.path("rows")) {
            row(out, format, r.path("day").asText(), r.path("provider").asText() + "/" + r.path("model").asText(), r);
        }
        row(out, format, "TOTAL", "", c.path("totals"));
    }

    private static void row(PrintStream out, String format, String day, String target, JsonNode r) {
        out.printf(format, day, target, NanoUsd.format(r.path("chargedNanoUsd").asLong()),
                NanoUsd.format(r.path("inDoubtNanoUsd").asLong()), r.path("attempts").asLong(),
                r.path("callsAnswered").asLong() + "/" + r.path("callsFailed").asLong() + "/"
                        + r.path("callsInDoubt").asLong(),
                r.path("inputTokens").asLong() + "/" + r.path("cachedInputTokens").asLong() + "/"
                        + r.path("cacheWriteTokens").asLong() + "/" + r.path("outputTokens").asLong());
    }
}
