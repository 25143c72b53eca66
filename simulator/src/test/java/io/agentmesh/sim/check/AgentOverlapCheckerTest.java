package io.agentmesh.sim.check;

import io.agentmesh.sim.check.AgentRecords.Life;
import io.agentmesh.sim.check.AgentRecords.Pause;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AgentOverlapCheckerTest {
    private static History history(List<Life> lives, List<Pause> pauses, long endMs) {
        History h = new History(List.of("n1", "n2", "n3"));
        lives.forEach(l -> h.record(Life.class, l));
        pauses.forEach(p -> h.record(Pause.class, p));
        h.ended(endMs);
        return h;
    }

    private static Verdict check(History h) {
        return new AgentOverlapChecker().check(h);
    }

    @Test
    void livesThatFollowEachOtherPass() {
        Verdict v = check(history(List.of(new Life("n1", "1.5", 100, 2_000, "watchdog"),
                new Life("n2", "2.9", 2_000, 5_000, "stopped"), new Life("n3", "3.12", 5_100, -1, "")), List.of(),
                9_000));
        assertTrue(v.passed(), v.toString());
    }

    @Test
    void aOneMillisecondOverlapWithoutAPauseFails() {
        Verdict v = check(history(List.of(new Life("n1", "1.5", 100, 2_001, "stopped"),
                new Life("n2", "2.9", 2_000, 5_000, "stopped")), List.of(), 9_000));
        assertFalse(v.passed());
        assertTrue(v.violations().getFirst().contains("for 1 ms (allowed 0 ms"), v.violations().toString());
    }

    @Test
    void aProcessStillRunningAtTheEndOverlapsEveryLaterOne() {
        Verdict v = check(history(List.of(new Life("n1", "1.5", 100, -1, ""),
                new Life("n2", "2.9", 3_000, -1, "")), List.of(), 9_000));
        assertFalse(v.passed());
        assertTrue(v.violations().getFirst().contains("for 6000 ms"), v.violations().toString());
    }

    @Test
    void anOverlapWithinAPauseOfTheOlderLifesNodePasses() {
        Verdict v = check(history(List.of(new Life("n1", "1.5", 100, 2_600, "stopped"),
                new Life("n2", "2.9", 2_000, 5_000, "stopped")), List.of(new Pause("n1", 1_000, 1_700)), 9_000));
        assertTrue(v.passed(), v.toString());
    }

    @Test
    void anOverlapLongerThanThePauseFails() {
        Verdict v = check(history(List.of(new Life("n1", "1.5", 100, 2_800, "stopped"),
                new Life("n2", "2.9", 2_000, 5_000, "stopped")), List.of(new Pause("n1", 1_000, 1_700)), 9_000));
        assertFalse(v.passed());
    }

    @Test
    void aPauseOfTheNewerLifesNodeOrOneBeforeTheOlderLifeAllowsNothing() {
        Verdict v = check(history(List.of(new Life("n1", "1.5", 100, 2_600, "stopped"),
                new Life("n2", "2.9", 2_000, 5_000, "stopped")), List.of(new Pause("n2", 1_000, 1_700),
                new Pause("n1", 0, 90)), 9_000));
        assertFalse(v.passed());
    }

    /** A leader whose paused thread starts under its superseded fence after the next run began: its node's pause counts. */
    @Test
    void theAllowanceIsThePauseOfTheSupersededRunsNodeEvenWhenItStartedSecond() {
        List<Life> lives = List.of(new Life("n3", "12.41", 30_640, -1, ""),
                new Life("n4", "11.36", 30_776, 30_805, "stopped"));
        assertTrue(check(history(lives, List.of(new Pause("n4", 30_000, 30_800)), 40_000)).passed());
        assertFalse(check(history(lives, List.of(new Pause("n3", 30_000, 30_800)), 40_000)).passed());
        assertFalse(check(history(lives, List.of(), 40_000)).passed());
    }

    /**
     * Seed 44 (5 nodes, 30 s, --agent): n4's disk stalls from 29,375 to 30,753 ms while it leads term 11 with fence
     * 11.36 waiting its start bound; n3 is elected in term 12 and starts 12.41 at 30,640. When n4's thread resumes at
     * 30,753 its agent runner's overdue wake runs before its Raft step-down check and starts 11.36; the process comes
     * up 23 ms later, after the pause has ended. That pause is what held n4's step-down: it counts.
     */
    @Test
    void aPauseThatEndsJustBeforeTheSupersededRunsLateSpawnCounts() {
        List<Life> lives = List.of(new Life("n3", "12.41", 30_640, -1, ""),
                new Life("n4", "11.36", 30_776, 30_805, "stopped"));
        Verdict v = check(history(lives, List.of(new Pause("n4", 29_375, 30_753)), 40_000));
        assertTrue(v.passed(), v.toString());
        // A pause of the stale node that was over before either life started explains nothing.
        assertFalse(check(history(lives, List.of(new Pause("n4", 29_000, 30_600)), 40_000)).passed());
    }
}
