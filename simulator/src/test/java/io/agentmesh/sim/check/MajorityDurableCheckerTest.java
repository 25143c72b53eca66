package io.agentmesh.sim.check;

import io.agentmesh.sim.check.DurabilityRecords.CatchUpDone;
import io.agentmesh.sim.check.DurabilityRecords.MajorityAck;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MajorityDurableCheckerTest {
    private static final String ACTOR = "00112233445566778899aabbccddeeff";
    private static final List<String> VOTERS = List.of("n1", "n2", "n3");

    private static History history() {
        return new History(VOTERS);
    }

    private static Verdict check(History h) {
        return new MajorityDurableChecker().check(h);
    }

    @Test
    void aRunWithoutMajorityWritesPassesWithNothingToCheck() {
        Verdict v = check(history());
        assertTrue(v.passed());
        assertTrue(v.summary().contains("nothing to check"), v::toString);
    }

    @Test
    void anAckHeldByAMajorityOfVotersPassesAndOneHeldByTheWriterAloneFails() {
        History good = history();
        good.record(MajorityAck.class, new MajorityAck("w1", "n1", 100, ACTOR, 1, VOTERS, List.of("n1", "n2")));
        assertTrue(check(good).passed(), () -> check(good).toString());

        History bad = history();
        bad.record(MajorityAck.class, new MajorityAck("w1", "n1", 100, ACTOR, 1, VOTERS, List.of("n1")));
        Verdict v = check(bad);
        assertFalse(v.passed());
        assertTrue(v.violations().getFirst().contains("1 of its 3 voters"), v::toString);
    }

    @Test
    void holdersOutsideTheVotersDoNotCountAndAnEmptyVoterSetNeverPasses() {
        History h = history();
        h.record(MajorityAck.class, new MajorityAck("w1", "n1", 100, ACTOR, 1, List.of("n1", "n2", "n3"),
                List.of("n1", "n4", "n5")));
        assertFalse(check(h).passed());
        History none = history();
        none.record(MajorityAck.class, new MajorityAck("w1", "n1", 100, ACTOR, 1, List.of(), List.of("n1")));
        assertFalse(check(none).passed());
    }

    @Test
    void aCatchUpMustHoldEveryWriteAcknowledgedBeforeItWasAskedButNotLaterOnes() {
        History h = history();
        h.record(MajorityAck.class, new MajorityAck("w1", "n1", 100, ACTOR, 5, VOTERS, List.of("n1", "n2")));
        h.record(MajorityAck.class, new MajorityAck("w2", "n1", 300, ACTOR, 6, VOTERS, List.of("n1", "n2")));
        h.record(CatchUpDone.class, new CatchUpDone("n3", 200, 250, Map.of(ACTOR, 5L)));
        assertTrue(check(h).passed(), () -> check(h).toString());

        History missing = history();
        missing.record(MajorityAck.class, new MajorityAck("w1", "n1", 100, ACTOR, 5, VOTERS, List.of("n1", "n2")));
        missing.record(CatchUpDone.class, new CatchUpDone("n3", 200, 250, Map.of(ACTOR, 4L)));
        Verdict v = check(missing);
        assertFalse(v.passed());
        assertTrue(v.violations().getFirst().contains("catch-up on n3"), v::toString);
    }
}
