package io.agentmesh.sim.bugs;

import io.agentmesh.node.llm.gateway.LedgerAccess;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Planted bug: the gateway's ledger access answers an {@code AttemptStart} as granted at once, before the entry is
 * committed (an "optimistic" journal that submits and goes on), so the gateway sends the attempt before its start
 * is recorded, and even when the ledger then refuses it. Caught by llm-attempt-recorded-before-sent.
 */
public final class SendBeforeAttemptStart extends ForwardingLedgerAccess {
    public SendBeforeAttemptStart(LedgerAccess delegate) {
        super(delegate);
    }

    @Override
    public CompletableFuture<LedgerResult> submit(LedgerOp op) {
        CompletableFuture<LedgerResult> real = delegate.submit(op);
        if (op instanceof LedgerOp.AttemptStart start) {
            return CompletableFuture.completedFuture(new LedgerResult.Started(start.callId(), start.attemptNumber(),
                    List.of()));
        }
        return real;
    }
}
