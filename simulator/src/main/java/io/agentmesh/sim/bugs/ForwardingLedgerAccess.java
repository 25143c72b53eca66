package io.agentmesh.sim.bugs;

import io.agentmesh.node.llm.gateway.LedgerAccess;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LlmLedger;

import java.util.concurrent.CompletableFuture;

/** A gateway's ledger access passed through unchanged: a planted bug overrides what it breaks. */
abstract class ForwardingLedgerAccess implements LedgerAccess {
    protected final LedgerAccess delegate;

    ForwardingLedgerAccess(LedgerAccess delegate) {
        this.delegate = delegate;
    }

    @Override
    public Leadership leadership() {
        return delegate.leadership();
    }

    @Override
    public CompletableFuture<LedgerResult> submit(LedgerOp op) {
        return delegate.submit(op);
    }

    @Override
    public CompletableFuture<Void> termCaughtUp() {
        return delegate.termCaughtUp();
    }

    @Override
    public LlmLedger ledger() {
        return delegate.ledger();
    }
}
