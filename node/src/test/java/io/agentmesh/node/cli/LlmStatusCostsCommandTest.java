package io.agentmesh.node.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code agentmesh llm status} and {@code llm costs} print the node's answers as tables, with exit codes that tell a
 * healthy gateway from one that needs the operator and from a node that does not answer; against a stand-in node
 * serving the JSON shapes of {@code /v1/llm/status} and {@code /v1/llm/costs} (docs/llm.md "Status and costs").
 */
class LlmStatusCostsCommandTest {
    static final String HEALTHY = """
            {"node": "node1abc", "role": "leader", "configured": true, "configSource": "/srv/node1/llm.json",
             "serving": true, "inFlight": 1, "asOfMillis": 1796320800000,
             "targets": [{"target": "fake/fake-small", "provider": "fake", "model": "fake-small",
                          "available": true, "health": "available",
                          "recent": {"attempts": 12, "failures": 1, "errorRatePercent": 8,
                          "lastError": "OVERLOADED", "lastEndedMillis": 1796320790000},
                          "latencyMs": {"p50": 14, "max": 40}, "firstTokenMs": 9}],
             "ledger": {"openCalls": 1, "reservedNanoUsd": 768000},
             "budgets": [{"scope": "every call", "period": "day", "periodStart": "2026-12-03", "enforcement": "hard",
                          "limitNanoUsd": 1000000000, "spentNanoUsd": 123000, "leftNanoUsd": 999877000}],
             "today": {"day": "2026-12-03", "chargedNanoUsd": 123000, "inDoubtNanoUsd": 0, "attempts": 12,
                       "callsAnswered": 11, "callsFailed": 0, "callsInDoubt": 0}}
            """;
    static final String COSTS = """
            {"node": "node1abc", "days": 2, "from": "2026-12-02", "to": "2026-12-03",
             "rows": [{"day": "2026-12-02", "provider": "fake", "model": "fake-small", "chargedNanoUsd": 50000,
                       "inDoubtNanoUsd": 0, "attempts": 5, "callsAnswered": 5, "callsFailed": 0, "callsInDoubt": 0,
                       "inputTokens": 80, "cachedInputTokens": 0, "cacheWriteTokens": 0, "outputTokens": 150},
                      {"day": "2026-12-03", "provider": "fake", "model": "fake-small", "chargedNanoUsd": 123000,
                       "inDoubtNanoUsd": 768000, "attempts": 12, "callsAnswered": 11, "callsFailed": 0,
                       "callsInDoubt": 1, "inputTokens": 190, "cachedInputTokens": 0, "cacheWriteTokens": 0,
                       "outputTokens": 360}],
             "totals": {"chargedNanoUsd": 173000, "inDoubtNanoUsd": 768000, "attempts": 17, "callsAnswered": 16,
                        "callsFailed": 0, "callsInDoubt": 1, "inputTokens": 270, "cachedInputTokens": 0,
                        "cacheWriteTokens": 0, "outputTokens": 510}}
            """;

    private HttpServer node;
    private volatile String status = HEALTHY;
    private final List<String> asked = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startNode() throws IOException {
        node = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        node.createContext("/v1/llm/status", ex -> answer(ex, status));
        node.createContext("/v1/llm/costs", ex -> answer(ex, COSTS));
        node.start();
    }

    @AfterEach
    void stopNode() {
        node.stop(0);
    }

    private void answer(HttpExchange ex, String body) throws IOException {
        asked.add(ex.getRequestURI().toString());
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(200, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private record Run(int exit, String out, String err) {
    }

    private Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int exit = AgentmeshCommand.execute(args);
            return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private String http() {
        return "127.0.0.1:" + node.getAddress().getPort();
    }

    @Test
    void statusPrintsHealthLedgerBudgetsAndTodayAndExitsZeroWhenAllIsWell() {
        Run r = run("llm", "status", "--http", http());
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("llm on node1abc (leader)"), r.out());
        assertTrue(r.out().contains("serving calls (leader), 1 in flight"), r.out());
        assertTrue(r.out().contains("ledger 1 open calls, $0.000768 reserved"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("fake/fake-small") && l.contains("available")
                && l.contains(" 12 ") && l.contains("8%") && l.contains("OVERLOADED") && l.contains("14/40 ms")
                && l.contains("9 ms")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("every call") && l.contains("day 2026-12-03")
                && l.contains("hard") && l.contains("$1.00") && l.contains("$0.000123")
                && l.contains("$0.999877")), r.out());
        assertTrue(r.out().contains("today 2026-12-03 (UTC): $0.000123 charged, $0.00 in doubt, 12 attempts"), r.out());
        assertEquals(List.of("/v1/llm/status"), asked);
    }

    @Test
    void statusExitsThreeWhenATargetIsUnavailableAHardBudgetIsSpentOrThereIsNoConfig() {
        assertTrue(HEALTHY.contains("\"available\": true, \"health\": \"available\""));
        status = HEALTHY.replace("\"available\": true, \"health\": \"available\"",
                "\"available\": false, \"health\": \"cooling down after failures until 2026-12-03T17:00:05Z\"");
        Run cooling = run("llm", "status", "--http", http());
        assertEquals(LlmStatusCommand.EXIT_ATTENTION, cooling.exit(), cooling.out());
        assertTrue(cooling.out().contains("cooling down after failures until 2026-12-03T17:00:05Z"), cooling.out());

        assertTrue(HEALTHY.contains("\"leftNanoUsd\": 999877000"));
        status = HEALTHY.replace("\"leftNanoUsd\": 999877000", "\"leftNanoUsd\": 0");
        assertEquals(LlmStatusCommand.EXIT_ATTENTION, run("llm", "status", "--http", http()).exit());

        status = "{\"node\": \"node1abc\", \"role\": \"follower\", \"configured\": false, \"configSource\": null,"
                + " \"targets\": [], \"budgets\": [], \"ledger\": {\"openCalls\": 0, \"reservedNanoUsd\": 0},"
                + " \"today\": {\"day\": \"2026-12-03\"}}";
        Run none = run("llm", "status", "--http", http());
        assertEquals(LlmStatusCommand.EXIT_ATTENTION, none.exit(), none.out());
        assertTrue(none.out().contains("not configured"), none.out());
    }

    @Test
    void statusJsonPrintsTheNodesAnswerAsItCame() {
        Run r = run("llm", "status", "--http", http(), "--json");
        assertEquals(0, r.exit());
        assertEquals(HEALTHY.strip(), r.out().strip());
    }

    @Test
    void costsPrintARowPerDayAndTargetThenTheTotals() {
        Run r = run("llm", "costs", "--http", http(), "--days", "2");
        assertEquals(0, r.exit(), r.out() + r.err());
        assertEquals(List.of("/v1/llm/costs?days=2"), asked);
        assertTrue(r.out().contains("llm costs on node1abc, 2 days (UTC) from 2026-12-02 to 2026-12-03"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("2026-12-03") && l.contains("fake/fake-small")
                && l.contains("$0.000123") && l.contains("$0.000768") && l.contains("11/0/1")
                && l.contains("190/0/0/360")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("TOTAL") && l.contains("$0.000173")
                && l.contains("16/0/1") && l.contains("270/0/0/510")), r.out());
    }

    @Test
    void agentmeshStatusHasALineOfTodaysLlmSpend() throws IOException {
        assertEquals("today $0.000123 charged, $0.000768 in doubt, 11 calls answered, 1 failed; 2 open"
                + " (agentmesh llm status, llm costs)", StatusCommand.llmLine(new com.fasterxml.jackson.databind
                .ObjectMapper().readTree("{\"day\": \"2026-12-03\", \"chargedNanoUsd\": 123000, \"inDoubtNanoUsd\":"
                + " 768000, \"callsAnswered\": 11, \"callsFailed\": 1, \"openCalls\": 2}")));
    }

    @Test
    void costsRefuseDaysOutOfRangeWithoutAskingTheNode() {
        Run r = run("llm", "costs", "--http", http(), "--days", "0");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--days must be 1..400"), r.err());
        assertEquals(List.of(), asked);
    }

    @Test
    void aNodeThatDoesNotAnswerIsExitOneWithWhatToDo() throws IOException {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        for (String command : List.of("status", "costs")) {
            Run r = run("llm", command, "--http", "127.0.0.1:" + closed);
            assertEquals(1, r.exit(), command);
            assertTrue(r.err().contains("no node answers on 127.0.0.1:" + closed), r.err());
        }
    }
}
