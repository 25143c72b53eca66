package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.sim.cli.CliRun;
import io.agentmesh.sim.live.LiveCluster;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.agentmesh.sim.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One short {@code bench failover} run on real processes, under load, with a kill and a cut: the JSON has every
 * block the recorded figures are read from, and no process is left behind. Speed is the JSON's business, not this
 * test's: it asserts no time.
 */
class FailoverBenchmarkLiveTest {

    @Test
    void aLoadedRunWithOneKillAndOneCutReportsBothAndItsLoadAndLeavesNoProcess() throws Exception {
        CliRun r = run("bench", "failover", "--sizes", "3", "--kills", "1", "--step-down", "1", "--actions", "0",
                "--settle", "0", "--load", "--load-threads", "1", "--load-writes-per-second", "20");
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertTrue(json.get("machine").has("loadAverageAtStart"), r.out());
        assertEquals(1, json.get("parameters").get("load").get("cpuBusyThreads").asInt());
        JsonNode size = json.get("figures").get("sizes").get(0);
        List<String> fields = new ArrayList<>();
        size.fieldNames().forEachRemaining(fields::add);
        assertEquals(List.of("nodes", "servers", "witnesses", "failover", "stepDown", "loadAverage", "load"), fields,
                r.out());
        assertEquals(3, size.get("servers").asInt(), "every node holds state without --witness");
        assertEquals(0, size.get("witnesses").asInt());

        JsonNode failover = size.get("failover");
        assertEquals(1, failover.get("kills").asInt());
        assertTrue(failover.has("roundsWithoutLeaderAfter2s"), r.out());
        for (String f : List.of("newLeaderNamedAfterKillMs", "performedAfterKillMs")) {
            for (String s : List.of("p50", "p99", "max")) {
                assertTrue(failover.get(f).has(s), f + "." + s + ": " + r.out());
            }
        }
        assertEquals(1, failover.get("rounds").size());

        JsonNode stepDown = size.get("stepDown");
        assertEquals(1, stepDown.get("cuts").asInt(), r.out());
        assertTrue(stepDown.get("oldLeaderStepsDownAfterCutMs").has("p99"), r.out());
        assertTrue(stepDown.get("majorityNamesNewLeaderAfterCutMs").has("p99"), r.out());

        assertEquals(3, size.get("loadAverage").get("beforeLoad").size(), "1, 5 and 15 minutes");
        assertTrue(size.get("loadAverage").has("atEnd"), r.out());
        assertEquals(1, size.get("load").get("cpu").get("busyThreads").asInt());
        assertTrue(size.get("load").get("writes").get("sent").asLong() > 0, r.out());
        assertTrue(json.get("figures").has("machineAtEnd"), r.out());
        assertEquals(0, LiveCluster.runningChildren(), "every node is gone");
    }

    /**
     * Two servers and a witness: each kill and cut hits a server (the leader), the other server leads and performs
     * with the witness's vote, and the witness performs nothing, leads nothing and still refuses state requests.
     */
    @Test
    void twoServersAndAWitnessFailOverTwiceAndStepDownOnceAndNothingIsPerformedOnTheWitness() throws Exception {
        CliRun r = run("bench", "failover", "--witness", "--kills", "2", "--step-down", "1", "--actions", "0",
                "--settle", "0");
        assertEquals(0, r.exit(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertEquals(1, json.get("parameters").get("witnesses").asInt(), r.out());
        JsonNode size = json.get("figures").get("sizes").get(0);
        assertEquals(3, size.get("nodes").asInt());
        assertEquals(2, size.get("servers").asInt());
        assertEquals(1, size.get("witnesses").asInt());

        JsonNode failover = size.get("failover");
        assertTrue(failover.path("abortedBecause").isMissingNode(), r.out());
        assertEquals(2, failover.get("kills").asInt(), r.out());
        for (String f : List.of("newLeaderNamedAfterKillMs", "performedAfterKillMs")) {
            assertEquals(2, failover.get(f).get("n").asInt(), f + ": " + r.out());
        }
        for (JsonNode round : failover.get("rounds")) {
            assertTrue(List.of("n1", "n2").contains(round.get("killed").asText()), "a server was killed: " + round);
            assertTrue(List.of("n1", "n2").contains(round.get("newLeader").asText()),
                    "the other server performed: " + round);
            assertTrue(!round.get("killed").asText().equals(round.get("newLeader").asText()), round.toString());
        }
        JsonNode stepDown = size.get("stepDown");
        assertTrue(stepDown.path("abortedBecause").isMissingNode(), r.out());
        assertEquals(1, stepDown.get("cuts").asInt(), r.out());
        JsonNode cut = stepDown.get("rounds").get(0);
        assertTrue(List.of("n1", "n2").contains(cut.get("newLeader").asText()), "server and witness elect: " + cut);

        JsonNode witness = size.get("witness");
        assertEquals("n3", witness.get("node").asText());
        assertEquals(0, witness.get("violations").size(), witness.toString());
        assertEquals(0, witness.get("performedLines").asInt());
        assertEquals(0, witness.get("killRoundsPerformedByWitness").asInt());
        assertEquals(409, witness.get("stateRequestStatus").asInt());
        assertEquals("witness", witness.get("certificateRole").asText());
        assertTrue(witness.get("roleChanges").asInt() > 0, "the witness followed leaders: " + witness);
        assertEquals(0, LiveCluster.runningChildren(), "every node is gone");
    }
}
