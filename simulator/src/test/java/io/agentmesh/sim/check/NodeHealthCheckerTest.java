package io.agentmesh.sim.check;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The consensus library's ERRORs fail node-health, simulated or live, unless listed as proven harmless. */
class NodeHealthCheckerTest {
    private static final String DECREMENT = "io.microraft.impl.handler.AppendEntriesFailureResponseHandler: n1<g>"
            + " Cannot decrement next index: 16 below match index: 16 for follower: n2";

    private static History with(History.Problem... problems) {
        History h = new History(List.of("n1", "n2"));
        for (History.Problem p : problems) {
            h.problem(p);
        }
        return h;
    }

    @Test
    void aLibraryErrorInASimulatedOrALiveRunFailsTheCheck() {
        Verdict simulated = new NodeHealthChecker().check(with(
                new History.Problem(2_500, "n1", NodeHealthChecker.LIBRARY_ERROR, DECREMENT)));
        assertFalse(simulated.passed());
        assertTrue(simulated.summary().contains("Cannot decrement"), simulated.summary());
        Verdict live = new NodeHealthChecker().check(with(new History.Problem(2_500, "n1",
                NodeHealthChecker.LOG_ERROR, "AppendEntriesFailureResponseHandler - n1<g> Cannot decrement")));
        assertFalse(live.passed());
        assertTrue(new NodeHealthChecker().check(with()).passed());
    }

    @Test
    void aListedHarmlessErrorIsCountedNotFailedAndNothingElseIsExcused() {
        List<KnownLibraryErrors.Known> known = List.of(new KnownLibraryErrors.Known("Cannot decrement next index",
                "a reason"));
        Verdict explained = new NodeHealthChecker(known).check(with(
                new History.Problem(2_500, "n1", NodeHealthChecker.LIBRARY_ERROR, DECREMENT),
                new History.Problem(2_600, "n1", NodeHealthChecker.LOG_ERROR, DECREMENT)));
        assertTrue(explained.passed(), explained.summary());
        assertTrue(explained.summary().contains("{Cannot decrement next index=2}"), explained.summary());

        Verdict other = new NodeHealthChecker(known).check(with(
                new History.Problem(2_500, "n1", NodeHealthChecker.LIBRARY_ERROR, DECREMENT),
                new History.Problem(2_700, "n2", NodeHealthChecker.LIBRARY_ERROR, "io.microraft.Other: boom")));
        assertFalse(other.passed());
        // Only library lines are excused: the same text as an exception is a problem.
        assertFalse(new NodeHealthChecker(known).check(with(
                new History.Problem(2_500, "n1", "exception", DECREMENT))).passed());
    }
}
