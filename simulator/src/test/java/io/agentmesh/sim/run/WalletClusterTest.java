package io.agentmesh.sim.run;

import io.agentmesh.node.consensus.ConsensusConfig;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.SpendState;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletOps;
import io.agentmesh.node.wallet.ledger.WalletResult;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import static io.agentmesh.node.wallet.ledger.WalletOps.BOB;
import static io.agentmesh.node.wallet.ledger.WalletOps.NOON;
import static io.agentmesh.node.wallet.ledger.WalletOps.milliEth;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The wallet ledger in whole simulated clusters: operations committed through the leader are applied by every member
 * (through the real codec on the wire and on the Raft disks), a follower refuses them, a lagging member catches up
 * through a snapshot carrying the wallet, and after the leader is killed between prepare and broadcast the next
 * leader finds the same committed bytes and cannot allocate the nonce again.
 */
class WalletClusterTest {
    /** Submits on node {@code n}'s thread and runs virtual time until the wallet ledger answers. */
    private static WalletResult submit(Cluster c, SimNode n, WalletOp op) {
        CompletableFuture<WalletResult> f = new CompletableFuture<>();
        n.scheduler().execute(() -> n.consensus().submitWallet(op).whenComplete((r, e) -> {
            if (e != null) {
                f.completeExceptionally(e);
            } else {
                f.complete(r);
            }
        }));
        return c.await("the wallet's answer to " + op, f);
    }

    private static String node(Cluster c, SimNode n) {
        return c.id(n).toString();
    }

    private static void ready(Cluster c, SimNode leader, long chainNonce) {
        long term = leader.consensus().term();
        assertInstanceOf(WalletResult.Synced.class, submit(c, leader, new WalletOp.SyncChain(node(c, leader), term,
                WalletOps.CHAIN, WalletOps.WALLET, chainNonce, NOON)));
        assertInstanceOf(WalletResult.PolicySet.class, submit(c, leader, new WalletOp.SetPolicy(node(c, leader), term,
                WalletOps.policy(), NOON)));
    }

    private static Spend claim(Cluster c, SimNode leader, String key, long milliEth) {
        WalletOp.Claim op = new WalletOp.Claim(node(c, leader), leader.consensus().term(), key, BOB,
                milliEth(milliEth), "0x", WalletOps.GAS, WalletOps.gwei(50), "api", NOON);
        return assertInstanceOf(WalletResult.Claimed.class, submit(c, leader, op)).spend();
    }

    private static WalletResult prepare(Cluster c, SimNode leader, Spend s, long nonce) {
        return submit(c, leader, WalletOps.prepare(s, nonce, 2, 40, s.to(), s.valueWei(), s.data(),
                io.agentmesh.node.wallet.ledger.VariantKind.TRANSFER, leader.consensus().term()));
    }

    private static String view(WalletLedger l) {
        List<Spend> all = new ArrayList<>(l.openSpends());
        all.addAll(l.endedSpends(Integer.MAX_VALUE));
        return l.status(NOON) + "|" + all;
    }

    private static void assertSameWallets(Cluster c, SimNode reference) {
        String expected = view(reference.consensus().wallet());
        for (SimNode n : c.nodes()) {
            assertEquals(expected, view(n.consensus().wallet()), n.name);
        }
    }

    @Test
    void aWalletOperationCommittedOnTheLeaderIsAppliedOnEveryFollower() {
        Cluster c = new Cluster(3, 31);
        SimNode leader = c.awaitStableLeader(5_000);
        ready(c, leader, 5);
        Spend s = claim(c, leader, "pay-1", 100);
        Spend p = assertInstanceOf(WalletResult.Prepared.class, prepare(c, leader, s, 5)).spend();
        String hash = p.variants().getFirst().hash();
        assertInstanceOf(WalletResult.Included.class, submit(c, leader, new WalletOp.Included(node(c, leader),
                leader.consensus().term(), s.id(), hash, 9, "0x" + "b".repeat(64), true, NOON)));
        assertInstanceOf(WalletResult.Completed.class, submit(c, leader, new WalletOp.Complete(node(c, leader),
                leader.consensus().term(), s.id(), hash, WalletOps.GAS, WalletOps.gwei(30), NOON)));
        c.runUntil("every member applied the completion", () -> c.nodes().stream().allMatch(n -> n.consensus()
                .wallet().spend(s.id()).map(x -> x.state() == SpendState.COMPLETED).orElse(false)), 2_000);
        assertSameWallets(c, leader);
        SimNode follower = c.node((leader.index + 1) % 3);
        assertEquals(6, follower.consensus().wallet().status(NOON).nextNonce());
        assertEquals(milliEth(100).add(java.math.BigInteger.valueOf(WalletOps.GAS).multiply(WalletOps.gwei(30))),
                follower.consensus().wallet().status(NOON).spentWei());
        c.finishAndCheck();
    }

    @Test
    void aFollowerRefusesWalletOperationsAtOnce() {
        Cluster c = new Cluster(3, 32);
        SimNode leader = c.awaitStableLeader(5_000);
        SimNode follower = c.node((leader.index + 1) % 3);
        CompletionException e = assertThrows(CompletionException.class, () -> submit(c, follower,
                new WalletOp.SetPolicy("n", 1, WalletOps.policy(), NOON)));
        assertInstanceOf(IllegalStateException.class, e.getCause());
        assertTrue(e.getCause().getMessage().contains("leader only"), e.getCause().getMessage());
        assertTrue(follower.consensus().wallet().status(NOON).policy().isEmpty());
        c.finishAndCheck();
    }

    @Test
    void aLaggingMemberCatchesUpOnTheWalletThroughARaftSnapshot() {
        Cluster c = new Cluster(Cluster.quiet(3, 33).withRaft(ConsensusConfig.defaults()
                .withCommitCountToTakeSnapshot(20)), 200);
        SimNode leader = c.awaitStableLeader(5_000);
        int lagging = (leader.index + 1) % 3;
        c.kill(lagging);
        ready(c, leader, 0);
        for (int i = 0; i < 12; i++) {
            Spend s = claim(c, leader, "pay-" + i, 10);
            if (i % 2 == 0) {
                assertInstanceOf(WalletResult.Prepared.class, prepare(c, leader, s, i / 2));
            }
        }
        assertTrue(c.await("a report", leader.consensus().raftNode().getReport()).getResult().getLog()
                .getTakeSnapshotCount() > 0, "the leader took a snapshot");
        c.restart(lagging);
        c.runUntil("the restarted member's wallet matches the leader's", () -> c.node(lagging).consensus() != null
                && view(c.node(lagging).consensus().wallet()).equals(view(leader.consensus().wallet())), 5_000);
        assertTrue(c.await("a report", c.node(lagging).consensus().raftNode().getReport()).getResult().getLog()
                .getInstallSnapshotCount() > 0, "through InstallSnapshot");
        assertEquals(6, c.node(lagging).consensus().wallet().status(NOON).nextNonce());
        c.finishAndCheck();
    }

    @Test
    void theNextLeaderFindsTheKilledLeadersCommittedBytesAndCannotGiveTheNonceToAnotherSpend() {
        Cluster c = new Cluster(3, 34);
        SimNode old = c.awaitStableLeader(5_000);
        ready(c, old, 3);
        Spend a = claim(c, old, "pay-a", 10);
        Spend b = claim(c, old, "pay-b", 20);
        Spend prepared = assertInstanceOf(WalletResult.Prepared.class, prepare(c, old, a, 3)).spend();
        c.runUntil("every member applied the prepare", () -> c.nodes().stream().allMatch(n -> n.consensus().wallet()
                .status(NOON).nextNonce() == 4), 2_000);
        long oldTerm = old.consensus().term();
        c.kill(old.index); // after the prepare committed, before any broadcast
        SimNode next = c.awaitStableLeader(5_000);
        assertTrue(next != old && next.consensus().term() > oldTerm, c.state());
        List<Spend> open = next.consensus().wallet().openSpends();
        assertEquals(prepared.variants(), open.getFirst().variants(), "the same committed bytes to broadcast");
        // The new leader signed b for nonce 3 from a stale view: refused, the nonce is a's.
        WalletResult.Refused refused = assertInstanceOf(WalletResult.Refused.class, prepare(c, next, b, 3));
        assertEquals(WalletResult.Reason.WRONG_NONCE, refused.reason());
        // A late operation of the old leader's term is refused as stale once the new term has applied one.
        assertInstanceOf(WalletResult.Prepared.class, prepare(c, next, b, 4));
        WalletOp late = WalletOps.prepare(a, 3, 3, 44, a.to(), a.valueWei(), a.data(),
                io.agentmesh.node.wallet.ledger.VariantKind.TRANSFER, prepared.claimTerm());
        assertEquals(WalletResult.Reason.STALE_TERM, assertInstanceOf(WalletResult.Refused.class,
                submit(c, next, late)).reason());
        c.restart(old.index);
        c.runUntil("every member agrees", () -> c.nodes().stream().allMatch(n -> n.consensus() != null
                && n.consensus().wallet().status(NOON).nextNonce() == 5), 5_000);
        assertSameWallets(c, next);
        c.finishAndCheck();
    }
}
