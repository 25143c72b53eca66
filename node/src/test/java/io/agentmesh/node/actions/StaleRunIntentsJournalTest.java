package io.agentmesh.node.actions;

import io.agentmesh.node.actions.JournalOp.AgentRun;
import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.state.Outcome;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal's rule for intents an agent run requested (ActionJournal, "stale runs"; docs/agents.md, "Intents of a
 * superseded run"): the newest run's are claimed as any intent; a superseded run's only when the run after it
 * carried them over; the rest are completed at once as failed, with the reason, and never claimed for a perform.
 */
class StaleRunIntentsJournalTest {
    private final ActionJournal journal = new ActionJournal(100);
    private long index;

    private Object apply(JournalOp op) {
        return journal.runOperation(++index, op);
    }

    private FencingToken run(String node, long term, String... carried) {
        AgentRunResult.Started s = assertInstanceOf(AgentRunResult.Started.class,
                apply(AgentRun.superseding(node, term, 500, journal.agentFence().map(AgentFence::token).orElse(null),
                        List.of(carried))));
        return s.fence().token();
    }

    private Object claim(String id, long term, FencingToken fence) {
        return apply(Claim.fenced(id, "exec", "leader", term, fence, 1_700_000_000_000L));
    }

    @Test
    void anIntentOfTheNewestRunIsClaimedAsAnyIntent() {
        FencingToken a = run("n1", 1);
        JournalResult.Claimed c = assertInstanceOf(JournalResult.Claimed.class, claim("i1", 1, a));
        assertFalse(c.entry().isCompleted());
        assertEquals(0, journal.staleFenceRefusals());
    }

    @Test
    void anIntentOfASupersededRunThatWasNotCarriedOverIsCompletedAsFailedWithTheReasonAndNeverHeld() {
        FencingToken a = run("n1", 1);
        FencingToken b = run("n2", 2);
        JournalResult.Completed c = assertInstanceOf(JournalResult.Completed.class, claim("late", 2, a));
        JournalEntry.Completion done = c.entry().completion();
        assertEquals(Outcome.FAILED, done.status());
        assertTrue(done.result().startsWith("not performed: requested by agent run " + AgentFence.text(a)),
                done.result());
        assertTrue(done.result().contains(AgentFence.text(b)), done.result());
        assertEquals(1_700_000_000_000L, done.completedMillis());
        assertEquals(1, journal.staleFenceRefusals());
        assertEquals(0, journal.openClaimCount(), "nobody holds it: nothing may run");
        // A later leader's claim finds it completed, and writes the same outcome.
        JournalResult.Rejected again = assertInstanceOf(JournalResult.Rejected.class, claim("late", 3, a));
        assertEquals(JournalResult.Reason.ALREADY_COMPLETED, again.reason());
        assertEquals(c.entry(), again.currentOrNull());
    }

    @Test
    void anIntentTheNextRunCarriedOverIsClaimedOnceEvenAfterMoreRuns() {
        FencingToken a = run("n1", 1);
        run("n2", 2, "early", "other");
        assertTrue(journal.isCarried("early"));
        run("n3", 3); // carries nothing of n2's run; "early" stays admitted
        assertInstanceOf(JournalResult.Claimed.class, claim("early", 3, a));
        assertFalse(journal.isCarried("early"), "claimed: no longer remembered");
        assertEquals(0, journal.staleFenceRefusals());
    }

    @Test
    void aLaterRunCarriesOnlyTheRunItSupersedesSoAnOlderRunsLateIntentStaysRefused() {
        FencingToken a = run("n1", 1);
        FencingToken b = run("n2", 2);
        // A request of run a reached the leader only after b started; the leader starting c carries b's requests,
        // and its list (made by the node from the intents' fences) never names a's.
        run("n3", 3, "b-request");
        assertInstanceOf(JournalResult.Claimed.class, claim("b-request", 3, b));
        assertInstanceOf(JournalResult.Completed.class, claim("a-late", 3, a));
    }

    @Test
    void aRunWhoseCarriedListWasMadeAgainstAnotherRunIsRefusedAndChangesNothing() {
        FencingToken a = run("n1", 1);
        FencingToken b = run("n2", 2);
        // A new leader that had not applied run b yet made its list against run a.
        AgentRunResult.Refused r = assertInstanceOf(AgentRunResult.Refused.class,
                apply(AgentRun.superseding("n3", 3, 500, a, List.of("a-late"))));
        assertEquals(b, r.current().token());
        assertEquals(b, journal.agentFence().orElseThrow().token());
        assertFalse(journal.isCarried("a-late"));
        assertInstanceOf(AgentRunResult.Refused.class, apply(AgentRun.superseding("n3", 3, 500, null, List.of())));
        // Asked again against the newest run, it is granted; runs written before lists existed are not checked.
        run("n3", 3);
        assertInstanceOf(AgentRunResult.Started.class, apply(new AgentRun("n3", 3, 500)));
    }

    @Test
    void aFenceNoRunHadIsRefusedAsNamingNoRun() {
        JournalResult.Completed none = assertInstanceOf(JournalResult.Completed.class,
                claim("x", 1, new FencingToken(1, 5)));
        assertTrue(none.entry().completion().result().contains("names no agent run"),
                none.entry().completion().result());
        FencingToken a = run("n1", 1);
        JournalResult.Completed newer = assertInstanceOf(JournalResult.Completed.class,
                claim("y", 1, new FencingToken(a.term(), a.index() + 10)));
        assertTrue(newer.entry().completion().result().contains("names no agent run"));
    }

    @Test
    void unfencedIntentsAndReclaimsAreUntouched() {
        FencingToken a = run("n1", 1);
        assertInstanceOf(JournalResult.Claimed.class, apply(new Claim("cli", "exec", "leader", 1)));
        assertInstanceOf(JournalResult.Claimed.class, claim("mine", 1, a));
        run("n2", 2);
        // Taken over by the next leader: granted as before (it was claimed while its run was the newest).
        JournalResult.Claimed taken = assertInstanceOf(JournalResult.Claimed.class, claim("mine", 2, a));
        assertTrue(taken.previous().isPresent());
        assertInstanceOf(JournalResult.Claimed.class, apply(new Claim("cli", "exec", "leader2", 2)));
    }

    @Test
    void carriedIntentsSurviveASnapshotAndASnapshotWithTwoListsIsRefused() {
        FencingToken a = run("n1", 1);
        run("n2", 2, "c1", "c2");
        List<Object> chunks = new ArrayList<>();
        journal.takeSnapshot(index, chunks::add);
        ActionJournal restored = new ActionJournal(100);
        restored.installSnapshot(index, chunks);
        assertTrue(restored.isCarried("c1") && restored.isCarried("c2"));
        assertInstanceOf(JournalResult.Claimed.class,
                restored.runOperation(index + 1, Claim.fenced("c1", "exec", "l", 2, a, 1)));
        assertInstanceOf(JournalResult.Completed.class,
                restored.runOperation(index + 2, Claim.fenced("c3", "exec", "l", 2, a, 1)));

        AdmittedIntentsSnapshot list = new AdmittedIntentsSnapshot(List.of("z"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> journal.installSnapshot(50, List.of(list, list)));
        assertTrue(e.getMessage().contains("one list of carried intents"), e.getMessage());
        assertTrue(journal.isCarried("c1"), "the journal stays as it was");
    }

    @Test
    void carriedListsAreValidatedOnConstruction() {
        assertThrows(IllegalArgumentException.class, () -> AgentRun.superseding("a", 1, 0, null, List.of("b", "a")));
        assertThrows(IllegalArgumentException.class, () -> AgentRun.superseding("a", 1, 0, null, List.of("a", "a")));
        assertThrows(IllegalArgumentException.class, () -> AgentRun.superseding("a", 1, 0, null, List.of("")));
        assertThrows(IllegalArgumentException.class, () -> new AgentRun("a", 1, 0, null, List.of("x")));
        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i <= AgentRun.MAX_CARRIED; i++) {
            tooMany.add(String.format("i%05d", i));
        }
        assertThrows(IllegalArgumentException.class, () -> AgentRun.superseding("a", 1, 0, null, tooMany));
        assertThrows(IllegalArgumentException.class, () -> new Claim("i", "k", "n", 1, null, 5));
        assertThrows(IllegalArgumentException.class, () -> new AdmittedIntentsSnapshot(List.of()));
        assertThrows(IllegalArgumentException.class, () -> new AdmittedIntentsSnapshot(List.of("a", "a")));
    }
}
