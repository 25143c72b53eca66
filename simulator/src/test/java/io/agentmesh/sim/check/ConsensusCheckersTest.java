package io.agentmesh.sim.check;

import io.agentmesh.sim.check.ConsensusRecords.Action;
import io.agentmesh.sim.check.ConsensusRecords.AppliedClaim;
import io.agentmesh.sim.check.ConsensusRecords.IntentsFinal;
import io.agentmesh.sim.check.ConsensusRecords.IntentsSettled;
import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;
import io.agentmesh.sim.check.ConsensusRecords.OutcomeSeen;
import io.agentmesh.sim.check.ConsensusRecords.ObservationGap;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.sim.run.FaultKind;
import io.agentmesh.sim.run.SimConfig;
import io.agentmesh.sim.run.SimResult;
import io.agentmesh.sim.run.Simulation;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The consensus checkers on hand-made histories: each passes a good one and fails fabricated ones that break its
 * property (two leaders in one term, a second performance, a performance without a committed claim or by a node that
 * was not leader, an intent left without an outcome, an outcome nobody performed); and the same plants in the
 * History of a real simulated run, as the live tests plant them in what a real live run gathered.
 */
class ConsensusCheckersTest {
    private static final ActorId A = new ActorId(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});

    /**
     * Three nodes. n1 leads term 1, claims and performs job-1, then dies; n2 leads term 2, re-claims job-1 and
     * reconciles it, and performs job-2. Both intents end with the same outcome on every node.
     */
    private static History good() {
        return story(true, "succeeded");
    }

    /**
     * {@link #good()}, with n1 either killed at 250 ms or only deposed then (it stays up and in reach), and job-1
     * ending with {@code job1Status} under n2's claim.
     */
    private static History story(boolean n1Dies, String job1Status) {
        History h = new History(List.of("n1", "n2", "n3"));
        long[] order = {0};
        obs(h, order, 100, "n1", "LEADER", 1, "n1");
        obs(h, order, 101, "n2", "FOLLOWER", 1, "n1");
        obs(h, order, 101, "n3", "FOLLOWER", 1, "n1");
        h.writeInvoked("i1", "n3", "intent", "job-1", 200);
        h.writeAcknowledged("i1", 202, A, 1);
        h.record(AppliedClaim.class, new AppliedClaim(order[0]++, 210, "n1", "job-1", "n1", 1, 3));
        h.record(Action.class, new Action(order[0]++, 211, "n1", "job-1", Action.PERFORM, 1, 3));
        if (n1Dies) {
            obs(h, order, 250, "n1", "DOWN", 1, null);
            h.nodeEvent(250, "n1", History.NodeEventKind.CRASH, "killed");
        } else {
            obs(h, order, 250, "n1", "FOLLOWER", 1, null);
        }
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
        Map<String, OutcomeSeen> outcomes = Map.of("job-1", new OutcomeSeen(job1Status, "n2", 2, 5),
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
        assertEquals(12, Checkers.standard(1_000, true).size());
        assertEquals(6, Checkers.standard(1_000, false).size());
    }

    @Test
    void votersThatNameTheEnrolledVotersPassAndAVoterLeftOutFails() {
        History h = new History(List.of("n1", "n2", "n3"));
        h.record(ConsensusRecords.ExpectedVoters.class, new ConsensusRecords.ExpectedVoters(List.of("n1", "n2", "n3")));
        h.record(ConsensusRecords.MembersFinal.class, new ConsensusRecords.MembersFinal("n1", true, "LEADER",
                List.of("n1", "n2", "n3")));
        h.record(ConsensusRecords.MembersFinal.class, new ConsensusRecords.MembersFinal("n2", true, "FOLLOWER",
                List.of("n3", "n2", "n1")));
        h.record(ConsensusRecords.MembersFinal.class, new ConsensusRecords.MembersFinal("n3", false, "DOWN",
                List.of()));
        assertTrue(new VotersFollowEnrollmentChecker().check(h).passed());

        h.record(ConsensusRecords.MembersFinal.class, new ConsensusRecords.MembersFinal("n3", true, "DISCOVERING",
                List.of()));
        Verdict v = new VotersFollowEnrollmentChecker().check(h);
        assertFalse(v.passed());
        assertEquals(List.of("n3 (discovering) ends with voters [], expected [n1, n2, n3]"), v.violations());
    }

    @Test
    void aWitnessThatCampaignsLeadsHoldsAClaimOrPerformsFailsAndNoWitnessPasses() {
        History h = good();
        assertTrue(new WitnessNeverLeadsChecker().check(h).passed(), "nothing to check without a witness");
        h.record(ConsensusRecords.Witnesses.class, new ConsensusRecords.Witnesses(List.of("n3")));
        Verdict quiet = new WitnessNeverLeadsChecker().check(h);
        assertTrue(quiet.passed(), quiet::toString);
        assertTrue(quiet.summary().startsWith("witness n3 never stood for election"), quiet.summary());

        h.record(LeaderObservation.class, new LeaderObservation(2_000, 1_000, "n3", "CANDIDATE", 3, null));
        h.record(LeaderObservation.class, new LeaderObservation(2_001, 1_010, "n3", "LEADER", 3, "n3"));
        h.record(AppliedClaim.class, new AppliedClaim(2_002, 1_020, "n3", "job-9", "n3", 3, 30));
        h.record(Action.class, new Action(2_003, 1_030, "n3", "job-9", Action.PERFORM, 3, 30));
        Verdict v = new WitnessNeverLeadsChecker().check(h);
        assertFalse(v.passed());
        assertEquals(List.of("witness n3 was candidate in term 3 at 1000 ms", "witness n3 was leader in term 3 at"
                + " 1010 ms", "witness n3 holds the committed claim on job-9 (3, 30)", "witness n3 made a perform call"
                + " for job-9 at 1030 ms"), v.violations());
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

    @Test
    void aCallInAnObservationGapIsCheckedForACommittedClaimOnly() {
        History h = good();
        // n1's last moments were not observed; it performed job-3 under a claim n3's journal shows committed.
        h.record(AppliedClaim.class, new AppliedClaim(1_000, 900, "n3", "job-3", "n1", 1, 9));
        h.record(Action.class, new Action(1_002, 240, "n1", "job-3", Action.PERFORM, 1, 9));
        h.record(ObservationGap.class, new ObservationGap("n1", 1_001, 1_003, "stopped before it was read"));
        Verdict v = new IntentsAtMostOnceChecker().check(h);
        assertTrue(v.passed(), v::toString);
        assertTrue(v.summary().contains("1 calls made while their node was not observed"), v.summary());
        // Without any committed claim, the gap excuses nothing.
        History none = good();
        none.record(Action.class, new Action(1_002, 240, "n1", "job-3", Action.PERFORM, 1, 9));
        none.record(ObservationGap.class, new ObservationGap("n1", 1_001, 1_003, "stopped before it was read"));
        assertFalse(new IntentsAtMostOnceChecker().check(none).passed());
    }

    @Test
    void anOutcomeOtherThanSucceededNeedsACallOrAClaimHeldByItsReporter() {
        History h = good();
        // job-1 reconciled by n2 as uncertain: no effect recorded, but n2 held the committed claim (2, 5).
        Map<String, OutcomeSeen> uncertain = Map.of("job-1", new OutcomeSeen("uncertain", "n2", 2, 5),
                "job-2", new OutcomeSeen("succeeded", "n2", 2, 7));
        History live = new History(List.of("n1", "n2", "n3"));
        live.record(AppliedClaim.class, new AppliedClaim(0, 620, "n2", "job-1", "n2", 2, 5));
        live.finalHeal(1_000);
        live.record(IntentsSettled.class, new IntentsSettled(1_100));
        live.ended(1_200);
        for (String n : List.of("n1", "n2", "n3")) {
            live.record(IntentsFinal.class, new IntentsFinal(n, true, Set.of("job-1"), Map.of("job-1",
                    uncertain.get("job-1"))));
        }
        assertTrue(new IntentsPerformedChecker(1_000).check(live).passed());
        // The same outcome naming a claim nobody held is made up.
        Map<String, OutcomeSeen> madeUp = Map.of("job-1", new OutcomeSeen("uncertain", "n3", 2, 5),
                "job-2", new OutcomeSeen("succeeded", "n2", 2, 7));
        for (String n : List.of("n1", "n2", "n3")) {
            h.record(IntentsFinal.class, new IntentsFinal(n, true, Set.of("job-1", "job-2"), madeUp));
        }
        Verdict v = new IntentsPerformedChecker(1_000).check(h);
        assertFalse(v.passed());
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("no journal holds as a claim")), v::toString);
    }

    @Test
    void anUncertainOutcomeIsHonestWhenItsPerformerDiedButNotWhenItStayedUpAndInReach() {
        Verdict died = new IntentsPerformedChecker(1_000).check(story(true, "uncertain"));
        assertTrue(died.passed(), died::toString);
        assertTrue(died.summary().contains("uncertain=1"), died.summary());

        Verdict deposed = new IntentsPerformedChecker(1_000).check(story(false, "uncertain"));
        assertFalse(deposed.passed(), "n1 performed job-1 and stayed up and in reach: its result was lost");
        assertTrue(deposed.violations().stream().anyMatch(v -> v.contains("job-1 ended uncertain")
                && v.contains("n1 performed it under (1, 3)")), deposed::toString);

        History cutOff = story(false, "uncertain");
        cutOff.reachability(new History.Reachability(240, "n1", 2));
        assertTrue(new IntentsPerformedChecker(1_000).check(cutOff).passed(), "cut off, it may not have reported");
        History stalled = story(false, "uncertain");
        stalled.fault(new History.Fault(230, 900, "stall", "disk of n1 stalls for 670 ms"));
        assertTrue(new IntentsPerformedChecker(1_000).check(stalled).passed(), "its disk stalled meanwhile");
        assertTrue(new IntentsPerformedChecker(1_000).check(story(false, "succeeded")).passed());
        History outOfReach = story(false, "uncertain");
        outOfReach.record(ConsensusRecords.OutOfReach.class, new ConsensusRecords.OutOfReach(300, 500, "n1", "n2",
                "n2 saw its link to n1 down"));
        assertTrue(new IntentsPerformedChecker(1_000).check(outOfReach).passed(), "the new leader saw it out of reach");
    }

    @Test
    void whatHappensToAHolderAfterItsClaimWasTakenOverExcusesNothing() {
        // n2 took job-1 over at 620 ms; each of these comes later, when n2 had already decided.
        History cutLater = story(false, "uncertain");
        cutLater.reachability(new History.Reachability(700, "n1", 2));
        History killedLater = story(false, "uncertain");
        killedLater.nodeEvent(800, "n1", History.NodeEventKind.CRASH, "killed");
        History stalledLater = story(false, "uncertain");
        stalledLater.fault(new History.Fault(650, 900, "stall", "disk of n1 stalls for 250 ms"));
        History seenByAnother = story(false, "uncertain");
        seenByAnother.record(ConsensusRecords.OutOfReach.class, new ConsensusRecords.OutOfReach(300, 500, "n1", "n3",
                "n3 saw its link to n1 down"));
        for (History h : List.of(cutLater, killedLater, stalledLater, seenByAnother)) {
            Verdict v = new IntentsPerformedChecker(1_000).check(h);
            assertFalse(v.passed(), v::toString);
            assertTrue(v.violations().stream().anyMatch(x -> x.contains("n1 performed it under (1, 3) at 211 ms and"
                    + " stayed up and in reach until [n2] took its claim over at 620 ms")), v::toString);
        }
    }

    // ------------------------------------------------------------------------------ a real simulated run

    /** Three nodes with consensus, no faults, three intents a second: a short run that performs a few dozen jobs. */
    private static SimResult simulated() {
        SimResult r = Simulation.run(SimConfig.of(3, 21, 4_000, EnumSet.noneOf(FaultKind.class)).withIntentRate(3));
        assertTrue(r.passed(), () -> "the untouched run must pass: " + r.failures());
        return r;
    }

    private static final List<String> CONSENSUS = List.of(OneLeaderPerTermChecker.NAME,
            IntentsAtMostOnceChecker.NAME, IntentsPerformedChecker.NAME);

    /** Of the consensus checkers, only {@code failing} fails on {@code h}. */
    private static Verdict onlyFails(History h, String failing) {
        Map<String, Verdict> byName = new HashMap<>();
        for (Verdict v : Checkers.run(Checkers.standard(10_000, true), h)) {
            byName.put(v.checker(), v);
        }
        for (String name : CONSENSUS) {
            assertEquals(!name.equals(failing), byName.get(name).passed(), () -> "only " + failing + " should fail: "
                    + byName.get(name));
        }
        return byName.get(failing);
    }

    @Test
    void aSecondLeaderPlantedInARealSimulatedRunIsCaught() {
        History h = simulated().history();
        LeaderObservation led = h.records(LeaderObservation.class).stream().filter(LeaderObservation::isLeader)
                .findFirst().orElseThrow();
        String other = led.node().equals("n1") ? "n2" : "n1";
        h.record(LeaderObservation.class, new LeaderObservation(Long.MAX_VALUE, h.endMs(), other,
                ConsensusRecords.LEADER, led.term(), other));
        Verdict v = onlyFails(h, OneLeaderPerTermChecker.NAME);
        assertTrue(v.violations().getFirst().startsWith("term " + led.term() + ":"), v::toString);
    }

    @Test
    void aSecondPerformanceOrOneWithoutACommittedClaimPlantedInARealSimulatedRunIsCaught() {
        History twice = simulated().history();
        Action done = twice.records(Action.class).getFirst();
        String other = done.node().equals("n1") ? "n2" : "n1";
        twice.record(Action.class, new Action(Long.MAX_VALUE, twice.endMs(), other, done.intentId(), Action.PERFORM,
                done.term(), done.index()));
        assertTrue(onlyFails(twice, IntentsAtMostOnceChecker.NAME).summary().contains("performed more than once"));

        History early = simulated().history();
        AppliedClaim claim = early.records(AppliedClaim.class).getLast();
        // The leader performs an intent under a token no journal ever applied as its claim.
        early.record(Action.class, new Action(claim.order() + 1, claim.atMs(), claim.holder(),
                claim.intentId() + "-unclaimed", Action.PERFORM, claim.term(), claim.index()));
        Verdict v = onlyFails(early, IntentsAtMostOnceChecker.NAME);
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("without a committed claim")), v::toString);
    }

    @Test
    void nodesThatDisagreeOnAnOutcomePlantedInARealSimulatedRunAreCaught() {
        History h = simulated().history();
        IntentsFinal n2 = h.records(IntentsFinal.class).stream().filter(f -> f.node().equals("n2")).findFirst()
                .orElseThrow();
        Map<String, OutcomeSeen> changed = new java.util.TreeMap<>(n2.outcomes());
        Map.Entry<String, OutcomeSeen> first = changed.entrySet().iterator().next();
        OutcomeSeen o = first.getValue();
        changed.put(first.getKey(), new OutcomeSeen("failed", o.performedBy(), o.term(), o.index()));
        // n2's final state, as recorded once more, now shows another outcome for one intent.
        h.record(IntentsFinal.class, new IntentsFinal("n2", true, n2.intents(), changed));
        Verdict v = onlyFails(h, IntentsPerformedChecker.NAME);
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("different outcomes on different nodes")),
                v::toString);
    }
}
