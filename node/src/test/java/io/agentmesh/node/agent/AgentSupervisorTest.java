package io.agentmesh.node.agent;

import io.agentmesh.node.actions.AgentFence;
import io.agentmesh.node.actions.AgentRunResult;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.agent.AgentSupervisor.Decision;
import io.agentmesh.node.agent.AgentSupervisor.State;
import io.agentmesh.node.membership.Backoff;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentSupervisorTest {
    private static final String SELF = "node-a";
    private static final long GRACE_MS = 500;
    /** P = 100 ms, margin 200 ms: a previous run with a 500 ms grace means an 800 ms wait. */
    private static final StartBound BOUND = new StartBound(100, 200);
    private static final AgentSupervisor.Policy POLICY = new AgentSupervisor.Policy(GRACE_MS, 5, 60_000, 300_000,
            new Backoff(250, 10_000), 5_000, 250);

    private final AgentSupervisor sup = new AgentSupervisor(SELF, POLICY, BOUND, new Random(7));
    private long index = 100;

    private static <T extends Decision> T only(Class<T> type, List<Decision> decisions) {
        List<Decision> matching = decisions.stream().filter(type::isInstance).toList();
        assertEquals(1, matching.size(), "expected one " + type.getSimpleName() + " in " + decisions);
        return type.cast(matching.get(0));
    }

    private static boolean none(Class<? extends Decision> type, List<Decision> decisions) {
        return decisions.stream().noneMatch(type::isInstance);
    }

    private AgentRunResult.Started started(long term, AgentFence previous) {
        return new AgentRunResult.Started(new AgentFence(SELF, new FencingToken(term, ++index), GRACE_MS), previous);
    }

    private static AgentFence other(long term, long idx, long graceMs) {
        return new AgentFence("node-b", new FencingToken(term, idx), graceMs);
    }

    /** Leads in {@code term} at {@code now}, catches up and fences; returns the Start if one came at once. */
    private List<Decision> leadCatchUpAndFence(long term, long now, AgentFence previous) {
        List<Decision> all = new ArrayList<>(sup.leadership(true, term, now));
        only(Decision.CatchUp.class, all);
        // The fence waits for the catch-up: the run carries over the previous run's requests this node holds.
        assertTrue(none(Decision.CommitFence.class, all), "no fence before the catch-up: " + all);
        assertTrue(none(Decision.CommitFence.class, sup.tick(now, null)));
        List<Decision> caught = sup.caughtUp(term, true, now);
        Decision.CommitFence f = only(Decision.CommitFence.class, caught);
        assertEquals(GRACE_MS, f.stopGraceMs());
        all.addAll(caught);
        all.addAll(sup.fenced(term, started(term, previous), now));
        return all;
    }

    @Test
    void aFollowerNeverStartsAndWaitsForLeadership() {
        for (long t = 0; t < 10_000; t += 100) {
            assertTrue(sup.leadership(false, 3, t).isEmpty());
            assertTrue(sup.tick(t, null).isEmpty());
        }
        assertEquals(State.WAITING_FOR_LEADERSHIP, sup.state(10_000));
        assertTrue(sup.nextWakeMs().isEmpty());
    }

    @Test
    void theFirstRunEverStartsOnceCaughtUpAndFencedWithoutWaiting() {
        List<Decision> d = sup.leadership(true, 3, 1_000);
        assertEquals(State.CATCHING_UP, sup.state(1_000));
        assertTrue(none(Decision.Start.class, d));
        d = sup.caughtUp(3, true, 1_010);
        assertEquals(State.FENCING, sup.state(1_010));
        assertTrue(none(Decision.Start.class, d));
        AgentRunResult.Started fence = started(3, null);
        Decision.Start s = only(Decision.Start.class, sup.fenced(3, fence, 1_020));
        assertEquals(fence.fence(), s.fence());
        assertEquals(State.STARTING, sup.state(1_020));
        sup.started(1_030);
        assertEquals(State.RUNNING, sup.state(1_030));
        assertEquals(fence.fence(), sup.runningFence());
    }

    @Test
    void noStartBeforeCatchUpEvenWhenFenced() {
        sup.leadership(true, 3, 0);
        assertTrue(none(Decision.Start.class, sup.fenced(3, started(3, null), 10)));
        assertTrue(none(Decision.Start.class, sup.tick(5_000, null)));
        assertEquals(State.CATCHING_UP, sup.state(5_000));
        only(Decision.Start.class, sup.caughtUp(3, true, 5_001));
    }

    @Test
    void afterAnotherNodesRunItWaitsHeartbeatPlusThatNodesGracePlusMarginFromItsElection() {
        AgentFence previous = other(2, 50, 1_000); // that node let its agent take 1 s after SIGTERM
        List<Decision> d = leadCatchUpAndFence(3, 10_000, previous);
        assertTrue(none(Decision.Start.class, d));
        assertEquals(State.WAITING_BOUND, sup.state(10_050));
        long expected = 10_000 + 100 + 1_000 + 200;
        assertEquals(expected, sup.nextWakeMs().orElseThrow());
        assertTrue(none(Decision.Start.class, sup.tick(expected - 1, null)));
        only(Decision.Start.class, sup.tick(expected, null));
    }

    @Test
    void theBoundCountsFromTheElectionNotFromTheFence() {
        sup.leadership(true, 3, 10_000);
        sup.caughtUp(3, true, 10_000);
        // The fence commit took 700 ms; only 100 ms of the 800 ms bound remain.
        assertTrue(none(Decision.Start.class, sup.fenced(3, started(3, other(2, 50, 500)), 10_700)));
        assertEquals(10_800, sup.nextWakeMs().orElseThrow());
        only(Decision.Start.class, sup.tick(10_800, null));
    }

    @Test
    void steppingDownStopsTheProcessAndNothingStartsUntilItIsGone() {
        leadCatchUpAndFence(3, 0, null);
        sup.started(1);
        Decision.Stop stop = only(Decision.Stop.class, sup.leadership(false, 4, 500));
        assertTrue(stop.reason().contains("stopped leading"), stop.reason());
        assertEquals(State.STOPPING, sup.state(500));
        // Leader again before the old process is gone: catch-up and fence, but no start.
        List<Decision> d = leadCatchUpAndFence(5, 600, sup.runningFence());
        assertTrue(none(Decision.Start.class, d));
        assertTrue(none(Decision.Start.class, sup.tick(5_000, null)));
        assertEquals(State.STOPPING, sup.state(5_000));
        // The old group is gone, and the bound from the election (600 + 800 ms) has long passed.
        only(Decision.Start.class, sup.exited(143, 5_001));
        assertEquals(0, sup.restarts(), "a stop asked for is not a crash");
    }

    @Test
    void aNewTermWhileRunningStopsTheOldRunAndStartsWithANewFence() {
        leadCatchUpAndFence(3, 0, null);
        sup.started(1);
        AgentFence first = sup.runningFence();
        List<Decision> d = sup.leadership(true, 4, 100);
        only(Decision.Stop.class, d);
        only(Decision.CatchUp.class, d);
        only(Decision.CommitFence.class, sup.caughtUp(4, true, 110));
        sup.fenced(4, started(4, first), 120);
        // Its own run, but still stopping when the fence committed: the bound from the election applies.
        assertTrue(none(Decision.Start.class, sup.exited(143, 130)));
        assertEquals(900, sup.nextWakeMs().orElseThrow());
        Decision.Start s = only(Decision.Start.class, sup.tick(900, null));
        assertNotEquals(first, s.fence());
        assertEquals(4, s.term());
    }

    @Test
    void afterItsOwnRunIsGoneALeaderStartsAgainWithoutTheBound() {
        leadCatchUpAndFence(3, 0, null);
        sup.started(1);
        AgentFence first = sup.runningFence();
        only(Decision.Stop.class, sup.leadership(false, 4, 100));
        sup.exited(143, 200);
        assertEquals(State.WAITING_FOR_LEADERSHIP, sup.state(200));
        sup.leadership(true, 6, 1_000);
        sup.caughtUp(6, true, 1_000);
        only(Decision.Start.class, sup.fenced(6, started(6, first), 1_010));
    }

    @Test
    void resultsOfAnEarlierTermAreIgnored() {
        sup.leadership(true, 3, 0);
        sup.leadership(false, 4, 10);
        sup.leadership(true, 5, 20);
        assertTrue(none(Decision.Start.class, sup.caughtUp(3, true, 30)));
        assertTrue(none(Decision.Start.class, sup.fenced(3, started(3, null), 40)));
        assertEquals(State.CATCHING_UP, sup.state(40));
        sup.caughtUp(5, true, 50);
        assertEquals(State.FENCING, sup.state(50));
    }

    @Test
    void aFailedCatchUpOrFenceIsTriedAgainAfterTheRetryDelay() {
        sup.leadership(true, 3, 0);
        assertTrue(sup.caughtUp(3, false, 100).isEmpty());
        assertEquals(350, sup.nextWakeMs().orElseThrow());
        only(Decision.CatchUp.class, sup.tick(350, null));
        sup.caughtUp(3, true, 360);
        assertTrue(sup.fenceFailed(3, 400).isEmpty());
        assertEquals(650, sup.nextWakeMs().orElseThrow());
        only(Decision.CommitFence.class, sup.tick(650, null));
    }

    @Test
    void aCrashRestartsAfterABackoffWithAFreshFenceEachRun() {
        leadCatchUpAndFence(3, 0, null);
        sup.started(1);
        AgentFence first = sup.runningFence();
        List<Decision> d = sup.exited(1, 1_000);
        assertTrue(none(Decision.Start.class, d), "no restart without a fresh fence");
        assertEquals(1, sup.restarts());
        assertEquals(1, sup.lastExitCode());
        // Full jitter: the first retry waits 0..250 ms, then a new fence is committed for the new run.
        long wake = sup.nextWakeMs().orElse(1_000);
        assertTrue(wake >= 1_000 && wake <= 1_250, "wake at " + wake);
        List<Decision> after = new ArrayList<>(d);
        after.addAll(sup.tick(1_250, null));
        only(Decision.CommitFence.class, after);
        Decision.Start s = only(Decision.Start.class, sup.fenced(3, started(3, first), 1_260));
        assertNotEquals(first, s.fence());
    }

    @Test
    void fiveExitsWithinAMinuteAreACrashLoopThatHandsLeadershipOverOnceAndStopsTrying() {
        long now = 0;
        leadCatchUpAndFence(3, now, null);
        sup.started(now);
        List<Decision> last = List.of();
        for (int exit = 1; exit <= 5; exit++) {
            now += 2_000;
            last = sup.exited(2, now);
            if (exit < 5) {
                assertTrue(none(Decision.HandOver.class, last), "exit " + exit);
                now += 10_000;
                List<Decision> d = new ArrayList<>(last);
                d.addAll(sup.tick(now, null));
                only(Decision.CommitFence.class, d);
                AgentFence previous = sup.runningFence();
                only(Decision.Start.class, sup.fenced(3, started(3, previous), now));
                sup.started(now);
            }
        }
        Decision.HandOver h = only(Decision.HandOver.class, last);
        assertTrue(h.reason().contains("5 times within 60 s"), h.reason());
        assertEquals(State.CRASH_LOOP, sup.state(now));
        assertTrue(sup.crashLoopReason().contains("last exit code 2"));
        // Still leading (no other voter took over): nothing starts during the pause, and no second hand-over.
        for (long t = now; t < now + 300_000; t += 1_000) {
            List<Decision> d = sup.tick(t, null);
            assertTrue(d.isEmpty(), "at " + t + ": " + d);
        }
        // After the pause it tries again.
        only(Decision.CommitFence.class, sup.tick(now + 300_000, null));
    }

    @Test
    void exitsSpreadWiderThanTheWindowAreNoCrashLoop() {
        long now = 0;
        leadCatchUpAndFence(3, now, null);
        sup.started(now);
        for (int exit = 1; exit <= 12; exit++) {
            now += 15_000; // four exits per minute at most
            assertTrue(none(Decision.HandOver.class, sup.exited(0, now)));
            now += 10_000;
            sup.tick(now, null);
            only(Decision.Start.class, sup.fenced(3, started(3, sup.runningFence()), now));
            sup.started(now);
        }
        assertEquals(State.RUNNING, sup.state(now));
        assertEquals(12, sup.restarts());
    }

    @Test
    void aStartThatFailsCountsAsAnExitSoABrokenCommandEndsInACrashLoop() {
        long now = 0;
        leadCatchUpAndFence(3, now, null);
        boolean handedOver = false;
        for (int i = 0; i < 5 && !handedOver; i++) {
            List<Decision> d = sup.startFailed(now);
            handedOver = !none(Decision.HandOver.class, d);
            now += 10_001;
            sup.tick(now, null);
            sup.fenced(3, started(3, null), now);
        }
        assertTrue(handedOver);
        assertEquals(-1, sup.lastExitCode());
        assertEquals(State.CRASH_LOOP, sup.state(now));
    }

    @Test
    void aNewerFenceFromAnotherNodeStopsTheRunningProcess() {
        leadCatchUpAndFence(3, 0, null);
        sup.started(1);
        AgentFence mine = sup.runningFence();
        assertTrue(sup.tick(100, mine).isEmpty(), "its own fence is no reason to stop");
        Decision.Stop s = only(Decision.Stop.class, sup.tick(200, other(4, mine.token().index() + 5, 500)));
        assertTrue(s.reason().contains("newer agent run"), s.reason());
    }

    @Test
    void shutdownStopsTheProcessAndNothingStartsAfterwards() {
        leadCatchUpAndFence(3, 0, null);
        sup.started(1);
        only(Decision.Stop.class, sup.shutdown(10));
        assertTrue(sup.exited(143, 20).isEmpty());
        assertTrue(sup.leadership(true, 9, 30).isEmpty());
        assertTrue(sup.tick(100_000, null).isEmpty());
        assertEquals(State.IDLE, sup.state(100_000));
    }

    @Test
    void anExitDuringStartingIsACrashAndALateStartedReportIsIgnored() {
        leadCatchUpAndFence(3, 0, null);
        sup.exited(127, 5); // exited before the start was reported
        sup.started(6);
        assertNotEquals(State.RUNNING, sup.state(6));
        assertEquals(1, sup.restarts());
    }

    /**
     * Random inputs in random order: whatever happens, a Start comes only while leading with a catch-up and a fence
     * of that very term, never while a process is alive, never twice with one fence; and the wake-up is never in the
     * past after a decision (the runner would spin).
     */
    @Test
    void randomInputsNeverBreakTheStartRules() {
        for (int seed = 0; seed < 200; seed++) {
            Random r = new Random(seed);
            AgentSupervisor s = new AgentSupervisor(SELF, POLICY, BOUND, new Random(seed));
            long now = 0;
            boolean leads = false;
            long term = 1;
            boolean alive = false;
            java.util.Set<AgentFence> used = new java.util.HashSet<>();
            java.util.Set<Long> caughtUpTerms = new java.util.HashSet<>();
            java.util.Set<Long> fencedTerms = new java.util.HashSet<>();
            for (int step = 0; step < 400; step++) {
                now += r.nextInt(300);
                List<Decision> d;
                switch (r.nextInt(7)) {
                    case 0 -> {
                        if (r.nextBoolean()) {
                            term++;
                        }
                        leads = r.nextBoolean();
                        d = s.leadership(leads, term, now);
                    }
                    case 1 -> {
                        boolean ok = r.nextBoolean();
                        if (ok && leads) {
                            caughtUpTerms.add(term);
                        }
                        d = s.caughtUp(term, ok, now);
                    }
                    case 2 -> {
                        if (leads) {
                            fencedTerms.add(term);
                        }
                        d = s.fenced(term, new AgentRunResult.Started(new AgentFence(SELF,
                                new FencingToken(term, 1_000 + step), GRACE_MS), null), now);
                    }
                    case 3 -> {
                        d = s.started(now);
                    }
                    case 4 -> {
                        alive = false;
                        d = s.exited(r.nextInt(3), now);
                    }
                    default -> d = s.tick(now, null);
                }
                for (Decision x : d) {
                    if (x instanceof Decision.Start st) {
                        assertTrue(leads, "seed " + seed + " step " + step + ": started while not leading");
                        assertEquals(term, st.term());
                        assertTrue(caughtUpTerms.contains(term) && fencedTerms.contains(term),
                                "seed " + seed + " step " + step + ": started without catch-up and fence");
                        assertFalse(alive, "seed " + seed + " step " + step + ": started over a live process");
                        assertTrue(used.add(st.fence()), "a fence is used for one run only");
                        alive = true;
                    }
                }
            }
        }
    }

    @Test
    void afterADecisionTheNextWakeIsInTheFuture() {
        Random r = new Random(42);
        long now = 0;
        sup.leadership(true, 3, now);
        for (int step = 0; step < 1_000; step++) {
            now += r.nextInt(200);
            switch (r.nextInt(4)) {
                case 0 -> sup.caughtUp(3, r.nextBoolean(), now);
                case 1 -> sup.fenceFailed(3, now);
                case 2 -> sup.exited(1, now);
                default -> sup.tick(now, null);
            }
            long at = now;
            sup.nextWakeMs().ifPresent(w -> assertTrue(w > at, "wake " + w + " is not after " + at));
        }
    }
}
