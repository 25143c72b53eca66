package io.agentmesh.sim.run;

import io.agentmesh.sim.check.AcknowledgedWritesChecker;
import io.agentmesh.sim.check.ConvergenceChecker;
import io.agentmesh.sim.check.VotersFollowEnrollmentChecker;
import io.agentmesh.sim.check.IntentsAtMostOnceChecker;
import io.agentmesh.sim.check.MajorityDurableChecker;
import io.agentmesh.sim.check.NoRejectedChangesChecker;
import io.agentmesh.sim.check.NoSeqReuseChecker;
import io.agentmesh.sim.check.Verdict;
import io.agentmesh.sim.check.WitnessNeverLeadsChecker;
import io.agentmesh.sim.world.Link;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each checker can fail: a bug planted in the simulator's wrappers (never in production code), on node n1 unless
 * the bug says otherwise, makes exactly the checker that guards against it fail, while the same scenario without the
 * bug passes.
 */
class PlantedBugsTest {
    private static final Set<Integer> N1 = Set.of(0);
    private static final Set<Integer> OTHERS = Set.of(1, 2, 3, 4);

    /** A short, busy run with a hand-written fault plan. */
    private static SimConfig scenario(long seed, long durationMs, FaultPlan plan) {
        return SimConfig.of(5, seed, durationMs, EnumSet.noneOf(FaultKind.class)).withRates(40, 10).withScript(plan);
    }

    private static FaultPlan.Partition isolateN1(long atMs, long durationMs) {
        return new FaultPlan.Partition(atMs, durationMs, "isolate n1", Link.between(N1, OTHERS));
    }

    private static Verdict verdict(SimResult r, String checker) {
        return r.verdicts().stream().filter(v -> v.checker().equals(checker)).findFirst().orElseThrow();
    }

    /** Runs the scenario with {@code bug} planted, then without; returns the run with the bug. */
    private static SimResult assertCaught(SimConfig config, PlantedBug bug, String checker) {
        SimResult withBug = Simulation.run(config.withBugs(EnumSet.of(bug)));
        SimResult without = Simulation.run(config);
        assertFalse(verdict(withBug, checker).passed(), () -> checker + " missed the planted bug; verdicts: "
                + withBug.verdicts() + "\nreplay: " + withBug.replayCommand());
        assertTrue(without.passed(), () -> "the same scenario without the bug failed: " + without.failures());
        return withBug;
    }

    @Test
    void aStoreThatAcknowledgesBeforeFsyncLosesAcknowledgedWritesInACrash() {
        // n1 is cut off (its peers cannot have its writes), acknowledges writes it has not made durable, then dies.
        FaultPlan plan = new FaultPlan(List.of(), List.of(isolateN1(2_000, 5_000),
                new FaultPlan.Crash(5_500, 0, 500)));
        SimConfig config = scenario(11, 8_000, plan);
        assertCaught(config, PlantedBug.ACK_BEFORE_FSYNC, AcknowledgedWritesChecker.NAME);
    }

    @Test
    void aNodeWithoutAntiEntropyNeverRepairsPushesItMissedAndDoesNotConverge() {
        SimConfig config = scenario(12, 6_000, FaultPlan.none());
        assertCaught(config, PlantedBug.NO_ANTI_ENTROPY, ConvergenceChecker.NAME);
    }

    @Test
    void aNodeThatLosesItsDiskButKeepsItsIncarnationReusesSequenceNumbers() {
        // n1 writes, dies, comes back with an empty disk under the same actor while cut off, and writes again.
        FaultPlan plan = new FaultPlan(List.of(), List.of(new FaultPlan.Crash(3_000, 0, 300),
                isolateN1(3_000, 3_000)));
        SimConfig config = scenario(13, 8_000, plan);
        assertCaught(config, PlantedBug.AMNESIA_RESTART, NoSeqReuseChecker.NAME);
    }

    @Test
    void aNodeThatAnswersMajorityWritesOnceTheyAreDurableOnItAloneIsCaught() {
        SimConfig config = scenario(17, 6_000, FaultPlan.none());
        SimResult buggy = assertCaught(config, PlantedBug.MAJORITY_ACK_AFTER_LOCAL, MajorityDurableChecker.NAME);
        assertTrue(verdict(buggy, MajorityDurableChecker.NAME).violations().getFirst()
                .contains("acknowledged as majority-durable by n1"), () -> verdict(buggy,
                MajorityDurableChecker.NAME).toString());
    }

    @Test
    void aCatchUpThatReportsDoneWithoutWaitingIsCaughtWhileTheRealOneTimesOutInTheMinority() {
        for (boolean planted : new boolean[]{true, false}) {
            SimConfig config = Cluster.quiet(3, 19);
            Cluster c = new Cluster(planted ? config.withBugs(EnumSet.of(PlantedBug.CATCH_UP_WITHOUT_WAITING))
                    : config, 200);
            c.awaitStableLeader(30_000);
            c.sim.apply(new FaultPlan.Partition(c.nowMs(), 30_000, "isolate n1", Link.between(N1, Set.of(1, 2))));
            for (int i = 0; i < 5; i++) {
                SimNode writer = c.node(1 + i % 2);
                String id = "m" + i;
                c.await("majority write " + i, writer.write("write " + id, "memory", id,
                        io.agentmesh.node.replication.Durability.MAJORITY,
                        s -> s.appendMemory(writer.memoryEntry(id, 1))));
            }
            var catchUp = c.node(0).catchUp();
            c.runUntil("n1's catch-up ends", catchUp::isDone, SimNode.CATCH_UP_TIMEOUT_MS + 1_000);
            Verdict v = new MajorityDurableChecker().check(c.sim.history());
            if (planted) {
                assertFalse(v.passed(), v::toString);
                assertTrue(v.violations().getFirst().contains("catch-up on n1"), v::toString);
            } else {
                assertTrue(catchUp.isCompletedExceptionally(), "a minority cannot catch up from a majority");
                assertTrue(v.passed(), v::toString);
            }
        }
    }

    @Test
    void anExecutorThatPerformsEachIntentTwiceIsCaught() {
        SimConfig config = scenario(15, 6_000, FaultPlan.none()).withIntentRate(3);
        SimResult buggy = assertCaught(config, PlantedBug.DOUBLE_PERFORM, IntentsAtMostOnceChecker.NAME);
        assertTrue(verdict(buggy, IntentsAtMostOnceChecker.NAME).summary().contains("performed more than once"));
        assertTrue(buggy.figures().intents().doublePerformances() > 0);
    }

    @Test
    void aNodeThatPerformsWithoutAClaimIsCaught() {
        // n1 performs the intents requested at it at once; the leader performs them again later, under its claim.
        SimConfig config = scenario(16, 6_000, FaultPlan.none()).withIntentRate(3);
        SimResult buggy = assertCaught(config, PlantedBug.UNCLAIMED_PERFORM, IntentsAtMostOnceChecker.NAME);
        assertTrue(verdict(buggy, IntentsAtMostOnceChecker.NAME).violations().stream()
                .anyMatch(v -> v.startsWith("n1 called perform") && v.contains("without a committed claim")),
                () -> verdict(buggy, IntentsAtMostOnceChecker.NAME).violations().toString());
    }

    @Test
    void votersThatNeverHearWhichGroupToJoinAreNeverAddedAndTheVotersStopFollowingEnrollment() {
        // Three of five voters found the group; the other two must ask a member which group to join.
        SimConfig config = scenario(18, 6_000, FaultPlan.none()).withFounders(3);
        SimResult buggy = assertCaught(config, PlantedBug.GROUP_ANSWERS_LOST, VotersFollowEnrollmentChecker.NAME);
        assertTrue(verdict(buggy, VotersFollowEnrollmentChecker.NAME).violations().stream()
                .anyMatch(v -> v.contains("ends with voters [n")), () -> verdict(buggy,
                VotersFollowEnrollmentChecker.NAME).violations().toString());
    }

    @Test
    void aWitnessThatRunsAsAVoterStandsForElectionAndIsCaught() {
        // Two servers and a witness; each server is killed in turn, so the witness's process (which believes it is a
        // voter) asks for votes while the other server asks too.
        FaultPlan plan = new FaultPlan(List.of(), List.of(new FaultPlan.Crash(2_000, 0, 1_500),
                new FaultPlan.Crash(5_000, 1, 1_500)));
        SimConfig config = SimConfig.of(3, 19, 8_000, EnumSet.noneOf(FaultKind.class)).withRates(20, 5)
                .withIntentRate(2).withWitness(true).withScript(plan);
        SimResult buggy = assertCaught(config, PlantedBug.WITNESS_CAMPAIGNS, WitnessNeverLeadsChecker.NAME);
        assertTrue(verdict(buggy, WitnessNeverLeadsChecker.NAME).violations().stream()
                .anyMatch(v -> v.startsWith("witness n3 was candidate")), () -> verdict(buggy,
                WitnessNeverLeadsChecker.NAME).violations().toString());
    }

    @Test
    void aLinkThatCorruptsSignaturesMakesHonestNodesRejectChanges() {
        SimConfig config = scenario(14, 4_000, FaultPlan.none());
        assertCaught(config, PlantedBug.CORRUPT_SIGNATURES, NoRejectedChangesChecker.NAME);
    }
}
