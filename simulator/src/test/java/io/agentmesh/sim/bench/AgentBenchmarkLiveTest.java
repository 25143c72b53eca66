package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.sim.cli.CliRun;
import io.agentmesh.sim.live.LiveCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.agentmesh.sim.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two kills of {@code bench agent} on real processes: the JSON has every figure docs/benchmarks.md reads, each
 * round moved the agent to another node, no two instances overlapped, and no node is left behind. Speed is the
 * JSON's business: it asserts no time beyond the round's own timeout.
 */
class AgentBenchmarkLiveTest {

    @Test
    void twoKillsReportDowntimeWhereTheAgentMovedAndNoOverlap(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("agent.json");
        CliRun r = run("bench", "agent", "--kills", "2", "--settle", "500", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(json, new ObjectMapper().readTree(Files.readString(out)));
        assertEquals("agent", json.get("benchmark").asText());
        assertEquals(3, json.get("parameters").get("nodes").asInt());
        JsonNode f = json.get("figures");
        assertFalse(f.has("abortedBecause"), r.out());
        assertEquals(2, f.get("kills").asInt());
        assertEquals(2, f.get("measuredRounds").asInt(), r.out());
        for (String figure : List.of("downtimeMs", "startAfterKillMs", "oldGoneAfterKillMs")) {
            for (String s : List.of("p50", "p90", "p99", "max")) {
                assertTrue(f.get(figure).get(s).asLong() > 0, figure + "." + s + ": " + r.out());
            }
        }
        // The old instance's last beat may come just before the kill: only its presence is checked.
        assertEquals(2, f.get("oldLastBeatAfterKillMs").get("n").asInt(), r.out());
        assertTrue(f.has("downtimeGoalP99Met"), r.out());
        assertEquals(0, f.get("overlaps").asInt(), "no two instances alive at once: " + f.get("overlapDetails"));
        assertTrue(f.get("instances").asInt() >= 3, "the first instance and one per kill: " + r.out());
        for (JsonNode round : f.get("rounds")) {
            assertNotEquals(round.get("killed").asText(), round.get("movedTo").asText(), r.out());
        }
        for (String l : List.of("beforeStart", "atEnd")) {
            assertEquals(3, f.get("loadAverage").get(l).size(), "1, 5 and 15 minutes");
        }
        assertTrue(f.get("loadAverage").has("max1Minute"), r.out());
        assertEquals(0, LiveCluster.runningChildren(), "every node is gone");
    }
}
