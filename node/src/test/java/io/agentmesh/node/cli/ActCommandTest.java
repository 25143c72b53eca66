package io.agentmesh.node.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code agentmesh act --wait-seconds} turns the outcome's status into its exit code, against a stand-in node that
 * answers the two calls it makes.
 */
class ActCommandTest {
    private HttpServer node;
    private volatile String outcomeJson = "null";

    @BeforeEach
    void startNode() throws IOException {
        node = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        node.createContext("/v1/intents", this::answer);
        node.start();
    }

    @AfterEach
    void stopNode() {
        node.stop(0);
    }

    private void answer(HttpExchange ex) throws IOException {
        String body = ex.getRequestMethod().equals("POST") ? "{\"id\":\"i-1\"}"
                : "{\"intent\":{\"id\":\"i-1\"},\"outcome\":" + outcomeJson + "}";
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(ex.getRequestMethod().equals("POST") ? 201 : 200, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private int actAndWait(String status, int waitSeconds) throws IOException {
        outcomeJson = status == null ? "null" : new ObjectMapper().writeValueAsString(java.util.Map.of(
                "intentId", "i-1", "status", status, "result", "r", "performedBy", "n1", "term", 1, "index", 2));
        return AgentmeshCommand.execute("act", "--http", "127.0.0.1:" + node.getAddress().getPort(),
                "--wait-seconds", Integer.toString(waitSeconds));
    }

    @Test
    void theExitCodeTellsSucceededFailedUncertainAndNoOutcomeApart() throws IOException {
        assertEquals(0, actAndWait("succeeded", 5));
        assertEquals(1, actAndWait("failed", 5));
        assertEquals(4, actAndWait("uncertain", 5));
        assertEquals(1, actAndWait("cancelled", 5), "a status from a newer node counts as failed");
        assertEquals(3, actAndWait(null, 1));
    }

    @Test
    void theHelpListsTheExitCodes() {
        PrintStream out = System.out;
        ByteArrayOutputStream help = new ByteArrayOutputStream();
        System.setOut(new PrintStream(help, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, AgentmeshCommand.execute("act", "--help"));
        } finally {
            System.setOut(out);
        }
        String text = help.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("Exit codes:") && text.contains("4   the outcome is uncertain"), text);
    }

    @Test
    void statusCountsOutcomesByStatusWithTheThreeAlwaysShownFirst() throws IOException {
        assertEquals("succeeded 12, failed 0, uncertain 2, cancelled 1", StatusCommand.outcomeCounts(
                new ObjectMapper().readTree("{\"cancelled\":1,\"succeeded\":12,\"uncertain\":2}")));
    }
}
