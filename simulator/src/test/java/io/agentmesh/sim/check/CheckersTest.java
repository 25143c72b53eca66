package io.agentmesh.sim.check;

import io.agentmesh.protocol.change.ActorId;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Each checker on hand-made histories: it passes a good one and fails the one that breaks its property. */
class CheckersTest {
    private static final ActorId A = new ActorId(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
    private static final Map<String, Long> VECTOR = Map.of(A.hex(), 2L);

    private static History.NodeFinal node(String name, List<String> heads, Map<String, Long> vector,
                                          Set<String> memory, long rejected) {
        return new History.NodeFinal(name, true, heads, "view-" + heads, vector, memory, Set.of("task-1"),
                "[w3] ", 0, rejected);
    }

    /** Two nodes that agree, one acknowledged memory write, converged 500 ms after the heal. */
    private static History good() {
        History h = new History(List.of("n1", "n2"));
        h.writeInvoked("w1", "n1", "memory", "m-1", 100);
        h.writeAcknowledged("w1", 102, A, 1);
        h.writeInvoked("w2", "n1", "task", "task-1", 200);
        h.writeAcknowledged("w2", 203, A, 2);
        h.writeInvoked("w3", "n2", "memory", "m-3", 300);
        h.writeFailed("w3", 301, "node down");
        h.read("n1", 250, "task-1", true);
        h.finalHeal(1_000);
        h.converged(1_500);
        h.ended(2_500);
        h.nodeFinal(node("n1", List.of("aa"), VECTOR, Set.of("m-1"), 0));
        h.nodeFinal(node("n2", List.of("aa"), VECTOR, Set.of("m-1"), 0));
        h.ledger().observe(A, 1, new byte[]{1}, "wire n1->n2", 105);
        h.ledger().observe(A, 1, new byte[]{1}, "store n2", 106);
        return h;
    }

    @Test
    void aConsistentHistoryPassesEveryStandardChecker() {
        List<Verdict> verdicts = Checkers.run(Checkers.standard(1_000), good());
        assertTrue(Checkers.allPassed(verdicts), verdicts::toString);
        assertEquals(6, verdicts.size());
    }

    @Test
    void convergenceFailsWhenNodesDisagreeOrTakeTooLong() {
        History split = good();
        split.nodeFinal(node("n2", List.of("bb"), VECTOR, Set.of("m-1"), 0));
        Verdict v = new ConvergenceChecker(1_000).check(split);
        assertFalse(v.passed());
        assertTrue(v.violations().stream().anyMatch(x -> x.contains("heads")));

        assertFalse(new ConvergenceChecker(100).check(good()).passed(), "500 ms is over a 100 ms bound");

        History never = new History(List.of("n1"));
        never.finalHeal(1_000);
        never.ended(30_000);
        never.nodeFinal(node("n1", List.of("aa"), VECTOR, Set.of(), 0));
        assertFalse(new ConvergenceChecker(1_000).check(never).passed());
    }

    @Test
    void aLostAcknowledgedWriteIsReportedWithTheNodesMissingIt() {
        History h = good();
        h.nodeFinal(node("n2", List.of("aa"), Map.of(A.hex(), 1L), Set.of(), 0));
        Verdict v = new AcknowledgedWritesChecker().check(h);
        assertFalse(v.passed());
        assertEquals("2 of 2 acknowledged writes lost", v.summary());
        assertTrue(v.violations().getFirst().contains("missing on n2"));
    }

    @Test
    void anUnacknowledgedWriteMayBeLost() {
        History h = good();
        h.writeInvoked("w9", "n1", "memory", "m-9", 400); // never acknowledged, nowhere at the end
        assertTrue(new AcknowledgedWritesChecker().check(h).passed());
    }

    @Test
    void theSameActorAndSeqWithOtherBytesIsAReuse() {
        History h = good();
        h.ledger().observe(A, 1, new byte[]{2}, "wire n1->n2", 900);
        Verdict v = new NoSeqReuseChecker().check(h);
        assertFalse(v.passed());
        assertTrue(v.violations().getFirst().contains("seq 1"));
    }

    @Test
    void anyRejectedChangeAmongHonestNodesFails() {
        History h = good();
        h.rejected("n2", 3);
        assertFalse(new NoRejectedChangesChecker().check(h).passed());
    }

    @Test
    void aNodeThatHidesItsOwnAcknowledgedWriteFromALaterReadFails() {
        History h = good();
        h.read("n1", 260, "task-1", false);
        h.read("n2", 260, "task-1", false); // n2 never wrote it: no claim
        h.read("n1", 150, "task-1", false); // before the acknowledgement: no claim
        h.read("n1", 203, "task-1", false); // in its millisecond, perhaps just before it: no claim
        Verdict v = new ReadYourWritesChecker().check(h);
        assertFalse(v.passed());
        assertEquals(1, v.violations().size());
    }

    @Test
    void aFatalErrorOrUncaughtExceptionFailsNodeHealth() {
        History h = good();
        h.problem(new History.Problem(700, "n1", "exception", "boom"));
        assertFalse(new NodeHealthChecker().check(h).passed());
    }

    @Test
    void aCheckerThatThrowsFailsInsteadOfAbortingTheOthers() {
        Checker broken = new NamedChecker("broken") {
            @Override
            public Verdict check(History history) {
                throw new IllegalStateException("bug");
            }
        };
        List<Verdict> verdicts = Checkers.run(List.of(broken, new NodeHealthChecker()), good());
        assertFalse(verdicts.get(0).passed());
        assertTrue(verdicts.get(1).passed());
    }

    @Test
    void everyStandardCheckerPutsItsOwnNameOnItsVerdict() {
        for (Checker c : Checkers.standard(1_000, true)) {
            assertEquals(c.name(), c.check(good()).checker(), c.getClass().getSimpleName());
        }
    }

    @Test
    void laterCheckersReadTheirOwnRecordsFromTheHistory() {
        record LeaderTerm(long term, String leader) {
        }
        History h = good();
        h.record(LeaderTerm.class, new LeaderTerm(1, "n1"));
        h.record(LeaderTerm.class, new LeaderTerm(1, "n2"));
        Checker oneLeaderPerTerm = new NamedChecker("one-leader-per-term") {
            @Override
            public Verdict check(History history) {
                long terms = history.records(LeaderTerm.class).stream().map(LeaderTerm::term).distinct().count();
                return terms == history.records(LeaderTerm.class).size() ? pass("ok") : fail("two leaders in one term");
            }
        };
        assertFalse(oneLeaderPerTerm.check(h).passed());
        assertTrue(h.records(String.class).isEmpty());
    }
}
