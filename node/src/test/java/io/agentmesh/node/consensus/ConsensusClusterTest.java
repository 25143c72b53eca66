package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalOp.Complete;
import io.agentmesh.node.actions.RecordingExecutor.Ledger;
import io.agentmesh.state.Outcome;
import io.microraft.RaftEndpoint;
import io.microraft.model.log.LogEntry;
import io.microraft.persistence.RestoredRaftState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Whole clusters of ConsensusNodes on virtual time: elections, actions, kills, partitions, restarts. */
class ConsensusClusterTest {

    @ParameterizedTest
    @ValueSource(ints = {3, 5})
    void electsOneLeader(int n) {
        SimCluster c = new SimCluster(n, 42).start();
        long at = c.awaitLeader(5_000);
        assertTrue(at >= 0 && at <= 1_000, "leader elected at " + at);
        c.time.runFor(2_000);
        assertTrue(c.stableLeader().isPresent());
        assertTrue(c.termsWithTwoLeaders().isEmpty());
        for (SimCluster.SimNode node : c.nodes) {
            ConsensusStatus s = node.consensus.status();
            assertEquals(c.stableLeader().get().id, s.leader().orElseThrow());
        }
    }

    @Test
    void performsEachIntentOnceAndWritesOutcomesEverywhere() {
        SimCluster c = new SimCluster(3, 7).start();
        c.awaitLeader(5_000);
        List<String> ids = requestMany(c, 40, i -> i % 3);
        assertTrue(c.time.runUntil(() -> c.allAliveHaveOutcomes(ids), 5_000) >= 0);
        for (String id : ids) {
            assertEquals(1, c.ledger.performs(id), id);
            assertEquals(0, c.ledger.reconciles(id), id);
        }
        assertOutcomesAgree(c, ids);
        SimCluster.SimNode leader = c.leader().orElseThrow();
        ConsensusStatus s = leader.consensus.status();
        assertEquals(0, s.pending());
        assertEquals(0, s.inFlight());
        assertEquals(40, s.completed());
        Outcome o = leader.crdt.outcome(ids.get(0)).orElseThrow();
        assertEquals("succeeded", o.status());
        assertEquals(leader.id.toString(), o.performedBy());
        assertTrue(o.index() > 0 && o.term() > 0);
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 5})
    void leaderKilledMidActionIsReconciledNotRepeated(int n) {
        SimCluster c = new SimCluster(n, 11 + n);
        c.actionLatencyMs = 300; // effects land at once, results come back 300 ms later
        c.start();
        c.awaitLeader(5_000);
        // Requested on a follower: an intent requested on the leader itself would die with it until it restarts
        // (it is durable there, but nobody else has heard of it).
        int requester = (c.leader().orElseThrow().index + 1) % n;
        List<String> ids = requestMany(c, 20, i -> requester);
        // Wait until the leader has claims committed and actions running, none completed.
        assertTrue(c.time.runUntil(() -> c.ledger.appliedIntents().size() >= 8, 3_000) >= 0);
        SimCluster.SimNode old = c.leader().orElseThrow();
        int inFlightAtKill = old.consensus.coordinator().inFlight();
        assertTrue(inFlightAtKill > 0);
        assertTrue(ids.stream().noneMatch(id -> c.node(requester).crdt.outcome(id).isPresent()));
        c.kill(old.index);

        assertTrue(c.time.runUntil(() -> c.allAliveHaveOutcomes(ids), 10_000) >= 0, "all intents finished");
        assertEquals(List.of(), c.ledger.performedMoreThanOnce());
        long reconciled = 0;
        for (String id : ids) {
            assertTrue(c.ledger.applied(id), id);
            reconciled += c.ledger.reconciles(id);
        }
        assertTrue(reconciled >= 1, "the new leader reconciled what the dead one claimed");
        // A wallet-like intent the dead leader acted on had its prepared bytes committed first, and the new
        // leader reconciled with them.
        for (Ledger.Call call : c.ledger.calls()) {
            if (call.type() == Ledger.CallType.RECONCILE && call.intentId().startsWith("wallet")
                    && call.effect() == Ledger.Effect.DUPLICATE) {
                assertTrue(call.hadPrepared(), call.toString());
            }
            assertNotEquals(Ledger.Effect.STALE_TOKEN, call.effect(), call.toString());
        }
        assertOutcomesAgree(c, ids);
        assertTrue(c.termsWithTwoLeaders().isEmpty());
    }

    @Test
    void completedButUnrecordedOutcomeIsWrittenFromTheJournalWithoutPerformingAgain() {
        SimCluster c = new SimCluster(3, 5).start();
        c.awaitLeader(5_000);
        SimCluster.SimNode old = c.leader().orElseThrow();
        old.crdt.dropOutcomeWrites = true; // the leader dies after Complete, before its outcome reaches the CRDT
        List<String> ids = requestMany(c, 10, i -> old.index);
        assertTrue(c.time.runUntil(() -> c.nodes.stream().allMatch(
                nd -> nd.consensus.journal().completedCount() == 10), 3_000) >= 0);
        assertTrue(ids.stream().allMatch(id -> c.node((old.index + 1) % 3).crdt.outcome(id).isEmpty()));
        c.kill(old.index);

        assertTrue(c.time.runUntil(() -> c.allAliveHaveOutcomes(ids), 5_000) >= 0);
        SimCluster.SimNode leader = c.leader().orElseThrow();
        assertEquals(10, leader.consensus.coordinator().stats().outcomesFromJournal());
        for (String id : ids) {
            assertEquals(1, c.ledger.performs(id));
            assertEquals(0, c.ledger.reconciles(id));
            Outcome o = leader.crdt.outcome(id).orElseThrow();
            assertEquals(old.id.toString(), o.performedBy(), "the outcome names who really performed it");
        }
    }

    @Test
    void minorityPartitionPerformsNothingAndHandsOverAfterHealing() {
        SimCluster c = new SimCluster(5, 3).start();
        c.awaitLeader(5_000);
        SimCluster.SimNode old = c.leader().orElseThrow();
        int buddy = (old.index + 1) % 5;
        List<Integer> majority = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            if (i != old.index && i != buddy) {
                majority.add(i);
            }
        }
        c.partition(SimCluster.side(old.index, buddy), SimCluster.side(majority.toArray(Integer[]::new)));
        int callsBefore = c.ledger.calls().size();
        List<String> minorityIds = List.of("job-minority-1", "wallet-minority-2", "job-minority-3");
        c.node(old.index).request(minorityIds.get(0), "job");
        c.node(old.index).request(minorityIds.get(1), "wallet");
        c.node(buddy).request(minorityIds.get(2), "job");
        c.node(majority.get(0)).request("job-majority", "job");

        c.time.runFor(3_000);
        assertFalse(old.consensus.isLeader(), "the cut-off leader stepped down");
        SimCluster.SimNode newLeader = c.leader().orElseThrow();
        assertTrue(majority.contains(newLeader.index));
        assertTrue(c.ledger.applied("job-majority"), "the majority side keeps working");
        for (Ledger.Call call : c.ledger.calls().subList(callsBefore, c.ledger.calls().size())) {
            assertFalse(call.nodeId().equals(old.id.toString()) || call.nodeId().equals(c.node(buddy).id.toString()),
                    "a minority node performed " + call);
        }
        for (String id : minorityIds) {
            assertFalse(c.ledger.applied(id), id + " performed while its requesters were cut off");
            assertTrue(c.node(old.index).crdt.outcome(id).isEmpty());
        }

        c.heal();
        List<String> all = new ArrayList<>(minorityIds);
        all.add("job-majority");
        assertTrue(c.time.runUntil(() -> c.allAliveHaveOutcomes(all), 5_000) >= 0);
        for (String id : all) {
            assertEquals(1, c.ledger.performs(id), id);
        }
        assertOutcomesAgree(c, all);
        assertTrue(c.termsWithTwoLeaders().isEmpty());
    }

    @Test
    void gracefulHandOverDrainsActionsThenMovesLeadershipWithoutAFailureTimeout() {
        SimCluster c = new SimCluster(3, 9);
        c.actionLatencyMs = 100;
        c.start();
        c.awaitLeader(5_000);
        SimCluster.SimNode old = c.leader().orElseThrow();
        List<String> running = requestMany(c, 6, i -> old.index);
        assertTrue(c.time.runUntil(() -> c.ledger.appliedIntents().size() >= 3, 1_000) >= 0);
        long oldTerm = old.consensus.term();
        long t0 = c.time.nowMs();
        boolean[] handedOver = {false};
        old.consensus.handOver().whenComplete((v, e) -> handedOver[0] = e == null);
        long at = c.time.runUntil(() -> c.leader().map(l -> l != old && l.consensus.term() > oldTerm)
                .orElse(false), 2_000);
        assertTrue(at >= 0);
        System.out.println("hand-over: new leader " + (at - t0) + " ms (virtual) after handOver(), actions"
                + " drained first");
        assertTrue(at - t0 < 250, "hand-over took " + (at - t0) + " ms");
        c.time.runFor(200);
        assertTrue(handedOver[0]);
        for (String id : running) {
            assertTrue(old.crdt.outcome(id).isPresent() || c.ledger.performs(id) == 0,
                    id + ": started by the old leader, so finished by it before the hand-over");
        }
        assertTrue(c.time.runUntil(() -> c.allAliveHaveOutcomes(running), 3_000) >= 0);
        assertEquals(List.of(), c.ledger.performedMoreThanOnce());
        running.forEach(id -> assertEquals(0, c.ledger.reconciles(id), id + " needed no reconciliation"));
        old.consensus.stop();
        c.time.runFor(100);
        c.kill(old.index);
        List<String> ids = requestMany(c, 5, i -> (old.index + 1) % 3);
        assertTrue(c.time.runUntil(() -> c.allAliveHaveOutcomes(ids), 3_000) >= 0);
        assertTrue(c.termsWithTwoLeaders().isEmpty());
    }

    @Test
    void laggingNodeCatchesUpFromASnapshot() {
        ConsensusConfig config = ConsensusConfig.defaults().withCommitCountToTakeSnapshot(20);
        SimCluster c = new SimCluster(3, 21, config, null).start();
        c.awaitLeader(5_000);
        SimCluster.SimNode leader = c.leader().orElseThrow();
        int lagging = (leader.index + 1) % 3;
        c.kill(lagging);
        List<String> ids = requestMany(c, 40, i -> leader.index);
        assertTrue(c.time.runUntil(() -> c.allAliveHaveOutcomes(ids), 10_000) >= 0);
        assertTrue(c.report(leader).getLog().getTakeSnapshotCount() > 0);

        c.restart(lagging);
        assertTrue(c.time.runUntil(() -> c.node(lagging).consensus.journal().completedCount() == 40, 5_000) >= 0,
                "caught up");
        assertTrue(c.report(c.node(lagging)).getLog()
                .getInstallSnapshotCount() > 0, "through InstallSnapshot");
        assertEquals(leader.consensus.journal().entries(), c.node(lagging).consensus.journal().entries());
    }

    @Test
    void restartFromSqlitePreservesTermVoteAndLog(@TempDir Path dir) throws Exception {
        SimCluster c = new SimCluster(3, 31, ConsensusConfig.defaults(), dir).start();
        c.awaitLeader(5_000);
        List<String> ids = requestMany(c, 10, i -> i % 3);
        assertTrue(c.time.runUntil(() -> c.allAliveHaveOutcomes(ids), 5_000) >= 0);
        SimCluster.SimNode leader = c.leader().orElseThrow();
        SimCluster.SimNode follower = c.node((leader.index + 1) % 3);
        int term = follower.consensus.raftNode().getTerm().getTerm();
        RaftEndpoint voted = follower.consensus.raftNode().getTerm().getVotedEndpoint();
        c.time.runFor(200); // the follower has the last commit index

        c.kill(follower.index); // rollback of anything unflushed, like a crash
        try (SqliteRaftStore reopened = SqliteRaftStore.open(dir.resolve("n" + follower.index).resolve("raft.db"),
                new RaftCodec())) {
            RestoredRaftState restored = reopened.restore().orElseThrow();
            assertEquals(MeshEndpoint.of(follower.id), restored.getLocalEndpointPersistentState().getLocalEndpoint());
            assertEquals(term, restored.getTermPersistentState().getTerm());
            assertEquals(voted, restored.getTermPersistentState().getVotedFor());
            long claims = restored.getLogEntries().stream().map(LogEntry::getOperation)
                    .filter(op -> op instanceof Claim).count();
            long completes = restored.getLogEntries().stream().map(LogEntry::getOperation)
                    .filter(op -> op instanceof Complete).count();
            assertEquals(10, claims);
            assertEquals(10, completes);
        }
        c.restart(follower.index);
        assertTrue(c.time.runUntil(() -> follower.consensus.journal().completedCount() == 10, 3_000) >= 0);

        // Now the whole cluster crashes and comes back from its SQLite files.
        long termBefore = c.leader().orElseThrow().consensus.term();
        for (int i = 0; i < 3; i++) {
            c.kill(i);
        }
        for (int i = 0; i < 3; i++) {
            c.restart(i);
        }
        assertTrue(c.awaitLeader(5_000) >= 0);
        assertTrue(c.leader().orElseThrow().consensus.term() > termBefore);
        List<String> more = List.of("job-after-restart-1", "job-after-restart-2");
        more.forEach(id -> c.node(0).request(id, "job"));
        assertTrue(c.time.runUntil(() -> c.allAliveHaveOutcomes(more)
                && c.nodes.stream().allMatch(nd -> nd.consensus.journal().completedCount() == 12), 5_000) >= 0);
        for (String id : ids) {
            assertEquals(1, c.ledger.performs(id), id + " ran again after the restart");
        }
        for (SimCluster.SimNode nd : c.nodes) {
            nd.consensus.stop();
        }
        c.time.runFor(100);
        for (SimCluster.SimNode nd : c.nodes) {
            nd.store.close();
        }
    }

    @Test
    void refusesMalformedForeignAndImpersonatingMessages() {
        SimCluster c = new SimCluster(3, 1).start();
        c.awaitLeader(5_000);
        SimCluster.SimNode a = c.node(0);
        SimCluster.SimNode b = c.node(1);
        RaftCodec codec = new RaftCodec();
        byte[] fromB = codec.encodeMessage(codec.modelFactory().createVoteResponseBuilder().setGroupId(
                SimCluster.GROUP).setSender(MeshEndpoint.of(b.id)).setTerm(1).setGranted(true).build());
        byte[] otherGroup = codec.encodeMessage(codec.modelFactory().createVoteResponseBuilder().setGroupId(
                "another-agent").setSender(MeshEndpoint.of(b.id)).setTerm(1).setGranted(true).build());
        CodecException impersonation = assertThrows(CodecException.class,
                () -> a.consensus.handle(c.node(2).id, fromB));
        assertTrue(impersonation.getMessage().contains("claims to come from"));
        assertThrows(CodecException.class, () -> a.consensus.handle(b.id, otherGroup));
        assertThrows(CodecException.class, () -> a.consensus.handle(b.id, new byte[] {1, 9, 9}));
        a.consensus.handle(b.id, fromB); // well formed and attributed: accepted (and ignored by Raft)
        c.time.runFor(500);
        assertTrue(c.stableLeader().isPresent());
    }

    @Test
    void storeFailureStopsTheNode() {
        SimCluster c = new SimCluster(3, 2).start();
        c.awaitLeader(5_000);
        SimCluster.SimNode leader = c.leader().orElseThrow();
        ((InMemoryRaftStore) leader.store).failWith(new java.io.IOException("disk on fire"));
        leader.request("job-x", "job");
        c.time.runFor(2_000);
        assertNotNull(leader.fatal, "onFatal was called");
        assertTrue(leader.fatal.contains("disk on fire"));
        assertEquals("STOPPED", leader.consensus.status().role());
        // The others carry on without it.
        Optional<SimCluster.SimNode> next = c.leader();
        assertTrue(next.isPresent() && next.get() != leader);
        assertTrue(c.time.runUntil(() -> c.ledger.applied("job-x"), 2_000) >= 0);
        assertEquals(1, c.ledger.performs("job-x"));
    }

    @Test
    void sameSeedSameHistory() {
        assertEquals(history(77), history(77));
    }

    private static List<String> history(long seed) {
        SimCluster c = new SimCluster(5, seed).start();
        c.awaitLeader(5_000);
        List<String> ids = requestMany(c, 10, i -> i % 5);
        c.time.runFor(300);
        c.kill(c.leader().orElseThrow().index);
        c.time.runUntil(() -> c.allAliveHaveOutcomes(ids), 5_000);
        List<String> h = new ArrayList<>();
        c.leaderEvents.forEach(e -> h.add(e.toString()));
        c.ledger.calls().forEach(call -> h.add(call.toString()));
        h.add("delivered=" + c.delivered + " now=" + c.time.nowMs() + " events=" + c.time.executed());
        return h;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    interface NodeChooser {
        int node(int i);
    }

    static List<String> requestMany(SimCluster c, int count, NodeChooser at) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String kind = i % 2 == 0 ? "job" : "wallet";
            String id = String.format("%s-%03d", kind, i);
            ids.add(id);
            c.node(at.node(i)).request(id, kind);
        }
        return ids;
    }

    static void assertOutcomesAgree(SimCluster c, List<String> ids) {
        Map<String, Outcome> reference = null;
        for (SimCluster.SimNode n : c.nodes) {
            if (!n.alive) {
                continue;
            }
            Map<String, Outcome> mine = new java.util.TreeMap<>();
            ids.forEach(id -> mine.put(id, n.crdt.outcome(id).orElseThrow()));
            if (reference == null) {
                reference = mine;
            } else {
                assertEquals(reference, mine);
            }
        }
    }
}
