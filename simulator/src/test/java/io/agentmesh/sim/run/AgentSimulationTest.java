package io.agentmesh.sim.run;

import io.agentmesh.sim.check.AgentOverlapChecker;
import io.agentmesh.sim.check.AgentRecords;
import io.agentmesh.sim.check.Verdict;
import io.agentmesh.sim.world.Link;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code sim run --agent}: every voter hosts the real agent runner and supervisor on a simulated process host, the
 * lives go to the history, and agent-overlap checks them.
 */
class AgentSimulationTest {

    private static Verdict verdict(SimResult r, String checker) {
        return r.verdicts().stream().filter(v -> v.checker().equals(checker)).findFirst().orElseThrow();
    }

    private static List<AgentRecords.Life> lives(SimResult r) {
        return r.history().records(AgentRecords.Life.class);
    }

    /** Every node cut off from the others in turn, so whoever leads is cut off at some point and steps down. */
    private static SimConfig isolatingEachNodeInTurn(long seed) {
        List<FaultPlan.Step> steps = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            Set<Integer> others = new TreeSet<>(Set.of(0, 1, 2, 3, 4));
            others.remove(k);
            steps.add(new FaultPlan.Partition(3_000 + k * 4_000L, 2_500, "isolate n" + (k + 1),
                    Link.between(Set.of(k), others)));
        }
        return SimConfig.of(5, seed, 24_000, EnumSet.noneOf(FaultKind.class)).withAgent(true)
                .withScript(new FaultPlan(List.of(), steps));
    }

    @Test
    void everyFaultKindMovesTheAgentAndNoTwoProcessesOverlap() {
        int moved = 0;
        for (long seed = 1; seed <= 3; seed++) {
            SimResult r = Simulation.run(SimConfig.of(5, seed, 20_000, FaultKind.ALL).withAgent(true));
            assertTrue(r.passed(), "seed " + seed + ": " + r.failures() + "\nreplay: " + r.replayCommand());
            Verdict v = verdict(r, AgentOverlapChecker.NAME);
            assertTrue(v.passed(), v.toString());
            assertFalse(lives(r).isEmpty(), "seed " + seed + ": the agent never ran");
            moved += (int) lives(r).stream().map(AgentRecords.Life::node).distinct().count() - 1;
        }
        assertTrue(moved > 0, "the faults never moved the agent to another node, so nothing was checked");
    }

    @Test
    void aLeaderCutOffStopsItsAgentBeforeTheOtherSideStartsOne() {
        SimResult r = Simulation.run(isolatingEachNodeInTurn(31));
        assertTrue(r.passed(), r.failures() + "\nreplay: " + r.replayCommand());
        List<AgentRecords.Life> lives = lives(r);
        assertTrue(lives.stream().map(AgentRecords.Life::node).distinct().count() >= 2,
                "the cuts moved the agent: " + lives);
        assertTrue(lives.stream().anyMatch(l -> l.endedBy().equals("stopped")), "a step-down stopped one: " + lives);
    }

    @Test
    void aHostThatStopsOnlyTheWrapperIsCaughtByAgentOverlap() {
        SimConfig config = isolatingEachNodeInTurn(31).withBugs(EnumSet.of(PlantedBug.AGENT_STOP_ORPHANS));
        SimResult r = Simulation.run(config);
        Verdict v = verdict(r, AgentOverlapChecker.NAME);
        assertFalse(v.passed(), "agent-overlap missed orphaned agents: " + lives(r));
        assertTrue(v.violations().getFirst().contains("two agent processes alive at once"), v.toString());
        assertEquals("agentmesh sim run --nodes 5 --seed 31 --duration 24s --faults none --agent --plant"
                + " agent-stop-orphans   # note: this run used a hand-written fault plan, which the command line"
                + " cannot express", r.replayCommand());
    }

    @Test
    void theSameSeedGivesTheSameLives() {
        SimConfig config = SimConfig.of(5, 7, 15_000, FaultKind.ALL).withAgent(true);
        SimResult a = Simulation.run(config);
        SimResult b = Simulation.run(config);
        assertEquals(a.traceHash(), b.traceHash());
        assertEquals(lives(a), lives(b));
    }

    @Test
    void theAgentNeedsConsensus() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> SimConfig.of(3, 1, 1_000, FaultKind.ALL).withConsensus(false).withAgent(true));
        assertTrue(e.getMessage().contains("--agent needs consensus"), e.getMessage());
    }
}
