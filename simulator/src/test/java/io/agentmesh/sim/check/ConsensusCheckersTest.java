package io.agentmesh.sim.check;

import io.agentmesh.sim.check.ConsensusRecords.Action;
import io.agentmesh.sim.check.ConsensusRecords.AppliedClaim;
import io.agentmesh.sim.check.ConsensusRecords.IntentsFinal;
import io.agentmesh.sim.check.ConsensusRecords.IntentsSettled;
import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;
import io.agentmesh.sim.check.ConsensusRecords.OutcomeSeen;
import io.agentmesh.protocol.change.ActorId;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consensus checkers on hand-made histories: each passes a good one and fails fabricated ones that break its
 * property (two leaders in one term, a second performance, a performance without a committed claim or by a node that
 * was not leader, an intent left without an outcome, an outcome nobody performed).
 */
class ConsensusCheckersTest {
    private static final ActorId A = new ActorId(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});

    /**
     * Three nodes. n1 leads term 1, claims and performs job-1, then dies; n2 leads term 2, re-claims job-1 and
     * reconciles it, and performs job-2. Both intents end with the same outcome on every node.
     */
    private static History good() {
        History h = new History(List.of("n1", "n2", "n3"));
        long[] order = {0};
        obs(h, order, 100, "n1", "LEADER", 1, "n1");
        obs(h, order, 101, "n2", "FOLLOWER", 1, "n1");
        obs(h, order, 101, "n3", "FOLLOWER", 1, "n1");
        h.writeInvoked("i1", "n3", "intent", "job-1", 200);
        h.writeAcknowledged("i1", 202, A, 1);
        h.record(AppliedClaim.class, new AppliedClaim(order[0]++, 210, "n1", "job-1", "n1", 1, 3));
        h.record(Action.class, new Action(order[0]++, 211, "n1", "job-1", Action.PERFORM, 1, 3));
        obs(h, order, 250, "n1", "DOWN", 1, null);
        obs(h, order, 600, "n2", "LEADER", 2, "n2");
        obs(h, order, 601, "n3", "FOLLOWER", 2, "n2");
        h.record(AppliedClaim.class, new AppliedClaim(order[0]++, 620, "n2", "job-1", "n2", 2, 5));
        h.record(Action.class, new Action(order[0]++, 621, "n2", "job-1", Action.RECONCILE, 2, 5));
        h.writeInvoked("i2", "n1", "intent", "job-2", 700);
        h.writeAcknowledged("i2", 702, A, 2);
        h.record(AppliedClaim.class, new AppliedClaim(order[0]++, 710, "n3", "job-2", "n2", 2, 7));
        h.record(Action.class, new Action(order[0]++, 712, "n2", "job-2", Action.PERFORM, 2, 7));
        h.finalHeal(1_000);
        h.record(IntentsSettled.class, new IntentsSettled(1_400));
        h.ended(2_500);
        Map<String, OutcomeSeen> outcomes = Map.of("job-1", new OutcomeSeen("succeeded", "n2", 2, 5),
                "job-2", new OutcomeSeen("succeeded", "n2", 2, 7));
        for (String n : List.of("n1", "n2", "n3")) {
            h.record(IntentsFinal.class, new IntentsFinal(n, true, Set.of("job-1", "job-2"), outcomes));
        }
        return h;
    }

    private static void obs(History h, long[] order, long atMs, String node, String role, long term, String leader) {
        h.record(LeaderObservation.class, new LeaderObservation(order[0]++, atMs, node, role, term, leader));
    }

    @Test
    void aConsistentHistoryPassesTheConsensusCheckers() {
        List<Verdict> verdicts = Checkers.run(List.of(new OneLeaderPerTermChecker(), new IntentsAtMostOnceChecker(),
                new IntentsPerformedChecker(1_000)), good());
        assertTrue(Checkers.allPassed(verdicts), verdicts::toString);
        assertEquals(9, Checkers.standard(1_000, true).size());
        assertEquals(6, Checkers.standard(1_000, false).size());
    }

    @Test
    void twoNodesThatEachBelieveThemselvesLeaderOfOneTermFail() {
        History h = good();
        // Fabricated: n3 also believes itself leader of term 2 (as after a vote counted twice).
        h.record(LeaderObservation.class, new LeaderObservation(1_000, 800, "n3", "LEADER", 2, "n3"));
        Verdict v = new OneLeaderPerTermChecker().check(h);
        assertFalse(v.passed());
        assertEquals("1 terms with more than one leader", v.summary());
        assertTrue(v.violations().getFirst().startsWith("term 2: n2 (from 600 ms), n3 (from 800 ms) each believed"),
                v.violations().getFirst());
    }

    @Test
    void aFollowerNamingAnotherLeaderForTheTermFails() {
        History h = good();
        h.record(LeaderObservation.class, new LeaderObservation(1_000, 800, "n1", "FOLLOWER", 2, "n3"));
        Verdict v = new OneLeaderPerTermChecker().check(h);
        assertFalse(v.passed());
        assertTrue(v.violations().getFirst().contains("[n2, n3]"), v.violations().getFirst());
    }

    @Test
    void aRunInWhichNoNodeEverLedFails() {
        History h = new History(List.of("n1", "n2"));
        h.record(LeaderObservation.class, new LeaderObservation(0, 10, "n1", "CANDIDATE", 1, null));
        assertFalse(new OneLeaderPerTermChecker().check(h).passed());
        assertFalse(new OneLeaderPerTermChecker().check(new History(List.of("n1"))).passed());
    }

    @Test
    void aSecondPerformanceOfAnIntentFails() {
        History h = good();
        // Fabricated: n2 performs job-2 again under the same claim (a retry that forgot the first attempt).
        h.record(Action.class, new Action(1_000, 720, "n2", "job-2", Action.PERFORM, 2, 7));
        Verdict v = new IntentsAtMostOnceChecker().check(h);
        assertFalse(v.passed());
        assertEquals("1 intents performed more than once", v.summary());
        assertTrue(v.violations().getFirst().startsWith("intent job-2 performed 2 times"), v.violations().getFirst());
    }

    @Test
    void aPerformanceWithoutACommittedClaimFails() {
        History h = good();
        // n3 performs job-1 under a token nobody's journal ever applied.
        h.record(Action.class, new Action(1_000, 900, "n3", "job-1", Action.RECONCILE, 2, 9));
        Verdict v = new IntentsAtMostOnceChecker().check(h);
        assertFalse(v.passed());
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("without a committed claim")), v::toString);
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("while it was FOLLOWER of term 2")),
                v::toString);
    }

    @Test
    void aPerformanceBeforeItsClaimCommittedFails() {
        History h = good();
        h.record(Action.class, new Action(1_000, 900, "n2", "job-3", Action.PERFORM, 2, 11));
        h.record(AppliedClaim.class, new AppliedClaim(1_001, 901, "n2", "job-3", "n2", 2, 11));
        Verdict v = new IntentsAtMostOnceChecker().check(h);
        assertFalse(v.passed());
        assertTrue(v.violations().getFirst().contains("committed only at 901 ms"), v::toString);
    }

    @Test
    void aDeposedLeaderPerformingUnderItsOldClaimFails() {
        History h = good();
        // n2 loses leadership of term 2, then performs job-2 under its claim anyway.
        h.record(LeaderObservation.class, new LeaderObservation(1_000, 900, "n2", "FOLLOWER", 3, null));
        h.record(Action.class, new Action(1_001, 901, "n2", "job-1", Action.RECONCILE, 2, 5));
        Verdict v = new IntentsAtMostOnceChecker().check(h);
        assertFalse(v.passed());
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("while it was FOLLOWER of term 3")),
                v::toString);
    }

    @Test
    void anIntentWithoutAnOutcomeSomewhereOrNeverSettledFails() {
        History h = good();
        h.record(IntentsFinal.class, new IntentsFinal("n3", true, Set.of("job-1", "job-2"),
                Map.of("job-2", new OutcomeSeen("succeeded", "n2", 2, 7))));
        Verdict v = new IntentsPerformedChecker(1_000).check(h);
        assertFalse(v.passed());
        assertTrue(v.summary().startsWith("1 of 2 intents without an outcome"), v.summary());

        History late = good();
        assertFalse(new IntentsPerformedChecker(100).check(late).passed(), "settled 400 ms after the heal");

        History unsettled = new History(List.of("n1"));
        unsettled.writeInvoked("i1", "n1", "intent", "job-1", 10);
        unsettled.writeAcknowledged("i1", 12, A, 1);
        unsettled.finalHeal(100);
        unsettled.ended(500);
        unsettled.record(IntentsFinal.class, new IntentsFinal("n1", true, Set.of("job-1"), Map.of()));
        Verdict u = new IntentsPerformedChecker(1_000).check(unsettled);
        assertFalse(u.passed());
        assertTrue(u.violations().getFirst().startsWith("not every running node showed every outcome"),
                u.violations().getFirst());
    }

    @Test
    void anOutcomeThatNamesAnActionTheOutsideWorldNeverSawFails() {
        History h = good();
        Map<String, OutcomeSeen> made = Map.of("job-1", new OutcomeSeen("succeeded", "n3", 2, 5),
                "job-2", new OutcomeSeen("succeeded", "n2", 2, 7));
        for (String n : List.of("n1", "n2", "n3")) {
            h.record(IntentsFinal.class, new IntentsFinal(n, true, Set.of("job-1", "job-2"), made));
        }
        Verdict v = new IntentsPerformedChecker(1_000).check(h);
        assertFalse(v.passed());
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("never saw performed")), v::toString);
    }

    @Test
    void leaderSpansEndWhenTheNodeStopsLeading() {
        Map<String, List<long[]>> spans = OneLeaderPerTermChecker.leaderSpans(good(), 2_500);
        assertEquals(List.of(100L, 250L, 1L), List.of(spans.get("n1").getFirst()[0], spans.get("n1").getFirst()[1],
                spans.get("n1").getFirst()[2]));
        assertEquals(2_500, spans.get("n2").getFirst()[1], "still leading at the end");
    }
}
