package io.agentmesh.sim.run;

import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;
import io.agentmesh.sim.check.History;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A slow disk is a fault of its own (ConsensusConfig: "an fsync stall longer than T on the leader's node deposes
 * it"). The leader's Raft flushes run on its node thread, so a stalled fsync stops its heartbeats too; the followers
 * time out and elect another leader, which costs availability for a moment, never safety. The leader is found by
 * running the same seed without the stall (the runs are identical until it starts).
 */
class DiskStallTest {
    private static final long STALL_AT = 4_000;
    private static final long STALL_FOR = 500;

    @Test
    void aLeaderWhoseDiskStallsForHalfASecondIsDeposedWhileItLastsAndEveryCheckerPasses() {
        // Many intents, so the leader appends to its Raft log (and waits for the fsync) right after the stall begins.
        SimConfig base = SimConfig.of(3, 4242, 10_000, EnumSet.noneOf(FaultKind.class)).withRates(5, 2)
                .withIntentRate(40);
        Histories.Leader leader = Histories.calmLeaderAt(base, STALL_AT);
        LeaderObservation before = leader.observation();
        FaultPlan stall = new FaultPlan(List.of(), List.of(new FaultPlan.Stall(STALL_AT, leader.index(), STALL_FOR)));

        SimResult r = Simulation.run(base.withScript(stall));
        assertTrue(r.passed(), () -> r.failures() + "\n  replay: " + r.replayCommand());
        History h = r.history();
        List<LeaderObservation> successors = h.records(LeaderObservation.class).stream()
                .filter(o -> o.isLeader() && !o.node().equals(before.node()) && o.term() > before.term()
                        && o.atMs() >= STALL_AT && o.atMs() < STALL_AT + STALL_FOR).toList();
        assertFalse(successors.isEmpty(), () -> "no other node was elected while " + before.node() + "'s disk"
                + " stalled; leader observations: " + h.records(LeaderObservation.class).stream()
                .filter(o -> o.atMs() >= STALL_AT - 500 && o.atMs() < STALL_AT + 2 * STALL_FOR).toList());
        assertTrue(h.records(LeaderObservation.class).stream().anyMatch(o -> o.node().equals(before.node())
                && !o.isLeader() && o.atMs() >= STALL_AT), "the stalled leader stepped down once it heard of it");
        assertEquals(1, h.faults().stream().filter(f -> f.kind().equals("stall")).count(), "the stall is reported");
        assertEquals(0, r.figures().intents().doublePerformances());
        assertEquals(0, r.figures().intents().lost());
        System.out.printf("disk stall of %s (leader in term %d) at %d ms for %d ms: %s elected in term %d at %d ms%n",
                before.node(), before.term(), STALL_AT, STALL_FOR, successors.getFirst().node(),
                successors.getFirst().term(), successors.getFirst().atMs());
    }
}
