package io.agentmesh.sim.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentmesh.sim.cli.CliRun;
import io.agentmesh.sim.live.LiveCluster;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.agentmesh.sim.cli.CliRun.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Option parsing, the shape of the JSON and the counting rules of {@code bench failover}; no timing is asserted. */
class FailoverBenchmarkTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static FailoverBenchmark parse(String... args) {
        FailoverBenchmark b = new FailoverBenchmark();
        new CommandLine(b).parseArgs(args);
        return b;
    }

    @Test
    void badFailoverOptionsExitWithTwoAndSayWhatIsWrongBeforeAnyNodeStarts() {
        Map<List<String>, String> cases = Map.of(
                List.of("--sizes", "2"), "--sizes must each be 3..7",
                List.of("--sizes", "8"), "--sizes must each be 3..7",
                List.of("--kills", "-1"), "must be >= 0",
                List.of("--step-down", "-3"), "must be >= 0",
                List.of("--load-threads", "2"), "apply only with --load",
                List.of("--load-writes-per-second", "50"), "apply only with --load",
                List.of("--load", "--load-threads", "65"), "--load-threads must be 0..64",
                List.of("--load", "--load-writes-per-second", "5001"), "--load-writes-per-second must be 0..5000",
                List.of("--load", "--load-threads", "0", "--load-writes-per-second", "0"), "adds no load");
        cases.forEach((args, message) -> {
            List<String> all = new ArrayList<>(List.of("bench", "failover"));
            all.addAll(args);
            CliRun r = run(all.toArray(String[]::new));
            assertEquals(2, r.exit(), args + ": " + r.err());
            assertTrue(r.err().contains(message), args + ": " + r.err());
            assertFalse(r.out().contains("\"benchmark\""), r.out());
        });
        assertEquals(0, LiveCluster.runningChildren(), "no node was started");
    }

    @Test
    void witnessWithAnySizeButThreeIsRefusedBeforeAnyNodeStarts() {
        for (String sizes : List.of("5", "3,5", "4")) {
            CliRun r = run("bench", "failover", "--witness", "--sizes", sizes, "--kills", "1");
            assertEquals(2, r.exit(), sizes + ": " + r.err());
            assertTrue(r.err().contains("--witness measures two servers and a witness, 3 nodes: leave --sizes out or"
                    + " give --sizes 3, got --sizes " + sizes), r.err());
            assertFalse(r.out().contains("\"benchmark\""), r.out());
        }
        assertEquals(0, LiveCluster.runningChildren(), "no node was started");
    }

    @Test
    void witnessMeasuresThreeNodesOneOfThemAWitnessAndSaysSoInTheParameters() throws Exception {
        FailoverBenchmark w = parse("--witness");
        assertNull(w.validate());
        assertEquals(List.of(3), w.sizes(), "two servers and a witness");
        JsonNode p = JSON.valueToTree(w.parameters(null));
        assertEquals(1, p.get("witnesses").asInt());
        assertEquals(List.of(3), JSON.convertValue(p.get("sizes"), List.class));
        assertTrue(p.get("configuration").asText().startsWith("2 servers + 1 witness"), p.toString());
        FailoverBenchmark explicit = parse("--witness", "--sizes", "3");
        assertNull(explicit.validate());
        assertEquals(List.of(3), explicit.sizes());

        FailoverBenchmark plain = parse();
        plain.validate();
        assertEquals(List.of(3, 5), plain.sizes(), "without --witness the default stays 3 and 5 voters");
        assertEquals(0, JSON.valueToTree(plain.parameters(null)).get("witnesses").asInt());
    }

    @Test
    void loadDefaultsToOneBusyThreadPerCoreAndTwoHundredWritesASecondAndIsRecordedInTheParameters() throws Exception {
        FailoverBenchmark b = parse("--load");
        FailoverBenchmark.Load load = b.validate();
        assertEquals(Runtime.getRuntime().availableProcessors(), load.cpuThreads());
        assertEquals(200, load.writesPerSecond());
        JsonNode p = JSON.valueToTree(b.parameters(load));
        assertEquals(Runtime.getRuntime().availableProcessors(), p.get("load").get("cpuBusyThreads").asInt());
        assertEquals(200, p.get("load").get("writesPerSecond").asInt());
        assertEquals(10, p.get("kills").asInt(), "the default stays small for quick runs");
        assertEquals(0, p.get("stepDownRounds").asInt());

        FailoverBenchmark quiet = parse("--step-down", "--kills", "100");
        assertNull(quiet.validate(), "no --load, no load");
        JsonNode q = JSON.valueToTree(quiet.parameters(null));
        assertTrue(q.get("load").isNull(), "a quiet run says so");
        assertEquals(10, q.get("stepDownRounds").asInt(), "--step-down alone runs 10 rounds");
        assertEquals(100, q.get("kills").asInt());
        assertEquals(30, parse("--step-down", "30").stepDownRounds);
    }

    @Test
    void aKillRoundCountsAsWithoutLeaderWhenNoSurvivorNamedOneWithinTwoSeconds() {
        List<FailoverFigures.KillRound> rounds = List.of(
                kill(1, 350L, 420L),
                kill(2, 2000L, 2100L),
                kill(3, 2001L, 2300L),
                kill(4, null, null));
        Map<String, Object> f = FailoverFigures.kills(rounds);
        assertEquals(4, f.get("kills"));
        assertEquals(2L, f.get("roundsWithoutLeaderAfter2s"), "2001 ms and never; exactly 2 s is within");
        assertEquals(3L, f.get("roundsOverOneSecondToAction"), "2100, 2300 and never");
        assertEquals(1L, f.get("outcomeWithoutPerformance"));
        JsonNode named = JSON.valueToTree(f.get("newLeaderNamedAfterKillMs"));
        assertEquals(3, named.get("n").asInt(), "a round without a leader has no time");
        assertEquals(350, named.get("min").asLong());
        assertEquals(2001, named.get("max").asLong());
        assertEquals(2000, named.get("p50").asLong());
        assertEquals(4, ((List<?>) f.get("rounds")).size());
        assertTrue(rounds.get(3).slow() && !rounds.get(0).slow(), "only slow rounds keep their logs");
        JsonNode restarts = JSON.valueToTree(f.get("killedNodeRestartReadyMs"));
        assertEquals(3, restarts.get("n").asInt(), "a node that did not get ready has no restart time");
        assertEquals(1_503, restarts.get("max").asLong());
    }

    @Test
    void aStepDownRoundReportsHowLongTheOldAndTheNewLeaderBothLed() {
        var early = new FailoverFigures.StepDownRound(1, "n1", 3, 4, 310L, 420L, "n2", 4L, null);
        var late = new FailoverFigures.StepDownRound(2, "n2", 4, 5, 900L, 400L, "n3", 5L, null);
        var never = new FailoverFigures.StepDownRound(3, "n3", 5, 5, null, 2500L, "n1", 6L, null);
        assertEquals(0L, early.bothLeadMs(), "stepped down before the new leader was named");
        assertEquals(500L, late.bothLeadMs());
        assertNull(never.bothLeadMs());
        JsonNode f = JSON.valueToTree(FailoverFigures.stepDowns(List.of(early, late, never)));
        assertEquals(3, f.get("cuts").asInt());
        assertEquals(1, f.get("roundsWithoutStepDown").asInt());
        assertEquals(1, f.get("roundsWithoutLeaderAfter2s").asInt());
        assertEquals(900, f.get("oldLeaderStepsDownAfterCutMs").get("max").asLong());
        assertEquals(2, f.get("bothLeadMs").get("n").asInt());
        assertEquals(3, f.get("rounds").size());
        assertTrue(f.get("rounds").get(1).has("bothLeadMs"));
    }

    @Test
    void keptLogLinesLeaveOutDialRetriesAndStackTraces() {
        List<String> lines = List.of(
                "08:10:38.649 INFO  Dialing - node1s dial node108 at 127.0.0.1:40545 failed: Connection refused",
                "08:10:38.650 INFO  NettyNetwork - node1s dial node108 failed: connect to 127.0.0.1:40545 failed",
                "08:10:38.572 INFO  Dialer - node node1s will redial node108 in 69 ms (attempt 1)",
                "08:10:45.931 WARN  HeartbeatTask - node1s Current leader node1u's heartbeats are timed-out.",
                "\tat io.microraft.impl.RaftNodeImpl.run(RaftNodeImpl.java:1)",
                "08:10:45.956 INFO  NodeCore - node node1s consensus: candidate in term 4, leader unknown",
                "08:10:45.979 INFO  NodeCore - node node1s consensus: leader in term 4, leader node1s");
        List<String> kept = NodeLogs.relevant(lines, 2);
        assertEquals(3, kept.size(), String.valueOf(kept));
        assertTrue(kept.get(0).contains("heartbeats are timed-out"));
        assertTrue(kept.get(1).contains("candidate in term 4"));
        assertEquals("(more lines in the node's log)", kept.get(2));
    }

    @Test
    void theCpuBurnerIsAChildProcessThatIsGoneAfterStop() throws Exception {
        CpuBurner b = CpuBurner.start(1);
        long pid = b.pid();
        assertTrue(b.alive());
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
        Map<String, Object> f = b.stop();
        assertFalse(b.alive());
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "still running: " + pid);
        assertEquals(1, f.get("busyThreads"));
        assertTrue(f.containsKey("cpuSeconds") && f.containsKey("coresKeptBusy"), String.valueOf(f));
        assertEquals(f, b.stop(), "a second stop changes nothing");
    }

    private static FailoverFigures.KillRound kill(int round, Long namedMs, Long performedMs) {
        return new FailoverFigures.KillRound(round, "n1", round, namedMs, namedMs == null ? null : "n2",
                namedMs == null ? null : "n2", namedMs == null ? null : (long) round + 1, performedMs,
                performedMs == null ? 3000L : performedMs + 20, performedMs == null ? "uncertain" : "succeeded", null,
                performedMs == null ? null : 1_500L + round, null);
    }
}
