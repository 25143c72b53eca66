package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.ActionJournal;
import io.agentmesh.node.actions.FencingToken;
import io.agentmesh.node.actions.JournalOp.Claim;
import io.agentmesh.node.actions.JournalResult;
import io.agentmesh.node.actions.JournalSnapshotChunk;
import io.agentmesh.node.llm.config.Target;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LedgerSnapshotChunk;
import io.agentmesh.node.llm.ledger.LlmLedger;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletOps;
import io.agentmesh.node.wallet.ledger.WalletResult;
import io.agentmesh.node.wallet.ledger.WalletSnapshotChunk;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A server's state machine routes each operation to its part, and snapshots carry all three parts or change nothing. */
class ServerStateMachineTest {
    private static final Target GPT = new Target("openai", "gpt-4o");

    private final ActionJournal journal = new ActionJournal(100);
    private final LlmLedger ledger = new LlmLedger();
    private final WalletLedger wallet = new WalletLedger();
    private final ServerStateMachine machine = new ServerStateMachine(journal, ledger, wallet);

    private void fill() {
        assertInstanceOf(JournalResult.Claimed.class, machine.runOperation(1, new Claim("intent-1", "job", "n", 1)));
        assertInstanceOf(LedgerResult.Opened.class, machine.runOperation(2, new LedgerOp.Open("call-1", "n", 1,
                LedgerOp.Origin.INTENT, 5)));
        assertInstanceOf(LedgerResult.Started.class, machine.runOperation(3, new LedgerOp.AttemptStart("call-1",
                new FencingToken(1, 2), 1, GPT, 40, List.of(), 5)));
        assertInstanceOf(WalletResult.Synced.class, machine.runOperation(4, new WalletOp.SyncChain("n", 1,
                WalletOps.CHAIN, WalletOps.WALLET, 7, WalletOps.NOON)));
        assertInstanceOf(WalletResult.PolicySet.class, machine.runOperation(5, new WalletOp.SetPolicy("n", 1,
                WalletOps.policy(), WalletOps.NOON)));
        assertInstanceOf(WalletResult.Claimed.class, machine.runOperation(6, WalletOps.claim("pay-1", WalletOps.BOB,
                WalletOps.milliEth(10), WalletOps.NOON)));
    }

    @Test
    void eachOperationGoesToItsPart() {
        fill();
        assertTrue(journal.entry("intent-1").isPresent());
        assertEquals(1, ledger.openCalls().size());
        assertEquals(40, ledger.reservedNanoUsd());
        assertEquals(3, ledger.lastApplied());
        assertEquals(1, wallet.openSpends().size());
        assertEquals(6, wallet.lastApplied());
        assertEquals(6, wallet.spendByKey("pay-1").get().id());
    }

    @Test
    void aSnapshotCarriesAllThreePartsThroughTheCodecIntoAnotherMember() {
        fill();
        List<Object> chunks = new ArrayList<>();
        machine.takeSnapshot(6, chunks::add);
        assertTrue(chunks.stream().anyMatch(LedgerSnapshotChunk.class::isInstance));
        assertTrue(chunks.stream().anyMatch(JournalSnapshotChunk.class::isInstance));
        assertTrue(chunks.stream().anyMatch(WalletSnapshotChunk.class::isInstance));
        RaftCodec codec = new RaftCodec();
        List<Object> decoded = chunks.stream().map(c -> codec.decodeOperation(codec.encodeOperation(c))).toList();
        ActionJournal otherJournal = new ActionJournal(100);
        LlmLedger otherLedger = new LlmLedger();
        WalletLedger otherWallet = new WalletLedger();
        new ServerStateMachine(otherJournal, otherLedger, otherWallet).installSnapshot(6, decoded);
        assertEquals(journal.entries(), otherJournal.entries());
        assertEquals(ledger.openCalls(), otherLedger.openCalls());
        assertEquals(ledger.spend(), otherLedger.spend());
        assertEquals(40, otherLedger.reservedNanoUsd());
        assertEquals(wallet.openSpends(), otherWallet.openSpends());
        assertEquals(wallet.status(WalletOps.NOON), otherWallet.status(WalletOps.NOON));
    }

    @Test
    void aSnapshotWithoutAWalletPartEmptiesTheWallet() {
        fill();
        List<Object> chunks = new ArrayList<>();
        machine.takeSnapshot(6, chunks::add);
        WalletLedger otherWallet = new WalletLedger();
        ServerStateMachine other = new ServerStateMachine(new ActionJournal(100), new LlmLedger(), otherWallet);
        other.runOperation(1, new WalletOp.SetPolicy("m", 1, WalletOps.policy(), WalletOps.NOON));
        other.installSnapshot(6, chunks.stream().filter(c -> !(c instanceof WalletSnapshotChunk)).toList());
        assertTrue(otherWallet.status(WalletOps.NOON).policy().isEmpty());
        assertEquals(6, otherWallet.lastApplied());
    }

    @Test
    void aBadChunkOfAnyPartLeavesEveryPartAsItWas() {
        fill();
        List<Object> good = new ArrayList<>();
        machine.takeSnapshot(6, good::add);
        ActionJournal otherJournal = new ActionJournal(100);
        LlmLedger otherLedger = new LlmLedger();
        WalletLedger otherWallet = new WalletLedger();
        ServerStateMachine other = new ServerStateMachine(otherJournal, otherLedger, otherWallet);
        other.runOperation(1, new Claim("mine", "job", "m", 1));
        other.runOperation(2, new LedgerOp.Open("my-call", "m", 1, LedgerOp.Origin.ENDPOINT, 5));
        other.runOperation(3, new WalletOp.SetPolicy("m", 1, WalletOps.policy(), WalletOps.NOON));
        other.runOperation(4, WalletOps.claim("mine", WalletOps.CAROL, WalletOps.milliEth(1), WalletOps.NOON));
        String walletBefore = otherWallet.openSpends().toString();

        List<Object> badJournal = new ArrayList<>(good);
        badJournal.add("not a chunk");
        assertThrows(IllegalArgumentException.class, () -> other.installSnapshot(6, badJournal));
        List<Object> badLedger = new ArrayList<>(good);
        badLedger.addAll(good.stream().filter(LedgerSnapshotChunk.class::isInstance).toList()); // every call twice
        assertThrows(IllegalArgumentException.class, () -> other.installSnapshot(6, badLedger));
        List<Object> badWallet = new ArrayList<>(good);
        badWallet.addAll(good.stream().filter(WalletSnapshotChunk.class::isInstance).toList()); // two headers
        assertThrows(IllegalArgumentException.class, () -> other.installSnapshot(6, badWallet));

        assertEquals(List.of("mine"), otherJournal.entries().stream().map(e -> e.intentId()).toList());
        assertEquals(List.of("my-call"), otherLedger.openCalls().stream().map(c -> c.callId()).toList());
        assertEquals(walletBefore, otherWallet.openSpends().toString());
    }
}
