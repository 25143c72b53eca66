package io.agentmesh.sim.run;

import io.agentmesh.sim.check.ConsensusRecords.Action;
import io.agentmesh.sim.check.ConsensusRecords.AppliedClaim;
import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;
import io.agentmesh.sim.check.History;
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
 * DESIGN.md invariant 6: a minority side queues requests and performs nothing. Five nodes; at 4 s the leader and one
 * other node are cut off from the other three for 6 s while intents keep arriving at random nodes on both sides.
 * The leader is found by running the same seed without the cut (the runs are identical until the cut).
 */
class MinorityPerformsNothingTest {
    private static final long CUT_AT = 4_000;
    private static final long CUT_FOR = 6_000;

    @Test
    void aMinorityWithTheOldLeaderPerformsNothingWhileCutOffAndItsRequestsArePerformedAfterTheHeal() {
        SimConfig base = SimConfig.of(5, 77, 14_000, EnumSet.noneOf(FaultKind.class)).withRates(5, 2)
                .withIntentRate(4);
        Histories.Leader calm = Histories.calmLeaderAt(base, CUT_AT);
        String leader = calm.observation().node();
        Set<Integer> minority = Set.of(calm.index(), (calm.index() + 1) % 5);
        Set<Integer> majority = new TreeSet<>(List.of(0, 1, 2, 3, 4));
        majority.removeAll(minority);
        FaultPlan cut = new FaultPlan(List.of(), List.of(new FaultPlan.Partition(CUT_AT, CUT_FOR,
                "split minority|majority", Link.between(minority, majority))));

        SimResult r = Simulation.run(base.withScript(cut));
        assertTrue(r.passed(), () -> r.failures() + "\n  replay: " + r.replayCommand());
        History h = r.history();
        Set<String> minorityNames = new TreeSet<>();
        minority.forEach(i -> minorityNames.add(h.nodes().get(i)));
        assertTrue(minorityNames.contains(leader));
        long healAt = CUT_AT + CUT_FOR;

        // 1. While cut off, a minority node calls the outside world only to finish what it claimed before the cut
        //    (a claim applied before the cut, its action started just after), and nothing at all 100 ms in.
        List<String> violations = new ArrayList<>();
        for (Action a : h.records(Action.class)) {
            if (!minorityNames.contains(a.node()) || a.atMs() < CUT_AT || a.atMs() >= healAt) {
                continue;
            }
            AppliedClaim claim = h.records(AppliedClaim.class).stream().filter(c -> c.intentId().equals(a.intentId())
                    && c.holder().equals(a.node()) && c.term() == a.term() && c.index() == a.index())
                    .findFirst().orElse(null);
            if (claim == null || claim.atMs() >= CUT_AT || a.atMs() >= CUT_AT + 100) {
                violations.add(a.toString());
            }
        }
        assertEquals(List.of(), violations, "performances by the minority while it was cut off");

        // 2. The old leader stopped believing itself leader during the cut; the majority elected one of its own.
        assertTrue(h.records(LeaderObservation.class).stream().anyMatch(o -> o.node().equals(leader)
                && !o.isLeader() && o.atMs() >= CUT_AT && o.atMs() < healAt), "the old leader stepped down");
        assertTrue(h.records(LeaderObservation.class).stream().anyMatch(o -> o.isLeader() && o.atMs() >= CUT_AT
                && o.atMs() < healAt && !minorityNames.contains(o.node())), "the majority elected a leader");

        // 3. The majority kept performing during the cut.
        assertTrue(h.records(Action.class).stream().anyMatch(a -> a.isPerform() && a.atMs() >= CUT_AT
                && a.atMs() < healAt && !minorityNames.contains(a.node())), "the majority performed during the cut");

        // 4. Requests the minority accepted during the cut were queued, then performed once the cut healed.
        List<History.Write> queued = h.writes().stream().filter(w -> w.kind().equals("intent")
                && minorityNames.contains(w.node()) && w.acknowledged() && w.invokedMs() >= CUT_AT
                && w.invokedMs() < healAt).toList();
        assertFalse(queued.isEmpty(), "the minority accepted requests while cut off");
        for (History.Write w : queued) {
            List<Action> performed = h.records(Action.class).stream()
                    .filter(a -> a.intentId().equals(w.key())).toList();
            assertEquals(1, performed.size(), () -> w.key() + " acted on " + performed);
            assertTrue(performed.getFirst().atMs() >= healAt, () -> w.key() + " performed during the cut: "
                    + performed);
        }
        long majorityPerforms = h.records(Action.class).stream().filter(a -> a.atMs() >= CUT_AT && a.atMs() < healAt
                && !minorityNames.contains(a.node())).count();
        System.out.printf("minority %s (old leader %s) cut off %d-%d ms: %d calls to the outside world while cut off;"
                        + " %d requests queued there and performed after the heal; the majority performed %d%n",
                minorityNames, leader, CUT_AT, healAt, violations.size(), queued.size(), majorityPerforms);
        assertEquals(0, r.figures().intents().doublePerformances());
        assertEquals(0, r.figures().intents().lost());
    }
}
