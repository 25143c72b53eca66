package io.agentmesh.node.actions;

import io.agentmesh.node.actions.JournalMesh.Member;
import io.agentmesh.state.Outcome;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The leader's action loop with the journal's rule for a superseded agent run's intents: a stale instance's request
 * that reaches a leader after the next run started gets a {@code failed} outcome naming the reason, on every member,
 * and no executor ever sees it; one the next run carried over is performed.
 */
class StaleRunIntentsTest {
    private static final long MAX_MS = 20_000;

    /** Records every intent it is asked to run; succeeds at once. */
    private static final class Counting implements ActionExecutor {
        final List<String> runs = new ArrayList<>();

        @Override
        public String kind() {
            return "exec";
        }

        @Override
        public CompletionStage<ActionResult> perform(ActionContext ctx) {
            runs.add(ctx.intentId());
            return CompletableFuture.completedFuture(ActionResult.succeeded("ran"));
        }

        @Override
        public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
            return perform(ctx);
        }
    }

    private final JournalMesh mesh = new JournalMesh();
    private final Counting oldRuns = new Counting();
    private final Counting nextRuns = new Counting();

    private String fenceOf(CompletableFuture<?> committed) {
        assertTrue(mesh.time.runUntil(committed::isDone, MAX_MS), "the agent run commits");
        Object result = ((io.microraft.Ordered<?>) committed.join()).getResult();
        return ((AgentRunResult.Started) result).fence().tokenText();
    }

    private void awaitOutcomeEverywhere(String id, Member... members) {
        assertTrue(mesh.time.runUntil(() -> java.util.Arrays.stream(members).allMatch(m -> m.crdt.containsKey(id)),
                MAX_MS), "every member shows an outcome for " + id);
    }

    @Test
    void aStaleInstancesRequestIsRefusedEverywhereAndTheCarriedOneIsPerformed() {
        Member old = mesh.add("old", oldRuns);
        Member next = mesh.add("next", nextRuns);
        mesh.elect(old);
        String a = fenceOf(mesh.runAgent(old, List.of()));
        mesh.requestFenced("a-1", "exec", a);
        awaitOutcomeEverywhere("a-1", old, next);
        assertEquals(Outcome.SUCCEEDED, next.crdt.get("a-1").status());

        // The old leader is cut off; the next one starts a run of its own. Its CRDT already holds "a-carried", a
        // request of the old run that nobody claimed yet (in the mesh: claims fail while no one leads), so the new
        // run carries it over.
        mesh.partition(old);
        mesh.stepDown(old);
        mesh.requestFenced("a-carried", "exec", a);
        mesh.elect(next);
        String b = fenceOf(mesh.runAgent(next, List.of("a-carried")));
        // Then the old run's instance, still alive behind the cut (a paused node thread, a SIGSTOPped agent), writes
        // once more through its node, which has not heard of run b; the heal brings the request to the leader.
        mesh.requestFenced("a-stale", "exec", a);
        mesh.heal(old);
        awaitOutcomeEverywhere("a-carried", old, next);
        awaitOutcomeEverywhere("a-stale", old, next);

        assertEquals(Outcome.SUCCEEDED, next.crdt.get("a-carried").status());
        Outcome refused = next.crdt.get("a-stale");
        assertEquals(Outcome.FAILED, refused.status());
        assertTrue(refused.result().startsWith("not performed: requested by agent run " + a), refused.result());
        assertTrue(refused.result().contains(b), refused.result());
        assertEquals(refused, old.crdt.get("a-stale"));
        assertEquals(List.of("a-1"), oldRuns.runs);
        assertEquals(List.of("a-carried"), nextRuns.runs, "the stale request never reached an executor");
        assertEquals(1, next.journal.staleFenceRefusals());
        assertEquals(1, old.journal.staleFenceRefusals(), "the same decision in every member's journal");
    }
}
