package io.agentmesh.sim.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.sim.run.FaultKind;
import io.agentmesh.sim.run.SimConfig;
import io.agentmesh.sim.run.SimResult;
import io.agentmesh.sim.run.Simulation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReportTest {
    private static RunReport report;

    @BeforeAll
    static void run() {
        SimResult r = Simulation.run(SimConfig.of(4, 5, 15_000, FaultKind.ALL));
        report = RunReport.of(r);
    }

    @Test
    void theJsonResultCarriesParametersVerdictsFiguresAndTheReplayCommand(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("r.json");
        JsonReport.write(report, file);
        JsonNode json = new ObjectMapper().readTree(Files.readString(file));
        assertEquals("agentmesh-sim-result", json.get("format").asText());
        assertEquals(5, json.get("parameters").get("seed").asLong());
        assertEquals(report.passed(), json.get("passed").asBoolean());
        assertEquals(12, json.get("verdicts").size(), "state, consensus and durability checkers");
        assertTrue(json.get("figures").has("doublePerformances"));
        assertEquals(0, json.get("figures").get("doublePerformances").asLong());
        assertTrue(json.get("leaders").size() > 0);
        assertTrue(json.get("actions").size() > 0);
        assertTrue(json.get("figures").get("simSeconds").asDouble() >= 15);
        assertTrue(json.get("replay").asText().startsWith("agentmesh sim run --nodes 4 --seed 5"));
        assertEquals(4, json.get("finals").size());
        assertTrue(json.get("faults").size() > 0);
    }

    @Test
    void theHtmlReportIsOneSelfContainedFileWithTheThreeCharts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("r.html");
        HtmlReport.write(report, file);
        String html = Files.readString(file);
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertEquals(3, html.split("<svg ", -1).length - 1, "timeline, replication lag, convergence after heals");
        assertTrue(html.contains("Timeline") && html.contains("Replication lag") && html.contains("Convergence after"));
        for (String node : report.history().nodes()) {
            assertTrue(html.contains(">" + node + "</text>"), "a lane for " + node);
        }
        assertTrue(html.contains(">leader</text>"), "a leader lane");
        assertTrue(html.contains(" leads term "), "leader bars per term");
        assertTrue(html.contains(" perform job-"), "ticks for performed intents");
        assertTrue(html.contains("<h2>Intents</h2>"));
        assertFalse(html.contains("<script"), "no scripts");
        assertFalse(html.contains("src=\"http") || html.contains("href=\"http"), "nothing fetched");
        assertTrue(html.contains(Svg.esc(report.replay())));
    }

    @Test
    void textFromTheRunIsEscaped() {
        assertEquals("&lt;b&gt; &amp; &quot;x&quot;", Svg.esc("<b> & \"x\""));
    }
}
