package io.agentmesh.node.actions;

import io.agentmesh.node.actions.JournalMesh.Member;
import io.agentmesh.state.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What becomes of an action whose leader loses leadership while it runs (ActionCoordinator, "Deposed holders report
 * what they did"): the real result when the holder lives to report it, {@code uncertain} when it cannot, a
 * cancellation with nothing done before the start mark, and never a second run.
 */
class DeposedHolderTest {
    private static final long MAX_MS = 20_000;

    @TempDir
    Path dir;

    private final JournalMesh mesh = new JournalMesh();
    private Member old;
    private Member next;
    /** The jobs of old and next in the tests where the test decides when a job finishes. */
    private final HeldJob oldHeld = new HeldJob();
    private final HeldJob nextHeld = new HeldJob();

    /**
     * Members "old" and "next", performing with these executors; old is elected, and intent "j1" (a job) is requested.
     * Nothing runs until the test advances virtual time.
     */
    private void oldLeadsWhenJ1IsRequested(ActionExecutor oldExecutor, ActionExecutor nextExecutor) {
        old = mesh.add("old", oldExecutor);
        next = mesh.add("next", nextExecutor);
        mesh.elect(old);
        mesh.request("j1", "job");
    }

    /** As {@link #oldLeadsWhenJ1IsRequested}, with held jobs; returns once old is running j1. */
    private void oldIsRunningHeldJ1() {
        oldLeadsWhenJ1IsRequested(oldHeld, nextHeld);
        await("old is running the job", () -> oldHeld.isRunning("j1"));
    }

    private JobExecutor job(String node) {
        // Inline: the virtual mesh has no other thread to wait for.
        return new JobExecutor(dir.resolve(node + ".jsonl"), node, mesh.time, Runnable::run);
    }

    private List<String> performedLines(String node) throws IOException {
        Path f = dir.resolve(node + ".jsonl");
        return Files.exists(f) ? Files.readAllLines(f, StandardCharsets.UTF_8) : List.of();
    }

    /** A job that marks its start like {@link JobExecutor}, then runs until the test finishes it. */
    static final class HeldJob implements ActionExecutor {
        final List<String> calls = new ArrayList<>();
        private final Map<String, CompletableFuture<ActionResult>> running = new TreeMap<>();

        @Override
        public String kind() {
            return JobExecutor.KIND;
        }

        @Override
        public CompletionStage<ActionResult> perform(ActionContext ctx) {
            return ctx.prepare("started".getBytes(StandardCharsets.US_ASCII)).thenCompose(v -> {
                calls.add("perform " + ctx.intentId() + " under " + ctx.token());
                CompletableFuture<ActionResult> f = new CompletableFuture<>();
                running.put(ctx.intentId(), f);
                return f;
            });
        }

        @Override
        public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
            calls.add("reconcile " + ctx.intentId() + " under " + ctx.token());
            return prepared.isPresent()
                    ? CompletableFuture.completedFuture(ActionResult.uncertain("started by an earlier leader"))
                    : perform(ctx);
        }

        boolean isRunning(String intentId) {
            return running.containsKey(intentId);
        }

        void finish(String intentId, ActionResult result) {
            running.remove(intentId).complete(result);
        }
    }

    private void await(String what, java.util.function.BooleanSupplier holds) {
        assertTrue(mesh.time.runUntil(holds, MAX_MS), "not within " + MAX_MS + " ms: " + what);
    }

    /** A moment more, so the reactions to what made a condition hold have run too. */
    private void settle() {
        mesh.time.runFor(10);
    }

    private static boolean started(Member m, String intentId) {
        return m.journal.entry(intentId).map(e -> e.preparedData().isPresent()).orElse(false);
    }

    private static Outcome outcome(Member m, String intentId) {
        return m.crdt.get(intentId);
    }

    @Test
    void aLeaderDeposedRightAfterItsStartMarkFinishesTheJobAndTheNewLeaderJournalsItsRealResult() throws IOException {
        oldLeadsWhenJ1IsRequested(job("old"), job("next"));
        await("old commits its start mark", () -> started(old, "j1"));
        long oldTerm = mesh.term();
        mesh.elect(next); // old is alive and reachable, but no longer leads

        await("both show an outcome and the journal completed it", () -> outcome(old, "j1") != null
                && outcome(next, "j1") != null && next.journal.entry("j1").orElseThrow().isCompleted());
        settle();
        Outcome o = outcome(next, "j1");
        assertEquals("succeeded", o.status(), o.toString());
        assertEquals("old", o.performedBy());
        assertEquals(oldTerm, o.term());
        assertEquals(o, outcome(old, "j1"));
        JournalEntry e = next.journal.entry("j1").orElseThrow();
        assertEquals("old", e.holder(), "completed under the holder's own claim, which was never taken over");
        assertEquals(1, e.claims());
        assertEquals(1, performedLines("old").size());
        assertEquals(List.of(), performedLines("next"), "the new leader ran nothing");
        assertEquals(1, old.coordinator.stats().reports());
        assertEquals(1, next.coordinator.stats().journaledReports());
    }

    @Test
    void aNewLeaderWaitsForAReachableHolderStillRunningTheJobAndNeverRunsItAgain() {
        oldIsRunningHeldJ1();
        mesh.elect(next);
        await("next waits for old", () -> next.coordinator.waitingForHolders() == 1);
        mesh.time.runFor(JournalMesh.HOLDER_WAIT_MS / 2);
        assertEquals("old", next.journal.entry("j1").orElseThrow().holder(), "the claim is not taken over");
        assertEquals(List.of(), nextHeld.calls);

        oldHeld.finish("j1", ActionResult.succeeded("done by old, late"));
        await("the journal completes it", () -> next.journal.entry("j1").orElseThrow().isCompleted());
        await("every member shows it", () -> outcome(old, "j1") != null && outcome(next, "j1") != null);
        settle();
        assertEquals(new Outcome("j1", "succeeded", "done by old, late", "old", 1, 1,
                outcome(next, "j1").completedMillis()), outcome(next, "j1"));
        assertEquals(outcome(next, "j1"), outcome(old, "j1"));
        assertEquals(List.of(), nextHeld.calls, "neither performed nor reconciled by the new leader");
        assertEquals(1, next.coordinator.stats().holderWaits());
        assertEquals(0, next.coordinator.waitingForHolders());
    }

    @Test
    void aLeaderKilledAfterItsStartMarkLeavesAnUncertainOutcomeNotAFailedOne() throws IOException {
        oldLeadsWhenJ1IsRequested(job("old"), job("next"));
        await("old commits its start mark", () -> started(old, "j1"));
        mesh.crash(old);
        long start = mesh.time.elapsedMs();
        mesh.elect(next);

        await("next shows an outcome", () -> outcome(next, "j1") != null);
        Outcome o = outcome(next, "j1");
        assertEquals("uncertain", o.status(), o.toString());
        assertEquals("next", o.performedBy());
        assertEquals(mesh.term(), o.term());
        assertTrue(mesh.time.elapsedMs() - start < JournalMesh.HOLDER_WAIT_MS, "a dead holder is not waited for");
        assertEquals(List.of(), performedLines("next"), "not run again");
        assertEquals(List.of(), performedLines("old"), "killed before its append");
        assertEquals(1, next.coordinator.stats().uncertain());
        assertEquals(0, next.coordinator.stats().holderWaits());
    }

    @Test
    void aReachableHolderThatNeverReportsIsWaitedForOnlyUpToTheBoundThenTheOutcomeIsUncertainAndItsLateResultIsDropped() {
        oldIsRunningHeldJ1();
        long elected = mesh.time.elapsedMs();
        mesh.elect(next);

        await("next shows an outcome", () -> outcome(next, "j1") != null);
        long waited = mesh.time.elapsedMs() - elected;
        assertTrue(waited >= JournalMesh.HOLDER_WAIT_MS && waited < JournalMesh.HOLDER_WAIT_MS
                + 4 * JournalMesh.POLL_MS, "waited " + waited + " ms");
        assertEquals("uncertain", outcome(next, "j1").status());
        assertEquals(List.of("reconcile j1 under (2, 4)"), nextHeld.calls);

        oldHeld.finish("j1", ActionResult.succeeded("done by old, too late"));
        mesh.time.runFor(1_000);
        assertEquals("uncertain", outcome(next, "j1").status(), "the newer holder's result counts");
        assertEquals(outcome(next, "j1"), outcome(old, "j1"));
        assertEquals(0, old.coordinator.stats().reports(), "old saw its claim had passed on and reported nothing");
    }

    @Test
    void aLeaderDeposedBeforeItsStartMarkCommitsStopsThereAndTheNextLeaderPerformsTheJob() throws IOException {
        JobExecutor oldJob = job("old");
        boolean[] performing = {false};
        oldLeadsWhenJ1IsRequested(new ActionExecutor() {
            @Override
            public String kind() {
                return oldJob.kind();
            }

            @Override
            public CompletionStage<ActionResult> perform(ActionContext ctx) {
                performing[0] = true;
                return oldJob.perform(ctx);
            }

            @Override
            public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
                return oldJob.reconcile(ctx, prepared);
            }
        }, job("next"));
        await("old starts the job, whose first step is its start mark", () -> performing[0]);
        mesh.elect(next);

        await("next shows an outcome", () -> outcome(next, "j1") != null);
        assertEquals("succeeded", outcome(next, "j1").status());
        assertEquals("next", outcome(next, "j1").performedBy());
        assertEquals(List.of(), performedLines("old"));
        assertEquals(1, performedLines("next").size());
        assertEquals(1, old.coordinator.stats().cancelled());
        assertEquals(0, old.coordinator.stats().reports());
    }

    @Test
    void aReportFromAPartitionedHolderNeverReplacesTheOutcomeOfTheNewerHolder() {
        oldIsRunningHeldJ1();
        mesh.partition(old); // old still believes it leads
        mesh.elect(next);
        await("next, not reaching old, takes the claim over", () -> outcome(next, "j1") != null);
        Outcome newer = outcome(next, "j1");
        assertEquals("uncertain", newer.status());
        assertEquals(0, next.coordinator.stats().holderWaits());

        // Cut off, old finishes, cannot commit, and reports into its own copy of the state.
        oldHeld.finish("j1", ActionResult.succeeded("done by old in its partition"));
        await("old reports", () -> outcome(old, "j1") != null);
        assertEquals("old", outcome(old, "j1").performedBy());
        mesh.stepDown(old);
        // The two writes were concurrent; the merge keeps old's (the worst case), until old's journal catches up.
        mesh.heal(old);
        await("every member shows the newer holder's outcome", () -> newer.equals(outcome(old, "j1"))
                && newer.equals(outcome(next, "j1")));
        mesh.time.runFor(1_000);
        assertEquals(newer, outcome(next, "j1"));
        assertEquals(newer, outcome(old, "j1"));
        assertFalse(next.journal.entry("j1").orElseThrow().completion().status().equals("succeeded"));
        assertEquals(1, old.coordinator.stats().reports());
    }

    @Test
    void aLeaderDeposedWhileItsStartMarkCommitsUnbeknownToItReportsNotPerformedInsteadOfLeavingItUncertain()
            throws IOException {
        mesh.lateCommits = true;
        oldLeadsWhenJ1IsRequested(job("old"), job("next"));
        await("old sends its start mark", () -> old.sent.stream().anyMatch(op -> op instanceof JournalOp.Prepare));
        long elected = mesh.time.elapsedMs();
        mesh.elect(next); // the mark commits, but old only hears that its fate is unknown, and stops

        await("next shows an outcome", () -> outcome(next, "j1") != null);
        settle();
        Outcome o = outcome(next, "j1");
        assertEquals("failed", o.status(), o.toString());
        assertTrue(o.result().startsWith("not performed"), o.result());
        assertEquals("old", o.performedBy());
        assertTrue(mesh.time.elapsedMs() - elected < JournalMesh.HOLDER_WAIT_MS, "next did not wait it out");
        assertTrue(next.journal.entry("j1").orElseThrow().isCompleted());
        assertEquals(List.of(), performedLines("old"));
        assertEquals(List.of(), performedLines("next"));
        assertEquals(1, old.coordinator.stats().cancelled());
    }

    @Test
    void aCompletionHeldBackByAFullLogIsReportedWhenLeadershipIsLost() throws IOException {
        oldLeadsWhenJ1IsRequested(job("old"), job("next"));
        old.logFull = op -> op instanceof JournalOp.Complete; // in time: nothing runs before the first await
        await("old performed the job and could not complete it", () -> old.sent.stream()
                .anyMatch(op -> op instanceof JournalOp.Complete));
        assertEquals(1, performedLines("old").size());
        mesh.elect(next);

        await("the journal completes it", () -> next.journal.entry("j1").orElseThrow().isCompleted());
        settle();
        assertEquals("succeeded", outcome(next, "j1").status());
        assertEquals("old", outcome(next, "j1").performedBy());
        assertEquals(1, old.coordinator.stats().reports());
        assertEquals(List.of(), performedLines("next"));
    }

    @Test
    void aLeaderThatStoppedAJobAtItsSafePointAndLeadsAgainRunsItOnceInsteadOfLeavingItUncertain() throws IOException {
        mesh.lateCommits = true;
        oldLeadsWhenJ1IsRequested(job("old"), job("next"));
        await("old sends its start mark", () -> old.sent.stream().anyMatch(op -> op instanceof JournalOp.Prepare));
        mesh.elect(next); // the mark commits; old hears only that its fate is unknown, and stops there
        mesh.elect(old); // and leads again before next did anything

        await("old shows an outcome", () -> outcome(old, "j1") != null);
        settle();
        Outcome o = outcome(old, "j1");
        assertEquals("succeeded", o.status(), o.toString());
        assertEquals("old", o.performedBy());
        assertEquals(3, o.term(), "under its new claim");
        assertEquals(1, performedLines("old").size(), "run once");
        assertEquals(List.of(), performedLines("next"));
        assertEquals(1, old.coordinator.stats().cancelled());
    }
}
