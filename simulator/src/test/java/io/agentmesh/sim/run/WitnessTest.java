package io.agentmesh.sim.run;

import io.agentmesh.sim.check.ConsensusRecords;
import io.agentmesh.sim.check.WitnessNeverLeadsChecker;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two servers and a witness (`sim run --nodes 3 --witness`): losing either server leaves the other one leading and
 * performing, with the witness's vote making the majority; the witness never stands for election, never leads, never
 * performs and holds no agent state.
 */
class WitnessTest {
    private static final long DOWN_MS = 6_000;

    private static void assertPasses(SimResult r) {
        assertTrue(r.passed(), () -> r.failures() + "\n  replay: " + r.replayCommand());
    }

    /** Performs by {@code node} the outside world saw between {@code fromMs} and {@code toMs}. */
    private static long performsBy(SimResult r, String node, long fromMs, long toMs) {
        return r.history().records(ConsensusRecords.Action.class).stream()
                .filter(a -> a.node().equals(node) && a.isPerform() && a.atMs() >= fromMs && a.atMs() < toMs)
                .count();
    }

    @Test
    void killingEitherServerInTurnLeavesTheOtherPerformingWithTheWitnessVote() {
        // n1 is down from 3 s to 9 s, n2 from 14 s to 20 s: each time the other server and the witness are the
        // majority. Intents keep coming at whichever server is up.
        FaultPlan plan = new FaultPlan(List.of(), List.of(new FaultPlan.Crash(3_000, 0, DOWN_MS),
                new FaultPlan.Crash(14_000, 1, DOWN_MS)));
        SimConfig config = SimConfig.of(3, 31, 24_000, EnumSet.noneOf(FaultKind.class)).withRates(10, 5)
                .withIntentRate(3).withWitness(true).withScript(plan);
        SimResult r = Simulation.run(config);
        assertPasses(r);
        // Within a second of each kill the survivor leads; from then until the restart it performs.
        assertEquals("n2", Histories.leaderAt(r.history(), 3_000 + DOWN_MS - 1).node());
        assertEquals("n1", Histories.leaderAt(r.history(), 14_000 + DOWN_MS - 1).node());
        assertTrue(performsBy(r, "n2", 4_000, 3_000 + DOWN_MS) > 3, "n2 performed while n1 was down");
        assertTrue(performsBy(r, "n1", 15_000, 14_000 + DOWN_MS) > 3, "n1 performed while n2 was down");
        assertEquals(0, performsBy(r, "n3", 0, Long.MAX_VALUE));
        assertTrue(r.history().records(ConsensusRecords.LeaderObservation.class).stream()
                .filter(o -> o.node().equals("n3")).noneMatch(o -> o.isLeader() || o.role().equals("CANDIDATE")));
    }

    /**
     * The witness cannot campaign, so the surviving server must: without ElectionLiveness, seed 7 fails (n2 had started
     * a pre-vote before it heard of n1's leadership in the same term, and MicroRaft 0.7 then never drops n1).
     */
    @Test
    void theSurvivingServerPerformsWithinOneSecondOfALeaderKill() {
        List<Long> elect = new ArrayList<>();
        List<Long> perform = new ArrayList<>();
        for (int seed = 1; seed <= FailoverTest.KILLS; seed++) {
            Cluster c = new Cluster(Cluster.quiet(3, seed).withWitness(true), 200);
            c.awaitStableLeader(5_000);
            c.request(0, "warmup", "job");
            c.awaitOutcomesEverywhere(List.of("warmup"), 2_000);
            c.runFor(200 + new java.util.SplittableRandom(seed).nextInt(300));

            SimNode old = c.leader().orElseThrow(() -> new AssertionError(c.state()));
            assertTrue(old.index < 2, "the witness leads");
            long oldTerm = old.consensus().term();
            c.kill(old.index);
            c.request(1 - old.index, "after-kill", "job");
            long elected = c.runUntil("seed " + seed + ": the other server leads", () -> c.leader()
                    .map(l -> l.index == 1 - old.index && l.consensus().term() > oldTerm).orElse(false), 5_000);
            perform.add(elected + c.runUntil("seed " + seed + ": after-kill performed",
                    () -> c.ledger().applied("after-kill"), 5_000));
            elect.add(elected);
            c.runFor(500);
            c.finishAndCheck();
        }
        String report = String.format("failover with a witness over %d kills (virtual ms): elected p50=%d p99=%d"
                        + " max=%d; next intent performed p50=%d p99=%d max=%d", FailoverTest.KILLS,
                FailoverTest.pct(elect, 50), FailoverTest.pct(elect, 99), Collections.max(elect),
                FailoverTest.pct(perform, 50), FailoverTest.pct(perform, 99), Collections.max(perform));
        System.out.println(report);
        assertTrue(Collections.max(perform) <= 1_000, report);
    }

    @Test
    void theWitnessHoldsNoAgentStateAndVotesInTheFinalGroup() {
        SimResult r = Simulation.run(SimConfig.of(3, 32, 8_000, EnumSet.noneOf(FaultKind.class)).withWitness(true));
        assertPasses(r);
        assertFalse(r.history().finals().containsKey("n3"), "the witness is left out of the state checks");
        assertTrue(r.history().finals().get("n1").vector().size() > 0);
        assertTrue(r.history().records(ConsensusRecords.MembersFinal.class).stream()
                .anyMatch(m -> m.node().equals("n3") && m.voters().stream().sorted().toList()
                        .equals(List.of("n1", "n2", "n3"))));
        assertTrue(r.verdicts().stream().anyMatch(v -> v.checker().equals(WitnessNeverLeadsChecker.NAME)
                && v.passed() && v.summary().startsWith("witness n3 never stood for election")));
    }

    @Test
    void seededRunsWithCrashesAndPartitionsPassEveryCheckerWithAWitness() {
        for (long seed = 40; seed < 44; seed++) {
            assertPasses(Simulation.run(SimConfig.of(3, seed, 30_000, FaultKind.ALL).withWitness(true)));
        }
        assertPasses(Simulation.run(SimConfig.of(5, 44, 30_000, EnumSet.of(FaultKind.CRASH)).withWitness(true)));
    }

    @Test
    void aWitnessNeedsConsensusAndThreeToSevenNodes() {
        SimConfig base = SimConfig.of(3, 1, 1_000, EnumSet.noneOf(FaultKind.class));
        IllegalArgumentException two = assertThrows(IllegalArgumentException.class,
                () -> SimConfig.of(2, 1, 1_000, EnumSet.noneOf(FaultKind.class)).withWitness(true));
        assertTrue(two.getMessage().contains("--witness needs consensus and 3..7 nodes"), two.getMessage());
        assertThrows(IllegalArgumentException.class, () -> base.withWitness(true).withConsensus(false));
        assertTrue(base.withWitness(true).replayCommand().endsWith(" --witness"), base.withWitness(true)
                .replayCommand());
    }
}
