package io.agentmesh.sim.run;

import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.node.consensus.ConsensusNode;
import io.agentmesh.node.llm.ErrorClass;
import io.agentmesh.node.llm.Usage;
import io.agentmesh.node.llm.config.Budget;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LlmLedger;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The LLM call ledger in whole simulated clusters: operations committed through the leader are applied by every
 * member (through the real codec on the wire and on the Raft disks), a lagging member catches up through a snapshot
 * carrying the ledger, and a call left open by a killed leader is settled in doubt by the next.
 */
class LedgerClusterTest {
    private static final Target GPT = new Target("openai", "gpt-4o");
    private static final long NOON = 1_796_299_200_000L;
    private static final List<Budget> DAY_LIMIT = List.of(new Budget(Optional.empty(), Optional.empty(),
            Budget.Period.DAY, 1_000_000, Budget.Enforcement.HARD));

    /** Submits on node {@code n}'s thread and runs virtual time until the ledger answers. */
    private static LedgerResult submit(Cluster c, SimNode n, LedgerOp op) {
        CompletableFuture<LedgerResult> f = new CompletableFuture<>();
        n.scheduler().execute(() -> n.consensus().submitLedger(op).whenComplete((r, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(r);
            }
        }));
        return c.await("the ledger's answer to " + op, f);
    }

    private static FencingToken open(Cluster c, SimNode leader, String id) {
        LedgerOp.Open op = new LedgerOp.Open(id, c.id(leader).toString(), leader.consensus().term(),
                LedgerOp.Origin.ENDPOINT, NOON);
        return assertInstanceOf(LedgerResult.Opened.class, submit(c, leader, op)).token();
    }

    private static void assertSameLedgers(Cluster c, SimNode reference) {
        LlmLedger expected = reference.consensus().ledger();
        for (SimNode n : c.nodes()) {
            LlmLedger l = n.consensus().ledger();
            assertEquals(expected.openCalls(), l.openCalls(), n.name);
            assertEquals(expected.closedCalls(), l.closedCalls(), n.name);
            assertEquals(expected.spend(), l.spend(), n.name);
            assertEquals(expected.recentEnds(), l.recentEnds(), n.name);
            assertEquals(expected.reservedNanoUsd(), l.reservedNanoUsd(), n.name);
        }
    }

    @Test
    void aCallCommittedOnTheLeaderIsAppliedOnEveryFollower() {
        Cluster c = new Cluster(3, 17);
        SimNode leader = c.awaitStableLeader(5_000);
        FencingToken t = open(c, leader, "call-1");
        assertInstanceOf(LedgerResult.Started.class, submit(c, leader, new LedgerOp.AttemptStart("call-1", t, 1, GPT,
                400_000, DAY_LIMIT, NOON)));
        assertEquals(new LedgerResult.Ended("call-1", 1, 1_234, 0), submit(c, leader, new LedgerOp.AttemptEnd(
                "call-1", t, 1, GPT, Optional.empty(), 200, new Usage(10, 0, 0, 5, 0), true, 1_234, 700, 90, 0,
                "key", NOON + 700)));
        FencingToken u = open(c, leader, "call-2");
        submit(c, leader, new LedgerOp.AttemptStart("call-2", u, 1, GPT, 700_000, DAY_LIMIT, NOON));
        // 1,234 spent + 700,000 reserved: no room for another 300,000 under the 1,000,000 limit.
        FencingToken v = open(c, leader, "call-3");
        LedgerResult refused = submit(c, leader, new LedgerOp.AttemptStart("call-3", v, 1, GPT, 300_000, DAY_LIMIT,
                NOON));
        assertEquals(LedgerResult.Reason.BUDGET_EXCEEDED, assertInstanceOf(LedgerResult.Rejected.class, refused)
                .reason());
        submit(c, leader, new LedgerOp.Close("call-1", t, LedgerOp.CallStatus.ANSWERED, "", NOON + 800));
        c.runUntil("every member applied the close", () -> c.nodes().stream().allMatch(n -> n.consensus().ledger()
                .call("call-1").map(call -> !call.isOpen()).orElse(false)), 2_000);
        assertSameLedgers(c, leader);
        SimNode follower = c.node((leader.index + 1) % 3);
        assertEquals(700_000, follower.consensus().ledger().reservedNanoUsd());
        assertEquals(1_234, follower.consensus().ledger().spend().getFirst().chargedNanoUsd());
        c.finishAndCheck();
    }

    @Test
    void aFollowerRefusesLedgerOperationsAtOnce() {
        Cluster c = new Cluster(3, 18);
        SimNode leader = c.awaitStableLeader(5_000);
        SimNode follower = c.node((leader.index + 1) % 3);
        CompletionException e = assertThrows(CompletionException.class, () -> submit(c, follower,
                new LedgerOp.Open("x", "n", 1, LedgerOp.Origin.ENDPOINT, NOON)));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("leader only"), e.getCause().getMessage());
        assertTrue(follower.consensus().ledger().openCalls().isEmpty());
        c.finishAndCheck();
    }

    @Test
    void aLaggingMemberCatchesUpOnTheLedgerThroughARaftSnapshot() {
        Cluster c = new Cluster(Cluster.quiet(3, 23).withRaft(ConsensusConfig.defaults()
                .withCommitCountToTakeSnapshot(20)), 200);
        SimNode leader = c.awaitStableLeader(5_000);
        int lagging = (leader.index + 1) % 3;
        c.kill(lagging);
        for (int i = 0; i < 15; i++) {
            String id = "call-" + i;
            FencingToken t = open(c, leader, id);
            submit(c, leader, new LedgerOp.AttemptStart(id, t, 1, GPT, 1_000, List.of(), NOON + i));
            if (i % 3 != 0) {
                submit(c, leader, new LedgerOp.AttemptEnd(id, t, 1, GPT, Optional.of(ErrorClass.OVERLOADED), 503,
                        Usage.NONE, false, 0, 10, 0, 0, "key", NOON + i));
                submit(c, leader, new LedgerOp.Close(id, t, LedgerOp.CallStatus.FAILED, "overloaded", NOON + i));
            }
        }
        assertTrue(c.await("a report", leader.consensus().raftNode().getReport()).getResult().getLog()
                .getTakeSnapshotCount() > 0, "the leader took a snapshot");
        c.restart(lagging);
        c.runUntil("the restarted member's ledger matches the leader's", () -> c.node(lagging).consensus() != null
                && c.node(lagging).consensus().ledger().spend().equals(leader.consensus().ledger().spend())
                && c.node(lagging).consensus().ledger().openCalls().size() == 5, 5_000);
        assertTrue(c.await("a report", c.node(lagging).consensus().raftNode().getReport()).getResult().getLog()
                .getInstallSnapshotCount() > 0, "through InstallSnapshot");
        assertSameLedgers(c, leader);
        c.finishAndCheck();
    }

    @Test
    void theNextLeaderSettlesACallItsKilledLeaderLeftOpenAndEveryMemberSeesItInDoubt() {
        Cluster c = new Cluster(3, 19);
        SimNode old = c.awaitStableLeader(5_000);
        FencingToken t = open(c, old, "call-1");
        submit(c, old, new LedgerOp.AttemptStart("call-1", t, 1, GPT, 5_000, List.of(), NOON));
        c.runUntil("every member applied the start", () -> c.nodes().stream().allMatch(n -> n.consensus().ledger()
                .reservedNanoUsd() == 5_000), 2_000);
        c.kill(old.index);
        SimNode next = c.awaitStableLeader(5_000);
        assertTrue(next != old && next.consensus().term() > t.term(), c.state());
        LedgerResult settled = submit(c, next, new LedgerOp.Settle("call-1", c.id(next).toString(),
                next.consensus().term(), NOON + 60_000));
        assertEquals(new LedgerResult.Settled("call-1", 1, 5_000), settled);
        c.restart(old.index);
        c.runUntil("every member settled it", () -> c.nodes().stream().allMatch(n -> n.consensus() != null
                && n.consensus().ledger().call("call-1").map(call -> !call.isOpen()).orElse(false)), 5_000);
        for (SimNode n : c.nodes()) {
            assertEquals(5_000, n.consensus().ledger().spend().getFirst().inDoubtNanoUsd(), n.name);
            assertEquals(1, n.consensus().ledger().spend().getFirst().callsInDoubt(), n.name);
            assertEquals(0, n.consensus().ledger().reservedNanoUsd(), n.name);
        }
        c.finishAndCheck();
    }
}
