package io.agentmesh.sim.consensus;

import io.agentmesh.state.Intent;
import io.agentmesh.state.Outcome;
import io.microraft.Ordered;
import io.microraft.exception.CannotReplicateException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentmesh.node.actions.ActionContext;
import io.agentmesh.node.actions.ActionCoordinator;
import io.agentmesh.node.actions.ActionExecutor;
import io.agentmesh.node.actions.ActionJournal;
import io.agentmesh.node.actions.ActionResult;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalOp;
import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.sim.world.RecordingExecutor;
import io.agentmesh.sim.world.SimClock;
import io.agentmesh.sim.world.SimLoop;
import io.agentmesh.sim.world.SimScheduler;
import io.agentmesh.sim.world.Trace;

/** The leader loop against a journal applied directly (no Raft), to pin down its reactions one by one. */
class ActionCoordinatorTest {
    private static final long MS = 1_000_000L;

    record Applied(long getCommitIndex, Object getResult) implements Ordered<Object> {
    }

    final SimLoop loop = new SimLoop(Trace.hashOnly());
    final SimScheduler scheduler = new SimScheduler(loop, "n", 0);
    final ActionJournal journal = new ActionJournal(1000);
    final List<Intent> pending = new ArrayList<>();
    final TreeMap<String, Outcome> outcomes = new TreeMap<>();
    final List<JournalOp> replicated = new ArrayList<>();
    Predicate<JournalOp> refuse = op -> false;
    long index;

    /** Applies each op to the journal one tick later, like a commit. */
    ActionCoordinator.Replicator replicator() {
        return op -> {
            replicated.add(op);
            CompletableFuture<Ordered<Object>> f = new CompletableFuture<>();
            scheduler.schedule(() -> {
                if (refuse.test(op)) {
                    f.completeExceptionally(new CannotReplicateException(null));
                } else {
                    long i = ++index;
                    f.complete(new Applied(i, journal.runOperation(i, op)));
                }
            }, 1);
            return f;
        };
    }

    ActionCoordinator coordinator(ActionExecutor... executors) {
        ConsensusConfig config = ConsensusConfig.defaults();
        ActionCoordinator c = new ActionCoordinator("me", journal, List.of(executors), () -> pending.stream()
                .filter(i -> !outcomes.containsKey(i.id())).toList(), (i, o) -> outcomes.put(i.id(), o),
                id -> Optional.ofNullable(outcomes.get(id)), holder -> false, scheduler,
                SimClock.exact(loop), config.maxInFlightActions(), config.pollIntervalMs(),
                ActionCoordinator.DEFAULT_HOLDER_WAIT_MS);
        c.start(replicator());
        return c;
    }

    List<JournalOp.Claim> claims() {
        return replicated.stream().filter(op -> op instanceof JournalOp.Claim).map(op -> (JournalOp.Claim) op)
                .toList();
    }

    void runFor(long ms) {
        loop.runUntil(loop.nowNanos() + ms * MS);
    }

    static Intent intent(String id, String kind) {
        return new Intent(id, kind, "{}", "someone", 0);
    }

    /** Never completes: keeps intents in flight. */
    static ActionExecutor stuck(String kind) {
        return new ActionExecutor() {
            @Override
            public String kind() {
                return kind;
            }

            @Override
            public CompletionStage<ActionResult> perform(ActionContext ctx) {
                return new CompletableFuture<>();
            }

            @Override
            public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
                return new CompletableFuture<>();
            }
        };
    }

    @Test
    void aFollowerClaimsNothing() {
        pending.add(intent("a", "job"));
        coordinator(RecordingExecutor.immediate("job", "me", new RecordingExecutor.Ledger()));
        runFor(1_000);
        assertTrue(replicated.isEmpty());
    }

    @Test
    void atMostMaxInFlightIntentsAreClaimed() {
        for (int i = 0; i < 40; i++) {
            pending.add(intent(String.format("i%02d", i), "job"));
        }
        ActionCoordinator c = coordinator(stuck("job"));
        c.leadership(true, 1);
        runFor(1_000);
        assertEquals(16, c.inFlight());
        assertEquals(16, replicated.size(), "claims only: no older claim is open, so no barrier is needed");
        assertEquals("i00", claims().getFirst().intentId(), "oldest first");
    }

    @Test
    void backPressureOnCompleteIsRetriedAndTheOutcomeWrittenOnce() {
        pending.add(intent("a", "job"));
        RecordingExecutor.Ledger ledger = new RecordingExecutor.Ledger();
        int[] completes = {0};
        refuse = op -> op instanceof JournalOp.Complete && completes[0]++ == 0;
        ActionCoordinator c = coordinator(RecordingExecutor.immediate("job", "me", ledger));
        c.leadership(true, 1);
        runFor(1_000);
        assertEquals(1, ledger.performs("a"));
        assertEquals("succeeded", outcomes.get("a").status());
        assertEquals(2, replicated.stream().filter(op -> op instanceof JournalOp.Complete).count());
        assertEquals(new FencingToken(1, 1), new FencingToken(outcomes.get("a").term(), outcomes.get("a").index()));
        assertEquals(0, c.inFlight());
    }

    @Test
    void aFailingExecutorGivesAFailedOutcome() {
        pending.add(intent("a", "job"));
        ActionExecutor broken = new ActionExecutor() {
            @Override
            public String kind() {
                return "job";
            }

            @Override
            public CompletionStage<ActionResult> perform(ActionContext ctx) {
                return CompletableFuture.failedFuture(new IllegalStateException("provider down"));
            }

            @Override
            public CompletionStage<ActionResult> reconcile(ActionContext ctx, Optional<byte[]> prepared) {
                throw new IllegalStateException("not expected");
            }
        };
        coordinator(broken).leadership(true, 1);
        runFor(1_000);
        assertEquals("failed", outcomes.get("a").status());
        assertTrue(outcomes.get("a").result().contains("provider down"));
    }

    @Test
    void aClaimThatCommitsAfterLeadershipIsLostStartsNothing() {
        pending.add(intent("a", "job"));
        RecordingExecutor.Ledger ledger = new RecordingExecutor.Ledger();
        ActionCoordinator c = coordinator(RecordingExecutor.immediate("job", "me", ledger));
        c.leadership(true, 1);
        assertTrue(loop.runUntil(() -> !claims().isEmpty(), loop.nowNanos() + 1_000 * MS), "a claim was sent");
        c.leadership(false, 2); // deposed before the claim's answer arrives
        runFor(1_000);
        assertTrue(journal.entry("a").isPresent(), "the claim did commit");
        assertEquals(0, ledger.calls().size());
        assertEquals(0, c.inFlight());
    }

    @Test
    void aNewTermReconcilesAnOldClaimAndIntentsWithoutAnExecutorWait() {
        pending.add(intent("a", "job"));
        pending.add(intent("b", "unknown-kind"));
        journal.runOperation(++index, new JournalOp.Claim("a", "job", "dead-leader", 1));
        RecordingExecutor.Ledger ledger = new RecordingExecutor.Ledger();
        ActionCoordinator c = coordinator(RecordingExecutor.immediate("job", "me", ledger));
        c.leadership(true, 2);
        runFor(1_000);
        assertEquals(0, ledger.performs("a"));
        assertEquals(1, ledger.reconciles("a"));
        assertEquals("me", outcomes.get("a").performedBy());
        assertEquals(2, outcomes.get("a").term());
        assertTrue(!outcomes.containsKey("b") && journal.entry("b").isEmpty());
        assertEquals(1, c.stats().reconciles());
        assertEquals(JournalOp.NewTerm.INSTANCE, replicated.getFirst(), "a barrier before deciding on the old claim,"
                + " whose start mark could be committed and not yet applied here");
    }
}
