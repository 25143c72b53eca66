package io.agentmesh.sim.run;

import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.sim.world.DiskLatency;

import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultPlanTest {
    @Test
    void theSameSeedDrawsTheSamePlan() {
        assertEquals(FaultPlan.draw(9, 5, 60_000, FaultKind.ALL), FaultPlan.draw(9, 5, 60_000, FaultKind.ALL));
        assertNotEquals(FaultPlan.draw(9, 5, 60_000, FaultKind.ALL), FaultPlan.draw(10, 5, 60_000, FaultKind.ALL));
    }

    @Test
    void eachKindDrawsFromItsOwnStreamSoTogglingOneLeavesTheOthersAlone() {
        List<FaultPlan.Step> partitionsAlone = FaultPlan.draw(9, 5, 60_000, EnumSet.of(FaultKind.PARTITION)).steps();
        List<FaultPlan.Step> partitionsAmongAll = FaultPlan.draw(9, 5, 60_000, FaultKind.ALL).steps().stream()
                .filter(s -> s.kind() == FaultKind.PARTITION).toList();
        assertFalse(partitionsAlone.isEmpty());
        assertEquals(partitionsAlone, partitionsAmongAll);
    }

    @Test
    void everyKindShowsUpInALongRunAndOnlyInsideTheFaultPhase() {
        FaultPlan plan = FaultPlan.draw(3, 5, 120_000, EnumSet.allOf(FaultKind.class));
        for (FaultKind k : FaultKind.values()) {
            assertTrue(plan.steps().stream().anyMatch(s -> s.kind() == k), "no " + k);
        }
        assertTrue(plan.steps().stream().allMatch(s -> s.atMs() > 0 && s.atMs() < 120_000));
        assertEquals(5, plan.skews().size());
    }

    @Test
    void crashesNeverTakeDownEveryNodeAtOnce() {
        for (long seed = 1; seed <= 50; seed++) {
            FaultPlan plan = FaultPlan.draw(seed, 3, 120_000, EnumSet.of(FaultKind.CRASH));
            for (FaultPlan.Step s : plan.steps()) {
                long t = s.atMs();
                long down = plan.steps().stream().map(x -> (FaultPlan.Crash) x)
                        .filter(c -> c.atMs() <= t && t < c.atMs() + c.downMs()).count();
                assertTrue(down < 3, "seed " + seed + " takes all nodes down at " + t);
            }
        }
    }

    @Test
    void noFaultsMeansAnEmptyPlan() {
        FaultPlan plan = FaultPlan.draw(3, 5, 60_000, EnumSet.noneOf(FaultKind.class));
        assertTrue(plan.steps().isEmpty());
        assertTrue(plan.skews().isEmpty());
    }

    @Test
    void faultListsAndDurationsParseAndPrint() {
        assertEquals(FaultKind.ALL, FaultKind.parse("all"));
        assertEquals(EnumSet.of(FaultKind.CRASH, FaultKind.SKEW), FaultKind.parse("skew, crash"));
        assertEquals("partition,crash,loss,delay,skew,stall", FaultKind.format(FaultKind.ALL));
        assertThrows(IllegalArgumentException.class, () -> FaultKind.parse("meteor"));
        assertEquals(600_000, SimConfig.parseDuration("10m"));
        assertEquals(90_000, SimConfig.parseDuration("1m30s"));
        assertEquals(1_500, SimConfig.parseDuration("1500ms"));
        assertEquals(30_000, SimConfig.parseDuration("30"));
        assertEquals("10m", SimConfig.formatDuration(600_000));
        assertEquals("1500ms", SimConfig.formatDuration(1_500));
        assertThrows(IllegalArgumentException.class, () -> SimConfig.parseDuration("10 parsecs"));
    }

    @Test
    void theReplayCommandNamesEveryNonDefaultSetting() {
        SimConfig c = SimConfig.of(3, 77, 45_000, EnumSet.of(FaultKind.CRASH)).withWireCheck(false).withRates(12, 5);
        assertEquals("agentmesh sim run --nodes 3 --seed 77 --duration 45s --faults crash --no-wire-check"
                + " --write-rate 12", c.replayCommand());
        SimConfig swept = c.withRaft(ConsensusConfig.defaults().withTimeDilation(5).withElectionJitterMs(80))
                .withDisk(DiskLatency.DEFAULTS.withFsyncMicros("1000"));
        assertEquals(c.replayCommand() + " --raft-time-dilation 5 --election-jitter 80ms --fsync-micros 1000",
                swept.replayCommand());
    }

    @Test
    void stallsAreDrawnPerKindFromTheirOwnStreamAndNamedInTheFaultList() {
        FaultPlan withStalls = FaultPlan.draw(9, 5, 120_000, EnumSet.of(FaultKind.CRASH, FaultKind.STALL));
        FaultPlan without = FaultPlan.draw(9, 5, 120_000, EnumSet.of(FaultKind.CRASH));
        List<FaultPlan.Step> stalls = withStalls.steps().stream().filter(s -> s instanceof FaultPlan.Stall).toList();
        assertFalse(stalls.isEmpty(), "two minutes draw some stalls");
        for (FaultPlan.Step s : stalls) {
            FaultPlan.Stall st = (FaultPlan.Stall) s;
            assertTrue(st.durationMs() >= 10 && st.durationMs() <= 2_000 && st.node() >= 0 && st.node() < 5, st.describe());
        }
        assertEquals(without.steps(), withStalls.steps().stream().filter(s -> !(s instanceof FaultPlan.Stall)).toList(),
                "turning stalls on leaves the crashes where they were");
        assertEquals(EnumSet.of(FaultKind.STALL), FaultKind.parse("stall"));
    }
}
