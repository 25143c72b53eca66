package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.ActionJournal;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerSnapshotChunk;
import io.agentmesh.node.llm.ledger.LlmLedger;
import io.microraft.statemachine.StateMachine;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A server's Raft state machine: the action journal and the LLM call ledger side by side. Ledger operations go to the
 * ledger, everything else to the journal; a snapshot carries both (the journal's chunks, then the ledger's), and
 * installing one checks every chunk of both before either is replaced, so a bad snapshot changes nothing.
 * Deterministic and on the node thread, like both halves.
 */
final class JournalAndLedger implements StateMachine {
    private final ActionJournal journal;
    private final LlmLedger ledger;

    JournalAndLedger(ActionJournal journal, LlmLedger ledger) {
        this.journal = Objects.requireNonNull(journal, "journal");
        this.ledger = Objects.requireNonNull(ledger, "ledger");
    }

    @Override
    public Object runOperation(long commitIndex, Object operation) {
        if (operation instanceof LedgerOp op) {
            return ledger.apply(commitIndex, op);
        }
        return journal.runOperation(commitIndex, operation);
    }

    @Override
    public void takeSnapshot(long commitIndex, Consumer<Object> chunks) {
        journal.takeSnapshot(commitIndex, chunks);
        ledger.takeSnapshot(chunks::accept);
    }

    @Override
    public void installSnapshot(long commitIndex, List<Object> chunks) {
        List<LedgerSnapshotChunk> ledgerChunks = new ArrayList<>();
        List<Object> journalChunks = new ArrayList<>();
        for (Object c : chunks) {
            if (c instanceof LedgerSnapshotChunk l) {
                ledgerChunks.add(l);
            } else {
                journalChunks.add(c);
            }
        }
        // The ledger's chunks are checked first; the journal checks its own before it replaces itself; only then
        // does the ledger, already checked, replace itself.
        ledger.checkSnapshot(commitIndex, ledgerChunks);
        journal.installSnapshot(commitIndex, journalChunks);
        ledger.installSnapshot(commitIndex, ledgerChunks);
    }

    @Override
    public Object getNewTermOperation() {
        return journal.getNewTermOperation();
    }
}
