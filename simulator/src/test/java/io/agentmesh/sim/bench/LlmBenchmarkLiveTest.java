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
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A small {@code bench llm} on real node processes: every call went through the gateway without an error, each call
 * took the call ledger's four Raft entries, and after p1 refused connections a call was answered by p2 within the
 * outage bound. Speed is the JSON's business: nothing here asserts a time below the bound.
 */
class LlmBenchmarkLiveTest {

    @Test
    void overheadCallsPerSecondAndAFailoverToTheSecondProviderAreMeasured(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("llm.json");
        CliRun r = run("bench", "llm", "--calls", "5", "--warmup", "2", "--clients", "2", "--seconds", "2",
                "--refuse-outages", "1", "--silent-outages", "0", "--out", out.toString());
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(json, new ObjectMapper().readTree(Files.readString(out)));
        assertEquals("llm", json.get("benchmark").asText());
        JsonNode f = json.get("figures");
        for (String kind : List.of("json", "streamFirstToken")) {
            JsonNode o = f.get("overhead").get(kind);
            assertEquals(0, o.get("directErrors").asInt(), r.out());
            assertEquals(0, o.get("gatewayErrors").asInt(), r.out());
            for (String figure : List.of("directP50Ms", "directP99Ms", "gatewayP50Ms", "gatewayP99Ms")) {
                assertTrue(o.get(figure).asDouble() > 0, kind + "." + figure + ": " + r.out());
            }
        }
        JsonNode t = f.get("throughput").get("clients2");
        assertTrue(t.get("callsAnswered").asInt() > 0, r.out());
        assertEquals(0, t.get("errors").asInt(), r.out());
        assertTrue(t.get("raftEntriesPerCall").asDouble() >= 4, "open, attempt start, attempt end, close: " + r.out());
        for (String scenario : List.of("refusingJson", "refusingStreaming")) {
            JsonNode o = f.get("failover").get(scenario);
            assertEquals(1, o.get("measured").asInt(), scenario + ": " + r.out());
            assertEquals(0, o.get("overBound").asInt(), r.out());
            assertTrue(o.get("maxMs").asDouble() < 45_000, r.out());
        }
        assertTrue(f.get("failover").path("silentJson").isMissingNode(), "no silent outage was asked for");
        assertTrue(f.get("providerRequests").get("p2").asLong() > 0, "p2 answered during the outages: " + r.out());
        assertEquals(3, f.get("loadAverageAtEnd").size(), "1, 5 and 15 minutes");
        assertEquals(0, LiveCluster.runningChildren(), "every node is gone");
    }
}
