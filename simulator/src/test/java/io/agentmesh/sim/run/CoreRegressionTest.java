package io.agentmesh.sim.run;

import io.agentmesh.sim.world.Link;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs that broke the node core before it was fixed (a snapshot skipping changes that waited for dependencies;
 * certificates arriving after a member's changes; elections MicroRaft 0.7 never finished; its leader trusting an
 * answer from an earlier term), kept as regressions.
 */
class CoreRegressionTest {
    private static void assertPasses(SimConfig config) {
        SimResult r = Simulation.run(config);
        assertTrue(r.passed(), () -> r.failures() + "\n  replay: " + r.replayCommand());
    }

    @Test
    void aNodeThatSnapshotsWhileChangesWaitForDependenciesRestartsWithAllOfThem() {
        // n3 cannot hear n2, so n1's changes (which depend on n2's) reach n3 before n2's do and wait there; n3
        // snapshots after each change, then crashes. Snapshotting at the store's change count then lost
        // the waiting changes at the restart (and every later write of n3 failed: "produced seq X after Y").
        FaultPlan plan = new FaultPlan(List.of(), List.of(
                new FaultPlan.Partition(500, 8_500, "cut link n2-n3", Link.between(Set.of(1), Set.of(2))),
                new FaultPlan.Crash(6_000, 2, 500)));
        assertPasses(SimConfig.of(3, 21, 9_000, EnumSet.noneOf(FaultKind.class)).withRates(40, 5)
                .withSnapshotEvery(1).withScript(plan));
    }

    @Test
    void changesRelayedFromAMemberTheNodeHasNotMetAreAccepted() {
        // Restarts and partitions leave nodes that get a member's changes through a peer before its certificate;
        // they used to reject them as from an unenrolled signer (and drop the peer after 16).
        assertPasses(SimConfig.of(5, 5074, 25_000, FaultKind.ALL).withRates(3, 5));
    }

    @Test
    void twoVotersElectALeaderAfterOneOfThemInflatedItsTermWhileCutOff() {
        // n2 keeps raising its term while cut off as a candidate (MicroRaft retries elections without a pre-vote) and
        // comes back at term 86 with an older log than n1 (term 39). Each refused the other's pre-vote (n1's log is
        // newer, n2's term is bigger) and MicroRaft ignored the term in a refusal: no leader after the final heal,
        // 13 intents never performed. Now n1 moves up to the term a refusal carries.
        assertPasses(SimConfig.of(2, 304, 30_000, FaultKind.ALL));
    }

    @Test
    void theSurvivorsOfAKilledLeaderElectANewOneAfterAQuietBoot() {
        // With this seed both followers of the first leader used to start a pre-vote that the leader's first
        // heartbeat overtook (1 in the first 3,000 seeds of a quiet 3-node boot). MicroRaft keeps that pre-vote's
        // state while a leader of the same term is known, and then never acts on the leader's silence: killed, it
        // stayed the leader both survivors named, for good (ElectionLiveness drops it). Since a voter restarts its
        // leader timer when it votes (ElectionLiveness), no seed of the first 6,000 boots reaches that state any
        // more; ElectionLivenessTest drives a member into it by hand. This seed still checks the kill that follows.
        Cluster c = new Cluster(3, 2248);
        SimNode leader = c.awaitStableLeader(5_000);
        c.runFor(50);
        long term = leader.consensus().term();
        c.kill(leader.index);
        long electedMs = c.runUntil("a leader in a later term", () -> c.leader()
                .map(l -> l.consensus().term() > term).orElse(false), 5_000);
        assertTrue(electedMs < 1_000, "elected " + electedMs + " ms after the kill");
        c.finishAndCheck();
    }

    @Test
    void aLeaderIgnoresAFollowersAnswerToARequestOfAnEarlierTerm() {
        // n3's answers to n1's requests of term 68 sat in a connection stalled by a partition and arrived when n1
        // led term 117. MicroRaft took a success from term 68 as a match in term 117, so n1 could not step back to
        // what n3 lacked and logged "Cannot decrement next index: 25 below match index: 25" (a library ERROR, which
        // fails node-health) instead of bringing n3 up to date.
        assertPasses(SimConfig.of(5, 100716, 30_000, FaultKind.ALL));
    }
}
