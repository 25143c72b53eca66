package io.agentmesh.sim.run;

import io.agentmesh.sim.check.ConsensusRecords.LeaderObservation;
import io.agentmesh.sim.world.Link;
import io.agentmesh.sim.world.RecordingExecutor.Ledger;
import io.agentmesh.state.Outcome;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A leader that loses leadership in the middle of a job, on the simulator's world (real node cores, Raft, network,
 * disks), with "marked-job" intents, which behave like the node's job executor: a start mark, then the effect, and
 * {@code uncertain} from a later holder that finds the mark. Partitioned away and back before its peers give up on
 * it, the old leader's real result is the outcome; killed, the outcome is {@code uncertain}. A disk stall stands for
 * a loaded machine (the node thread blocks, the leader is deposed without any link cut) and keeps the real result
 * too. None runs the job twice, and every checker passes,
 * including "an intent whose performer stayed up and in reach until its claim was taken over does not end
 * uncertain".
 */
class DeposedLeaderOutcomeTest {
    private static final String INTENT = "marked-1";
    private static final long CUT_MS = 1_000;
    /** Below the failure detector's 2 s silence bound, above the election timeout. */
    private static final long STALL_MS = 1_000;

    /** Requests the job at a follower and runs until the leader has acted on it and not completed it yet. */
    private static SimNode leaderMidJob(Cluster c) {
        SimNode leader = c.awaitStableLeader(5_000);
        String leaderId = c.id(leader).toString();
        c.request((leader.index + 1) % c.nodes().size(), INTENT, SimNode.MARKED_JOB);
        c.runUntil("the leader has acted on the job and not completed it", () -> c.ledger().calls().stream()
                .anyMatch(call -> call.nodeId().equals(leaderId) && call.intentId().equals(INTENT))
                && leader.consensus().journal().entry(INTENT).map(e -> !e.isCompleted()).orElse(false), 5_000);
        return leader;
    }

    private static Set<Link> isolate(Cluster c, int node) {
        Set<Integer> others = new TreeSet<>();
        for (SimNode n : c.nodes()) {
            if (n.index != node) {
                others.add(n.index);
            }
        }
        return Link.between(Set.of(node), others);
    }

    @Test
    void aLeaderPartitionedAwayMidJobAndBackReportsItsRealResultInsteadOfAnUncertainOne() {
        Cluster c = new Cluster(3, 31);
        SimNode old = leaderMidJob(c);
        long oldTerm = old.consensus().term();
        long cutAt = c.nowMs();
        // Long enough to depose it (300 ms without heartbeats), short enough that TCP's first retransmissions after
        // it (200 ms doubling: at 1.4 s) come before the failure detector's 2 s silence bound: its peers count it
        // reachable throughout.
        c.sim.apply(new FaultPlan.Partition(cutAt, CUT_MS, "isolate " + old.name, isolate(c, old.index)));

        c.awaitOutcomesEverywhere(List.of(INTENT), 10_000);
        c.runUntil("every journal completed the job", () -> c.nodes().stream().allMatch(n -> n.consensus().journal()
                .entry(INTENT).map(e -> e.isCompleted()).orElse(false)), 10_000);
        Outcome o = c.nodes().getFirst().outcome(INTENT).orElseThrow();
        assertEquals("succeeded", o.status(), o.toString());
        assertEquals(c.id(old).toString(), o.performedBy(), "the deposed leader's own result");
        assertEquals(oldTerm, o.term());
        assertEquals(1, c.ledger().performs(INTENT));
        assertEquals(0, c.ledger().reconciles(INTENT), "nobody else touched the outside world");
        assertTrue(c.sim.history().records(LeaderObservation.class).stream().anyMatch(l -> l.isLeader()
                && l.term() > oldTerm && l.atMs() < cutAt + CUT_MS), "another node led while it was cut off");
        assertTrue(c.nodes().stream().mapToLong(n -> n.consensus().coordinator().stats().holderWaits()).sum() >= 1,
                "after waiting for it rather than reconciling");
        System.out.printf("%s cut off at %d ms mid-job, back at %d ms; its result was on every node at %d ms%n",
                old.name, cutAt, cutAt + CUT_MS, c.nowMs());
        c.assertOutcomesAgree(List.of(INTENT));
        c.finishAndCheck();
    }

    /**
     * A machine under load, simulated: the leader's disk stalls right after it acted on the job, so its node thread
     * blocks on its next fsync (the completion's Raft append, once the job's result is back) and sends nothing more.
     * Its peers elect another leader, which finds the started claim of a holder still reachable (the stall is shorter
     * than the failure detector's 2 s silence bound) and waits rather than reconciling. The completion had reached the
     * followers before the leader blocked on its own fsync, so the new leader's first commit commits it too: the old
     * leader's real result is the outcome. (Its own answer is lost with the leadership, so it also reports the result
     * through the state, which repeats it.)
     */
    @Test
    void aLeaderWhoseDiskStallsMidJobForLessThanTheFailureDetectorBoundReportsItsRealResult() {
        Cluster c = new Cluster(3, 31);
        SimNode old = leaderMidJob(c);
        long oldTerm = old.consensus().term();
        long stallAt = c.nowMs();
        c.sim.apply(new FaultPlan.Stall(stallAt, old.index, STALL_MS));

        c.awaitOutcomesEverywhere(List.of(INTENT), 10_000);
        c.runUntil("every journal completed the job", () -> c.nodes().stream().allMatch(n -> n.consensus().journal()
                .entry(INTENT).map(e -> e.isCompleted()).orElse(false)), 10_000);
        Outcome o = c.nodes().getFirst().outcome(INTENT).orElseThrow();
        assertEquals("succeeded", o.status(), o.toString());
        assertEquals(c.id(old).toString(), o.performedBy(), "the stalled leader's own result");
        assertEquals(oldTerm, o.term());
        assertEquals(1, c.ledger().performs(INTENT));
        assertEquals(0, c.ledger().reconciles(INTENT), "nobody else touched the outside world");
        assertTrue(c.sim.history().records(LeaderObservation.class).stream().anyMatch(l -> l.isLeader()
                && l.term() > oldTerm && l.atMs() < stallAt + STALL_MS), "another node led while its disk stalled");
        assertTrue(c.nodes().stream().mapToLong(n -> n.consensus().coordinator().stats().holderWaits()).sum() >= 1,
                "the new leader waited for it rather than reconciling");
        System.out.printf("%s's disk stalled at %d ms mid-job for %d ms; its result was on every node at %d ms%n",
                old.name, stallAt, STALL_MS, c.nowMs());
        c.assertOutcomesAgree(List.of(INTENT));
        c.finishAndCheck();
    }

    @Test
    void aLeaderKilledMidJobLeavesAnUncertainOutcomeAndTheJobIsNotRunAgain() {
        Cluster c = new Cluster(3, 31);
        SimNode old = leaderMidJob(c);
        long oldTerm = old.consensus().term();
        long killedAt = c.nowMs();
        c.kill(old.index);

        c.awaitOutcomesEverywhere(List.of(INTENT), 10_000);
        System.out.printf("%s killed at %d ms mid-job; the uncertain outcome was on every running node at %d ms%n",
                old.name, killedAt, c.nowMs());
        Outcome o = c.nodes().get((old.index + 1) % 3).outcome(INTENT).orElseThrow();
        assertEquals("uncertain", o.status(), o.toString());
        assertTrue(o.term() > oldTerm && !o.performedBy().equals(c.id(old).toString()), "under the new leader's"
                + " claim: " + o);
        assertEquals(1, c.ledger().performs(INTENT));
        assertEquals(List.of(Ledger.CallType.PERFORM), c.ledger().calls().stream()
                .filter(call -> call.intentId().equals(INTENT)).map(Ledger.Call::type).toList(),
                "the new leader reconciled without touching the outside world");
        c.assertOutcomesAgree(List.of(INTENT));
        c.finishAndCheck();
    }
}
