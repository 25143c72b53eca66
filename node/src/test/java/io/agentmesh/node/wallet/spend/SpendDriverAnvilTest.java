package io.agentmesh.node.wallet.spend;

import io.agentmesh.node.wallet.chain.Anvil;
import io.agentmesh.node.wallet.chain.ChainClient;
import io.agentmesh.node.wallet.chain.Eip1559Tx;
import io.agentmesh.node.wallet.ledger.Spend;
import io.agentmesh.node.wallet.ledger.SpendState;
import io.agentmesh.node.wallet.ledger.WalletOp;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spend driver on a real chain (anvil), with the real wallet ledger shared by nodes that lead it in turn. Each
 * failover test kills the leader at one step of the protocol (the node dies right after the step's operation
 * commits) and checks the chain's whole history against the ledger: one transaction per idempotency key, no nonce
 * abandoned.
 */
class SpendDriverAnvilTest {
    @TempDir
    Path home;
    @AutoClose
    WalletWorld world;

    private Spend spendByKey(String key) throws Exception {
        return world.onNodeThread(() -> world.ledger.spendByKey(key)).orElseThrow();
    }

    private void awaitState(String key, SpendState state) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
                world.onNodeThread(() -> world.ledger.spendByKey(key)).map(Spend::state).orElse(null) == state);
    }

    @Test
    void aSpendIsClaimedPreparedBroadcastAndCompletedWithItsHashAndBlock() throws Exception {
        world = new WalletWorld(home);
        var a = world.leader("a", 1);
        BigInteger before = world.chain.balanceWei(Anvil.ADDRESS2, ChainClient.BlockTag.LATEST);
        Spend s = a.service().spend(WalletWorld.request("pay-1", Anvil.ADDRESS2, "0.25", 30_000), "test");
        assertEquals(SpendState.COMPLETED, s.state());
        assertEquals(0, s.nonce().getAsLong());
        assertEquals(1, s.variants().size());
        assertTrue(s.inclusion().get().blockNumber() > 0);
        assertEquals(before.add(new BigInteger("250000000000000000")),
                world.chain.balanceWei(Anvil.ADDRESS2, ChainClient.BlockTag.LATEST));
        // The same key again: the same spend, nothing new on the chain.
        Spend again = a.service().spend(WalletWorld.request("pay-1", Anvil.ADDRESS2, "0.25", 1_000), "test");
        assertEquals(s.id(), again.id());
        var conflict = assertThrows(WalletService.WalletException.class, () -> a.service().spend(
                WalletWorld.request("pay-1", Anvil.ADDRESS2, "0.5", 1_000), "test"));
        assertEquals("IDEMPOTENCY_CONFLICT", conflict.code());
        world.checkChainAgainstLedger();
        assertEquals(1, world.chainHistory().size());
    }

    @Test
    void aLeaderKilledAfterThePrepareCommitsIsReplacedAndTheSameBytesAreMinedOnce() throws Exception {
        world = new WalletWorld(home);
        var a = world.leader("a", 1);
        a.access().crashAfter(op -> op instanceof WalletOp.Prepare);
        Thread t = Thread.ofVirtual().start(() -> {
            try {
                a.service().spend(WalletWorld.request("k-prepare", Anvil.ADDRESS2, "1", 0), "test");
            } catch (WalletService.WalletException e) {
                throw new AssertionError(e);
            }
        });
        t.join();
        await().atMost(Duration.ofSeconds(20)).until(() -> a.access().dead());
        a.stop();
        Spend prepared = spendByKey("k-prepare");
        assertEquals(SpendState.PREPARED, prepared.state());
        assertTrue(world.chain.receipt(prepared.variants().getFirst().hash()).isEmpty(),
                "the dead leader never broadcast");
        var b = world.leader("b", 2);
        awaitState("k-prepare", SpendState.COMPLETED);
        Spend done = spendByKey("k-prepare");
        assertEquals(prepared.variants().getFirst().hash(), done.inclusion().get().hash(),
                "the committed bytes of the dead leader were mined");
        b.stop();
        world.checkChainAgainstLedger();
    }

    @Test
    void aPartitionedLeaderNeverBroadcastsItsUncommittedPrepareAndOnlyTheNewLeadersBytesReachTheChain()
            throws Exception {
        world = new WalletWorld(home);
        var sentByA = new RecordingChainClient(world.chain);
        var sentByB = new RecordingChainClient(world.chain);
        var a = world.leader("a", 1, true, world.config(c -> { }), sentByA);
        a.access().partitionAt(op -> op instanceof WalletOp.Prepare);
        a.service().spend(WalletWorld.request("k-partition", Anvil.ADDRESS2, "1", 0), "test");
        await().atMost(Duration.ofSeconds(20)).until(() -> !a.access().held().isEmpty());
        var aPrepare = (WalletOp.Prepare) a.access().held().getFirst().op();
        assertEquals(0, aPrepare.nonce());
        assertEquals(SpendState.CLAIMED, spendByKey("k-partition").state(), "the cut-off leader's prepare never committed");

        // The majority elects b; a different base fee makes b sign different bytes for the same nonce.
        world.anvil.rpc("anvil_setNextBlockBaseFeePerGas", "0x" + BigInteger.valueOf(5_000_000_000L).toString(16));
        world.anvil.mine();
        var b = world.leader("b", 2, true, world.config(c -> { }), sentByB);
        awaitState("k-partition", SpendState.COMPLETED);
        Spend done = spendByKey("k-partition");
        assertEquals(0, done.nonce().getAsLong());
        assertEquals(1, done.variants().size());
        String committed = done.variants().getFirst().hash();
        assertFalse(committed.equals(aPrepare.hash()), "b signed other bytes for nonce 0 than a did");
        assertEquals(committed, done.inclusion().orElseThrow().hash());

        // a, still alive and still believing it leads, keeps running rounds until the partition heals.
        long roundsBefore = a.driver().status().rounds();
        await().atMost(Duration.ofSeconds(20)).until(() -> a.driver().status().rounds() > roundsBefore + 2);
        a.access().healAndStepDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> !a.driver().status().leading());
        // Had a's entry reached the log after all, the ledger would refuse it: the nonce is taken, the term is old.
        var late = world.onNodeThread(() -> world.ledger.apply(world.index.incrementAndGet(), aPrepare));
        assertTrue(late instanceof io.agentmesh.node.wallet.ledger.WalletResult.Refused, "late prepare: " + late);
        a.stop();
        b.stop();

        List<String> sent = new java.util.ArrayList<>(sentByA.sent());
        sent.addAll(sentByB.sent());
        assertFalse(sent.contains(aPrepare.hash()), "the uncommitted bytes were never sent by anyone");
        assertTrue(sent.contains(committed));
        for (String h : sent) {
            assertEquals(committed, h, "every send was of committed bytes");
        }
        assertEquals(Map.of(BigInteger.ZERO, List.of(committed)), world.chainHistory(),
                "one transaction at nonce 0: the committed one");
        world.checkChainAgainstLedger();
    }

    /** Where the leader is cut off from the majority (it stays alive and believes it leads). */
    enum PartitionStep { AFTER_PREPARE_COMMIT, BEFORE_COMPLETE }

    @ParameterizedTest
    @EnumSource(PartitionStep.class)
    void aLeaderPartitionedAtAStepIsReplacedAndTheSpendIsMinedOnceWithOnlyCommittedBytesSent(PartitionStep step)
            throws Exception {
        world = new WalletWorld(home);
        var cfg = world.config(c -> c.put("confirmations", 3));
        var sentByA = new RecordingChainClient(world.chain);
        var sentByB = new RecordingChainClient(world.chain);
        var a = world.leader("a", 1, true, cfg, sentByA);
        String key = "k-part-" + step;
        if (step == PartitionStep.AFTER_PREPARE_COMMIT) {
            world.anvil.automine(false);
            var preparedSeen = new java.util.concurrent.atomic.AtomicBoolean();
            a.access().partitionAt(op -> {
                boolean cut = preparedSeen.get();
                if (op instanceof WalletOp.Prepare) {
                    preparedSeen.set(true);
                }
                return cut;
            });
            a.service().spend(WalletWorld.request(key, Anvil.ADDRESS2, "1", 0), "test");
            awaitState(key, SpendState.PREPARED);
            world.anvil.mine(); // a sees the receipt; its Included never commits
            await().atMost(Duration.ofSeconds(20)).until(() -> !a.access().held().isEmpty());
            world.anvil.automine(true);
        } else {
            a.service().spend(WalletWorld.request(key, Anvil.ADDRESS2, "1", 0), "test");
            awaitState(key, SpendState.INCLUDED);
            a.access().partitionAt(op -> true);
            world.anvil.rpc("anvil_mine", 3); // a sees the depth; its Complete never commits
            await().atMost(Duration.ofSeconds(20)).until(() -> !a.access().held().isEmpty());
        }
        var b = world.leader("b", 2, true, cfg, sentByB);
        world.anvil.rpc("anvil_mine", 3);
        awaitState(key, SpendState.COMPLETED);
        a.access().healAndStepDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> !a.driver().status().leading());
        a.stop();
        b.stop();
        Spend done = spendByKey(key);
        assertEquals(1, done.variants().size());
        List<String> sent = new java.util.ArrayList<>(sentByA.sent());
        sent.addAll(sentByB.sent());
        for (String h : sent) {
            assertTrue(done.variant(h).isPresent(), "sent " + h + ", which is no committed variant");
        }
        world.checkChainAgainstLedger();
        assertEquals(Map.of(BigInteger.ZERO, List.of(done.inclusion().orElseThrow().hash())), world.chainHistory());
    }

    @Test
    void aLeaderKilledAfterTheBroadcastIsReplacedAndTheTransactionIsNotSentTwice() throws Exception {
        world = new WalletWorld(home);
        world.anvil.automine(false);
        var a = world.leader("a", 1);
        a.service().spend(WalletWorld.request("k-broadcast", Anvil.ADDRESS2, "1", 0), "test");
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            Spend s = spendByKey("k-broadcast");
            return s.state() == SpendState.PREPARED
                    && world.anvil.rpc("txpool_content").path("pending").toString().contains(s.variants().getFirst().hash());
        });
        a.access().crashAfter(op -> true);
        a.stop();
        world.anvil.mine();
        var b = world.leader("b", 2);
        awaitState("k-broadcast", SpendState.COMPLETED);
        b.stop();
        world.anvil.mine();
        world.checkChainAgainstLedger();
        assertEquals(1, world.chainHistory().size());
    }

    @Test
    void aLeaderKilledBeforeCompletionLeavesTheCompletionToTheNext() throws Exception {
        world = new WalletWorld(home);
        var cfg = world.config(c -> c.put("confirmations", 3));
        var a = world.leader("a", 1, true, cfg);
        a.service().spend(WalletWorld.request("k-complete", Anvil.ADDRESS2, "1", 0), "test");
        awaitState("k-complete", SpendState.INCLUDED);
        a.access().crashAfter(op -> true);
        a.stop();
        world.anvil.rpc("anvil_mine", 3);
        var b = world.leader("b", 2, true, cfg);
        awaitState("k-complete", SpendState.COMPLETED);
        b.stop();
        world.checkChainAgainstLedger();
    }

    @Test
    void aStuckTransactionIsBumpedWithANewCommittedVariantAndOnlyOneIsMined() throws Exception {
        world = new WalletWorld(home);
        world.anvil.automine(false);
        var a = world.leader("a", 1, true, world.config(c -> c.put("bumpAfterMs", 300)));
        a.service().spend(WalletWorld.request("k-bump", Anvil.ADDRESS2, "0.1", 0), "test");
        await().atMost(Duration.ofSeconds(20)).until(() -> spendByKey("k-bump").variants().size() >= 2);
        Spend bumped = spendByKey("k-bump");
        var v0 = bumped.variants().get(0);
        var v1 = bumped.variants().get(1);
        assertTrue(v1.maxFeePerGasWei().compareTo(v0.maxFeePerGasWei().multiply(BigInteger.valueOf(11))
                .divide(BigInteger.TEN)) >= 0, "the bump raised the max fee by 10% at least");
        world.anvil.mine();
        awaitState("k-bump", SpendState.COMPLETED);
        Spend done = spendByKey("k-bump");
        assertTrue(done.variants().size() >= 2);
        a.stop();
        world.anvil.mine();
        world.checkChainAgainstLedger();
    }

    @Test
    void aNewLeaderWithoutTheKeyFinishesPreparedSpendsAndPreparesNothingNew() throws Exception {
        world = new WalletWorld(home);
        var a = world.leader("a", 1);
        a.access().crashAfter(op -> op instanceof WalletOp.Prepare);
        a.service().spend(WalletWorld.request("k-keyless", Anvil.ADDRESS2, "1", 0), "test");
        await().atMost(Duration.ofSeconds(20)).until(() -> a.access().dead());
        a.stop();
        var cfg = world.config(c -> {
            c.remove("keystore");
            c.put("address", Anvil.ADDRESS0.hex());
        });
        var b = world.leader("b", 2, false, cfg);
        awaitState("k-keyless", SpendState.COMPLETED);
        Spend later = b.service().spend(WalletWorld.request("k-later", Anvil.ADDRESS2, "1", 1_000), "test");
        assertEquals(SpendState.CLAIMED, later.state(), "no key: nothing new is prepared");
        assertFalse(b.driver().status().holdsKey());
        b.stop();
        world.checkChainAgainstLedger();
        var c = world.leader("c", 3);
        awaitState("k-later", SpendState.COMPLETED);
        c.stop();
        world.checkChainAgainstLedger();
    }

    private Spend cancel(WalletWorld.Node n, String key, long waitMs) throws Exception {
        return n.service().cancel(Optional.empty(), Optional.of(key), "alice", waitMs);
    }

    @Test
    void aSpendCancelledBeforeItHasANonceEndsAtNoCost() throws Exception {
        world = new WalletWorld(home);
        var a = world.leader("a", 1, true, world.config(c -> {
            var p = (com.fasterxml.jackson.databind.node.ObjectNode) c.get("policy");
            p.put("approvalAboveEther", "0.5");
        }));
        Spend waiting = a.service().spend(WalletWorld.request("k-cancel-early", Anvil.ADDRESS2, "1", 0), "test");
        assertEquals(SpendState.AWAITING_APPROVAL, waiting.state());
        Spend cancelled = cancel(a, "k-cancel-early", 0);
        assertEquals(SpendState.REJECTED, cancelled.state());
        assertTrue(cancelled.nonce().isEmpty());
        assertEquals(cancelled.id(), cancel(a, "k-cancel-early", 0).id(), "cancelling again answers the same end");
        assertEquals(0, world.nodeThreadRead().nextNonce(), "no nonce was used");
        assertEquals(0, world.chainHistory().size(), "nothing reached the chain");
        var unknown = assertThrows(WalletService.WalletException.class, () -> cancel(a, "k-nobody", 0));
        assertEquals("UNKNOWN_SPEND", unknown.code());
    }

    @Test
    void aPreparedSpendIsCancelledByAZeroValueSelfTransferAtItsNonce() throws Exception {
        world = new WalletWorld(home);
        world.anvil.automine(false);
        var a = world.leader("a", 1);
        BigInteger before = world.chain.balanceWei(Anvil.ADDRESS2, ChainClient.BlockTag.LATEST);
        a.service().spend(WalletWorld.request("k-cancel", Anvil.ADDRESS2, "1", 0), "test");
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            Spend s = spendByKey("k-cancel");
            return s.state() == SpendState.PREPARED
                    && world.anvil.rpc("txpool_content").path("pending").toString().contains(s.variants().getFirst().hash());
        });
        Spend cancelling = cancel(a, "k-cancel", 0);
        assertEquals(2, cancelling.variants().size());
        var cancelVariant = cancelling.variants().get(1);
        assertEquals(io.agentmesh.node.wallet.ledger.VariantKind.CANCEL, cancelVariant.kind());
        await().atMost(Duration.ofSeconds(20)).until(() -> world.anvil.rpc("txpool_content").path("pending").toString()
                .contains(cancelVariant.hash()));
        world.anvil.mine();
        awaitState("k-cancel", SpendState.CANCELLED);
        Spend done = spendByKey("k-cancel");
        assertEquals(cancelVariant.hash(), done.inclusion().orElseThrow().hash(), "the cancel variant was mined");
        assertEquals(before, world.chain.balanceWei(Anvil.ADDRESS2, ChainClient.BlockTag.LATEST),
                "the recipient got nothing");
        var tx = world.chain.transactions(done.inclusion().get().blockNumber()).getFirst();
        assertEquals(Anvil.ADDRESS0, tx.to().orElseThrow(), "a transfer to the wallet itself");
        a.stop();
        world.anvil.mine();
        world.checkChainAgainstLedger();
        assertEquals(Map.of(BigInteger.ZERO, List.of(cancelVariant.hash())), world.chainHistory());
    }

    @Test
    void aCancelThatLosesTheRaceToTheOriginalReportsTheSpendCompleted() throws Exception {
        world = new WalletWorld(home);
        world.anvil.automine(false);
        var a = world.leader("a", 1, true, world.config(c -> c.put("confirmations", 3)));
        a.service().spend(WalletWorld.request("k-race", Anvil.ADDRESS2, "1", 0), "test");
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            Spend s = spendByKey("k-race");
            return s.state() == SpendState.PREPARED
                    && world.anvil.rpc("txpool_content").path("pending").toString().contains(s.variants().getFirst().hash());
        });
        String original = spendByKey("k-race").variants().getFirst().hash();
        world.anvil.mine(); // the original is mined before the cancel is asked for
        awaitState("k-race", SpendState.INCLUDED);
        Spend racing = cancel(a, "k-race", 0);
        assertEquals(io.agentmesh.node.wallet.ledger.VariantKind.CANCEL, racing.variants().getLast().kind(),
                "the cancel variant is committed all the same");
        world.anvil.rpc("anvil_mine", 3);
        awaitState("k-race", SpendState.COMPLETED);
        Spend done = spendByKey("k-race");
        assertEquals(original, done.inclusion().orElseThrow().hash(), "the original was mined, and it says so");
        assertEquals(SpendState.COMPLETED, cancel(a, "k-race", 0).state(), "a later cancel reports it completed");
        a.stop();
        world.anvil.mine();
        world.checkChainAgainstLedger();
        assertEquals(Map.of(BigInteger.ZERO, List.of(original)), world.chainHistory());
    }

    @Test
    void policyViolationsAreRefusedAndChangeNothing() throws Exception {
        world = new WalletWorld(home);
        var a = world.leader("a", 1, true, world.config(c -> {
            var p = (com.fasterxml.jackson.databind.node.ObjectNode) c.get("policy");
            p.put("perTxCapEther", "1");
            p.putArray("allowedRecipients").add(Anvil.ADDRESS2.hex());
        }));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.driver().status().reconciled());
        var overCap = assertThrows(WalletService.WalletException.class,
                () -> a.service().spend(WalletWorld.request("k-cap", Anvil.ADDRESS2, "1.5", 0), "test"));
        assertEquals("OVER_PER_TX_CAP", overCap.code());
        var notAllowed = assertThrows(WalletService.WalletException.class,
                () -> a.service().spend(WalletWorld.request("k-who", Anvil.ADDRESS1, "0.1", 0), "test"));
        assertEquals("RECIPIENT_NOT_ALLOWED", notAllowed.code());
        assertTrue(world.onNodeThread(() -> world.ledger.spendByKey("k-cap")).isEmpty());
        assertEquals(0, world.chainHistory().size());
    }

    @Test
    void aSpendAboveTheApprovalThresholdWaitsForAHumanAndExpiresUnapproved() throws Exception {
        world = new WalletWorld(home);
        var a = world.leader("a", 1, true, world.config(c -> {
            var p = (com.fasterxml.jackson.databind.node.ObjectNode) c.get("policy");
            p.put("approvalAboveEther", "0.5");
            p.put("approvalTimeoutMs", 1_500);
        }));
        Spend waiting = a.service().spend(WalletWorld.request("k-approve", Anvil.ADDRESS2, "1", 0), "test");
        assertEquals(SpendState.AWAITING_APPROVAL, waiting.state());
        a.service().approve(waiting.id(), "alice");
        awaitState("k-approve", SpendState.COMPLETED);
        Spend expiring = a.service().spend(WalletWorld.request("k-expire", Anvil.ADDRESS2, "2", 0), "test");
        assertEquals(SpendState.AWAITING_APPROVAL, expiring.state());
        awaitState("k-expire", SpendState.EXPIRED);
        var late = assertThrows(WalletService.WalletException.class, () -> a.service().approve(expiring.id(), "bob"));
        assertEquals("WRONG_STATE", late.code());
        world.checkChainAgainstLedger();
        assertEquals(1, world.chainHistory().size(), "the expired spend cost nothing on the chain");
    }

    @Test
    void foreignUseOfTheKeyFreezesTheWallet() throws Exception {
        world = new WalletWorld(home);
        var a = world.leader("a", 1);
        a.service().spend(WalletWorld.request("k-first", Anvil.ADDRESS2, "0.1", 30_000), "test");
        // Someone else signs with the same key at the next nonce.
        BigInteger n = world.chain.transactionCount(Anvil.ADDRESS0, ChainClient.BlockTag.LATEST);
        var foreign = world.signer.sign(new Eip1559Tx(31337, n, BigInteger.valueOf(21_000), Anvil.ADDRESS1,
                BigInteger.ONE, new byte[0], BigInteger.valueOf(1_000_000_000L), BigInteger.valueOf(10_000_000_000L)));
        world.chain.sendRawTransaction(foreign.raw());
        await().atMost(Duration.ofSeconds(10)).until(() -> world.onNodeThread(() ->
                world.ledger.status(System.currentTimeMillis()).frozen()));
        assertTrue(world.onNodeThread(() -> world.ledger.status(0).frozenReason().orElse(""))
                .contains("outside agentmesh"));
        var refused = assertThrows(WalletService.WalletException.class,
                () -> a.service().spend(WalletWorld.request("k-after", Anvil.ADDRESS2, "0.1", 0), "test"));
        assertEquals("FROZEN", refused.code());
    }

    @Test
    void anEndpointOnAnotherChainFreezesTheWalletBeforeAnythingIsSigned() throws Exception {
        world = new WalletWorld(home, "--chain-id", "5");
        var a = world.leader("a", 1);
        await().atMost(Duration.ofSeconds(10)).until(() -> world.onNodeThread(() ->
                world.ledger.status(0).frozen()));
        assertTrue(world.onNodeThread(() -> world.ledger.status(0).frozenReason().orElse("")).contains("chain 5"));
        assertEquals(0, world.chainHistory().size());
    }
}
