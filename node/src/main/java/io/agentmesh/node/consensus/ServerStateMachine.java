package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.ActionJournal;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerSnapshotChunk;
import io.agentmesh.node.llm.ledger.LlmLedger;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletSnapshotChunk;
import io.microraft.statemachine.StateMachine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A server's Raft state machine: the action journal, the LLM call ledger and the wallet ledger side by side. Ledger
 * operations go to the LLM ledger, wallet operations to the wallet ledger, everything else to the journal; a snapshot
 * carries all three (the journal's chunks, then the LLM ledger's, then the wallet's), and installing one checks every
 * chunk of all three before any is replaced, so a bad snapshot changes nothing. Deterministic and on the node thread,
 * like its parts. (A witness runs {@link WitnessStateMachine} instead and keeps none of them.)
 */
final class ServerStateMachine implements StateMachine {
    private final ActionJournal journal;
    private final LlmLedger ledger;
    private final WalletLedger wallet;

    ServerStateMachine(ActionJournal journal, LlmLedger ledger, WalletLedger wallet) {
        this.journal = Objects.requireNonNull(journal, "journal");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.wallet = Objects.requireNonNull(wallet, "wallet");
    }

    @Override
    public Object runOperation(long commitIndex, Object operation) {
        if (operation instanceof LedgerOp op) {
            return ledger.apply(commitIndex, op);
        }
        if (operation instanceof WalletOp op) {
            return wallet.apply(commitIndex, op);
        }
        return journal.runOperation(commitIndex, operation);
    }

    @Override
    public void takeSnapshot(long commitIndex, Consumer<Object> chunks) {
        journal.takeSnapshot(commitIndex, chunks);
        ledger.takeSnapshot(chunks::accept);
        wallet.takeSnapshot(chunks::accept);
    }

    @Override
    public void installSnapshot(long commitIndex, List<Object> chunks) {
        List<LedgerSnapshotChunk> ledgerChunks = new ArrayList<>();
        List<WalletSnapshotChunk> walletChunks = new ArrayList<>();
        List<Object> journalChunks = new ArrayList<>();
        for (Object c : chunks) {
            if (c instanceof LedgerSnapshotChunk l) {
                ledgerChunks.add(l);
            } else if (c instanceof WalletSnapshotChunk w) {
                walletChunks.add(w);
            } else {
                journalChunks.add(c);
            }
        }
        // Both ledgers' chunks are checked first; the journal checks its own before it replaces itself; only then do
        // the ledgers, already checked, replace themselves. A snapshot from before the wallet existed has no wallet
        // chunk: the wallet starts empty, as it was at that index.
        ledger.checkSnapshot(commitIndex, ledgerChunks);
        if (!walletChunks.isEmpty()) {
            wallet.checkSnapshot(commitIndex, walletChunks);
        }
        journal.installSnapshot(commitIndex, journalChunks);
        ledger.installSnapshot(commitIndex, ledgerChunks);
        wallet.installSnapshot(commitIndex, walletChunks.isEmpty() ? List.of(emptyWallet()) : walletChunks);
    }

    private static WalletSnapshotChunk emptyWallet() {
        List<WalletSnapshotChunk> chunks = new ArrayList<>();
        new WalletLedger().takeSnapshot(chunks::add);
        return chunks.getFirst();
    }

    @Override
    public Object getNewTermOperation() {
        return journal.getNewTermOperation();
    }
}
