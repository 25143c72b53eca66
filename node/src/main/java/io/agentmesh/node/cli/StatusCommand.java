package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentmesh.state.Outcome;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * Asks a running node for its status and prints its consensus view (leader, actions, outcomes by status) and its
 * peers: link state, last contact, how many changes behind.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show a running node's leader, action outcomes (succeeded, failed, uncertain), peers and"
                + " replication lag.")
public final class StatusCommand implements Callable<Integer> {
    @Option(names = "--http", defaultValue = "127.0.0.1:7070", description = "The node's HTTP API (default ${DEFAULT-VALUE}).")
    String http;

    @Option(names = "--json", description = "Print the raw JSON.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        String body = NodeHttp.get(http, "/v1/status");
        if (json) {
            System.out.println(body);
            return 0;
        }
        JsonNode s = NodeHttp.parse(http, body);
        System.out.printf("node   %s (%s, incarnation %d)%n", s.path("node").asText(), s.path("role").asText(),
                s.path("incarnation").asLong());
        System.out.printf("agent  %s%n", s.path("agent").asText());
        System.out.printf("state  %d changes, %d memory entries, %s%n", s.path("changes").asLong(),
                s.path("memoryEntries").asLong(), s.path("healthy").asBoolean() ? "healthy" : "NOT HEALTHY");
        if (s.has("consensus")) {
            JsonNode c = s.get("consensus");
            System.out.printf("leader %s (term %d); actions pending %d, in flight %d, completed %d%n",
                    c.path("leader").asText("none"), c.path("term").asLong(), c.path("pending").asLong(),
                    c.path("inFlight").asLong(), c.path("completed").asLong());
            if (c.has("outcomes")) {
                System.out.println("outcomes " + outcomeCounts(c.get("outcomes"))
                        + " (of the completions the journal keeps in full)");
            }
        }
        if (s.has("llm")) {
            System.out.println("llm    " + llmLine(s.get("llm")));
        }
        if (s.has("agentProcess")) {
            System.out.println("agent  " + agentProcessLine(s.get("agentProcess")));
        }
        for (JsonNode f : s.path("backup").path("freshness")) {
            System.out.println("backup " + freshnessLine(f));
        }
        for (JsonNode f : s.path("backup").path("freshness")) {
            for (JsonNode w : f.path("warnings")) {
                System.out.println("WARNING " + w.asText());
            }
        }
        System.out.println();
        System.out.printf("%-44s %-8s %-28s %12s %10s %8s%n", "PEER", "ROLE", "LINK", "LAST CONTACT", "RTT", "BEHIND");
        for (JsonNode p : s.path("peers")) {
            long ago = p.path("lastContactMsAgo").asLong();
            long rtt = p.path("roundTripMicros").asLong();
            long behind = p.path("changesBehind").asLong();
            System.out.printf("%-44s %-8s %-28s %12s %10s %8s%n", p.path("node").asText(), p.path("role").asText(),
                    p.path("link").asText(), ago < 0 ? "-" : ago + " ms ago", rtt < 0 ? "-" : rtt + " us",
                    behind < 0 ? "-" : Long.toString(behind));
        }
        return 0;
    }

    /**
     * "today $0.000824 charged, $0.00 in doubt, 8 calls answered, 0 failed; 0 open (agentmesh llm status)": the LLM
     * spend every voter's ledger holds.
     */
    static String llmLine(JsonNode l) {
        return "today " + io.agentmesh.node.llm.cost.NanoUsd.format(l.path("chargedNanoUsd").asLong()) + " charged, "
                + io.agentmesh.node.llm.cost.NanoUsd.format(l.path("inDoubtNanoUsd").asLong()) + " in doubt, "
                + l.path("callsAnswered").asLong() + " calls answered, " + l.path("callsFailed").asLong()
                + " failed; " + l.path("openCalls").asLong() + " open (agentmesh llm status, llm costs)";
    }

    /** "process running (pid 4242, fence 7.1042, 0 restarts, last exit -)", or the crash loop's reason. */
    static String agentProcessLine(JsonNode a) {
        StringBuilder b = new StringBuilder("process ").append(a.path("state").asText("unknown"));
        b.append(" (");
        if (!a.path("pid").isNull() && a.has("pid")) {
            b.append("pid ").append(a.path("pid").asLong()).append(", ");
        }
        if (!a.path("fence").isNull() && a.has("fence")) {
            b.append("fence ").append(a.path("fence").asText()).append(", ");
        }
        b.append(a.path("restarts").asLong()).append(" restarts, last exit ")
                .append(a.path("lastExitCode").isNumber() ? a.path("lastExitCode").asText() : "-").append(')');
        if (a.hasNonNull("crashLoop")) {
            b.append(": ").append(a.path("crashLoop").asText());
        }
        return b.toString();
    }

    /**
     * "succeeded 12, failed 1, uncertain 2": the three statuses always, in that order, then any other a newer node
     * wrote. Uncertain means the world may or may not have seen the action; it is not run again.
     */
    static String outcomeCounts(JsonNode byStatus) {
        Map<String, Long> counts = new LinkedHashMap<>();
        Outcome.STATUSES.forEach(st -> counts.put(st, byStatus.path(st).asLong(0)));
        byStatus.properties().forEach(e -> counts.putIfAbsent(e.getKey(), e.getValue().asLong()));
        StringBuilder b = new StringBuilder();
        counts.forEach((st, n) -> b.append(b.isEmpty() ? "" : ", ").append(st).append(' ').append(n));
        return b.toString();
    }

    /** "nas: backup ok 12 min ago (every 60 min), drill ok 3 h ago (every 24 h)". */
    static String freshnessLine(JsonNode f) {
        return f.path("target").asText() + ": backup " + f.path("backupState").asText()
                + ago(f.path("backupAgeMs")) + every(f.path("backupEveryMs")) + ", drill " + f.path("drillState").asText()
                + ago(f.path("drillAgeMs")) + every(f.path("drillEveryMs"));
    }

    private static String ago(JsonNode ms) {
        return ms.isNumber() ? " " + io.agentmesh.node.backup.run.BackupFreshness.human(ms.asLong()) + " ago" : "";
    }

    private static String every(JsonNode ms) {
        return ms.isNumber() ? " (every " + io.agentmesh.node.backup.run.BackupFreshness.human(ms.asLong()) + ")"
                : " (on request)";
    }
}
