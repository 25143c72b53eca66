package io.agentmesh.sim.run;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.consensus.CodecException;
import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.node.consensus.ConsensusNode;
import io.agentmesh.node.consensus.ConsensusStatus;
import io.agentmesh.node.consensus.MeshEndpoint;
import io.agentmesh.node.consensus.RaftCodec;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.wire.WireMessage;
import io.agentmesh.sim.check.History;
import io.agentmesh.sim.world.RecordingExecutor.Ledger;
import io.agentmesh.state.Outcome;
import io.microraft.RaftEndpoint;
import io.microraft.model.log.LogEntry;
import io.microraft.persistence.RestoredRaftState;
import io.microraft.report.RaftNodeReport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Whole clusters on the simulator's world (real node cores, documents, Raft, network model, disks that charge their
 * fsyncs): elections, actions, kills, hand-over, snapshots, restarts, hostile messages, a failing Raft disk. Each
 * test also ends with the standard checkers.
 */
class ConsensusClusterTest {

    @ParameterizedTest
    @ValueSource(ints = {3, 5})
    void electsOneLeaderWithinASecondThatEveryNodeNames(int n) {
        Cluster c = new Cluster(n, 42);
        long elected = c.runUntil("a leader every node names", () -> c.stableLeader().isPresent(), 5_000);
        assertTrue(elected <= 1_000, "leader elected after " + elected + " ms\n" + c.state());
        c.runFor(2_000);
        ConsensusNode leader = c.stableLeader().orElseThrow(() -> new AssertionError(c.state())).consensus();
        for (SimNode node : c.nodes()) {
            ConsensusStatus s = node.consensus().status();
            assertEquals(leader.self(), s.leader().orElseThrow(), node.name + " names another leader");
        }
        c.finishAndCheck();
    }

    @Test
    void performsEachIntentOnceAndWritesTheSameOutcomeEverywhere() {
        Cluster c = new Cluster(3, 7);
        c.awaitStableLeader(5_000);
        List<String> ids = c.requestMany(40, i -> i % 3);
        c.awaitOutcomesEverywhere(ids, 5_000);
        for (String id : ids) {
            assertEquals(1, c.ledger().performs(id), id);
            assertEquals(0, c.ledger().reconciles(id), id);
        }
        c.assertOutcomesAgree(ids);
        SimNode leader = c.leader().orElseThrow();
        ConsensusStatus s = leader.consensus().status();
        assertEquals(0, s.pending());
        assertEquals(0, s.inFlight());
        assertEquals(40, s.completed());
        Outcome o = leader.outcome(ids.getFirst()).orElseThrow();
        assertEquals("succeeded", o.status());
        assertEquals(c.id(leader).toString(), o.performedBy());
        assertTrue(o.index() > 0 && o.term() > 0, o.toString());
        c.finishAndCheck();
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 5})
    void aLeaderKilledMidActionIsReconciledByTheNextNotRepeated(int n) {
        Cluster c = new Cluster(n, 11 + n);
        SimNode old = c.awaitStableLeader(5_000);
        // Requested on a follower: an intent requested on the leader itself would be lost with it until it restarts
        // (durable there, but nobody else has heard of it).
        int requester = (old.index + 1) % n;
        List<String> ids = c.requestMany(20, i -> requester);
        String oldId = c.id(old).toString();
        // Kill it once it has acted on some intents whose results have not come back: those are claimed, performed
        // and not completed, which is what the next leader must reconcile.
        c.runUntil("the leader has acted on an intent it has not completed", () -> c.ledger().calls().stream()
                .anyMatch(call -> call.nodeId().equals(oldId) && old.consensus().journal().entry(call.intentId())
                        .map(e -> !e.isCompleted()).orElse(false)), 5_000);
        c.kill(old.index);

        c.awaitOutcomesEverywhere(ids, 10_000);
        assertEquals(List.of(), c.ledger().performedMoreThanOnce());
        long reconciled = 0;
        for (String id : ids) {
            assertTrue(c.ledger().applied(id), id);
            reconciled += c.ledger().reconciles(id);
        }
        assertTrue(reconciled >= 1, "the new leader reconciled what the dead one claimed\n" + c.state());
        for (Ledger.Call call : c.ledger().calls()) {
            // A wallet intent the dead leader acted on had its prepared bytes committed first, and the new leader
            // reconciled with them.
            if (call.type() == Ledger.CallType.RECONCILE && call.intentId().startsWith("wallet")
                    && call.effect() == Ledger.Effect.DUPLICATE) {
                assertTrue(call.hadPrepared(), call.toString());
            }
            assertNotEquals(Ledger.Effect.STALE_TOKEN, call.effect(), call.toString());
        }
        c.assertOutcomesAgree(ids);
        c.finishAndCheck();
    }

    @Test
    void anOutcomeCompletedInTheJournalButLostWithItsLeaderIsWrittenFromTheJournalWithoutPerformingAgain() {
        Cluster c = new Cluster(3, 5);
        SimNode old = c.awaitStableLeader(5_000);
        int follower = (old.index + 1) % 3;
        ActorId oldActor = old.member.identity().actor();
        // The leader's own changes (its outcomes: it writes nothing else here) never leave it, as if it died right
        // after each Complete committed and before its outcome reached anyone.
        boolean[] holding = {true};
        c.sim.network().addTap((from, to, message) -> {
            if (!holding[0] || from != old.index || !(message instanceof WireMessage.Changes changes)) {
                return message;
            }
            List<io.agentmesh.protocol.change.SignedChange> others = changes.changes().stream()
                    .filter(ch -> !ch.actor().equals(oldActor)).toList();
            return others.isEmpty() ? null : new WireMessage.Changes(others, changes.more());
        });
        List<String> ids = c.requestMany(10, i -> follower);
        c.runUntil("every journal shows all 10 completed", () -> c.nodes().stream()
                .allMatch(nd -> nd.consensus().journal().completedCount() == 10), 5_000);
        assertTrue(ids.stream().allMatch(id -> c.node(follower).outcome(id).isEmpty()), c.state());
        c.kill(old.index);
        holding[0] = false; // when it restarts, its own outcomes may flow again

        c.awaitOutcomesEverywhere(ids, 5_000);
        SimNode leader = c.leader().orElseThrow();
        assertEquals(10, leader.consensus().coordinator().stats().outcomesFromJournal());
        for (String id : ids) {
            assertEquals(1, c.ledger().performs(id), id);
            assertEquals(0, c.ledger().reconciles(id), id);
            assertEquals(c.id(old).toString(), leader.outcome(id).orElseThrow().performedBy(),
                    "the outcome names who really performed it");
        }
        c.finishAndCheck();
    }

    @Test
    void aGracefulHandOverDrainsActionsThenMovesLeadershipWithoutAFailureTimeout() {
        Cluster c = new Cluster(3, 9);
        SimNode old = c.awaitStableLeader(5_000);
        List<String> running = c.requestMany(6, i -> old.index);
        c.runUntil("three intents performed", () -> c.ledger().appliedIntents().size() >= 3, 2_000);
        long oldTerm = old.consensus().term();
        CompletableFuture<CompletableFuture<Void>> handOver = new CompletableFuture<>();
        old.scheduler().execute(() -> handOver.complete(old.core().handOver()));
        long took = c.runUntil("another node leads in a later term", () -> c.leader()
                .map(l -> l != old && l.consensus().term() > oldTerm).orElse(false), 2_000);
        System.out.println("hand-over: new leader " + took + " ms (virtual) after handOver(), actions drained first");
        assertTrue(took < 250, "hand-over took " + took + " ms");
        c.runFor(200);
        assertTrue(handOver.join().isDone() && !handOver.join().isCompletedExceptionally(), "hand-over completed");
        for (String id : running) {
            assertTrue(old.outcome(id).isPresent() || c.ledger().performs(id) == 0,
                    id + ": started by the old leader, so finished by it before the hand-over");
        }
        c.awaitOutcomesEverywhere(running, 3_000);
        assertEquals(List.of(), c.ledger().performedMoreThanOnce());
        running.forEach(id -> assertEquals(0, c.ledger().reconciles(id), id + " needed no reconciliation"));
        old.scheduler().execute(() -> old.core().stop());
        c.runFor(100);
        c.kill(old.index);
        List<String> more = List.of("job-after-hand-over-1", "job-after-hand-over-2");
        more.forEach(id -> c.request((old.index + 1) % 3, id, "job"));
        c.awaitOutcomesEverywhere(more, 3_000);
        c.finishAndCheck();
    }

    @Test
    void aLaggingNodeCatchesUpThroughARaftSnapshot() {
        Cluster c = new Cluster(Cluster.quiet(3, 21).withRaft(ConsensusConfig.defaults()
                .withCommitCountToTakeSnapshot(20)), 200);
        SimNode leader = c.awaitStableLeader(5_000);
        int lagging = (leader.index + 1) % 3;
        c.kill(lagging);
        List<String> ids = c.requestMany(40, i -> leader.index);
        c.awaitOutcomesEverywhere(ids, 10_000);
        assertTrue(report(c, leader).getLog().getTakeSnapshotCount() > 0, "the leader took a snapshot");

        c.restart(lagging);
        c.runUntil("the restarted node's journal holds all 40", () -> c.node(lagging).consensus() != null
                && c.node(lagging).consensus().journal().completedCount() == 40, 5_000);
        assertTrue(report(c, c.node(lagging)).getLog().getInstallSnapshotCount() > 0, "through InstallSnapshot");
        assertEquals(leader.consensus().journal().entries(), c.node(lagging).consensus().journal().entries());
        c.finishAndCheck();
    }

    @Test
    void theRaftDiskKeepsTermVoteAndLogAcrossCrashesOfOneNodeAndOfTheWholeCluster() throws IOException {
        Cluster c = new Cluster(3, 31);
        c.awaitStableLeader(5_000);
        List<String> ids = c.requestMany(10, i -> i % 3);
        c.awaitOutcomesEverywhere(ids, 5_000);
        SimNode follower = c.node((c.leader().orElseThrow().index + 1) % 3);
        c.runFor(200); // the follower has learned the last commit index
        int term = follower.consensus().raftNode().getTerm().getTerm();
        RaftEndpoint voted = follower.consensus().raftNode().getTerm().getVotedEndpoint();

        c.kill(follower.index); // anything not flushed is lost, as in a crash
        RestoredRaftState restored = follower.raftStore().restore().orElseThrow();
        assertEquals(MeshEndpoint.of(c.id(follower)), restored.getLocalEndpointPersistentState().getLocalEndpoint());
        assertEquals(term, restored.getTermPersistentState().getTerm());
        assertEquals(voted, restored.getTermPersistentState().getVotedFor());
        assertEquals(10, restored.getLogEntries().stream().map(LogEntry::getOperation)
                .filter(op -> op instanceof Claim).count());
        assertEquals(10, restored.getLogEntries().stream().map(LogEntry::getOperation)
                .filter(op -> op instanceof Complete).count());
        c.restart(follower.index);
        c.runUntil("the restarted follower's journal holds all 10", () -> follower.consensus() != null
                && follower.consensus().journal().completedCount() == 10, 3_000);

        // Now the whole cluster crashes and comes back from its Raft disks.
        long termBefore = c.leader().orElseThrow().consensus().term();
        for (int i = 0; i < 3; i++) {
            c.kill(i);
        }
        for (int i = 0; i < 3; i++) {
            c.restart(i);
        }
        SimNode leader = c.awaitStableLeader(5_000);
        assertTrue(leader.consensus().term() > termBefore, "elected in a later term\n" + c.state());
        List<String> more = List.of("job-after-restart-1", "job-after-restart-2");
        more.forEach(id -> c.request(0, id, "job"));
        c.runUntil("the new intents done and every journal at 12", () -> c.allUpHaveOutcomes(more)
                && c.nodes().stream().allMatch(nd -> nd.consensus().journal().completedCount() == 12), 5_000);
        for (String id : ids) {
            assertEquals(1, c.ledger().performs(id), id + " ran again after the restart");
        }
        c.finishAndCheck();
    }

    @Test
    void refusesMalformedForeignAndImpersonatingConsensusMessages() {
        Cluster c = new Cluster(3, 1);
        c.awaitStableLeader(5_000);
        ConsensusNode a = c.node(0).consensus();
        SimNode b = c.node(1);
        String group = c.node(0).member.identity().agentId().toString();
        RaftCodec codec = new RaftCodec();
        byte[] fromB = codec.encodeMessage(codec.modelFactory().createVoteResponseBuilder().setGroupId(group)
                .setSender(MeshEndpoint.of(c.id(b))).setTerm(1).setGranted(true).build());
        byte[] otherGroup = codec.encodeMessage(codec.modelFactory().createVoteResponseBuilder().setGroupId(
                "another-agent").setSender(MeshEndpoint.of(c.id(b))).setTerm(1).setGranted(true).build());
        CodecException impersonation = assertThrows(CodecException.class,
                () -> a.handle(c.id(c.node(2)), fromB));
        assertTrue(impersonation.getMessage().contains("claims to come from"), impersonation.getMessage());
        assertThrows(CodecException.class, () -> a.handle(c.id(b), otherGroup));
        assertThrows(CodecException.class, () -> a.handle(c.id(b), new byte[] {1, 9, 9}));
        a.handle(c.id(b), fromB); // well formed and attributed: accepted (and ignored by Raft)
        c.runFor(500);
        assertTrue(c.stableLeader().isPresent(), c.state());
        c.finishAndCheck();
    }

    @Test
    void aFailingRaftDiskStopsItsNodeAndTheOthersCarryOn() {
        Cluster c = new Cluster(3, 2);
        SimNode leader = c.awaitStableLeader(5_000);
        leader.raftStore().failWith(new IOException("disk on fire"));
        c.request(leader.index, "job-x", "job");
        c.runUntil("the failed node stopped", () -> c.sim.history().problems().stream()
                .anyMatch(p -> p.node().equals(leader.name) && p.kind().equals("fatal")), 2_000);
        History.Problem fatal = c.sim.history().problems().stream().filter(p -> p.kind().equals("fatal"))
                .findFirst().orElseThrow();
        assertTrue(fatal.detail().contains("disk on fire"), fatal.toString());
        c.runUntil("another node leads", () -> c.leader().map(l -> l != leader).orElse(false), 2_000);
        c.runUntil("job-x performed", () -> c.ledger().applied("job-x"), 3_000);
        assertEquals(1, c.ledger().performs("job-x"));
        SimResult r = c.finish();
        assertEquals(List.of("node-health"), r.failures().stream().map(v -> v.checker()).toList(),
                "only the fatal error itself is reported: " + r.failures());
    }

    private static RaftNodeReport report(Cluster c, SimNode n) {
        return c.await("a Raft report of " + n.name, n.consensus().raftNode().getReport()).getResult();
    }
}
