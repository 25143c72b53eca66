package io.agentmesh.sim.bugs;

import io.agentmesh.node.llm.gateway.LedgerAccess;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Planted bug: the gateway's {@code AttemptStart} carries no budgets (a budget check that looks at nothing, neither
 * what was spent nor what is reserved), so attempts go on after the hard budget is used up. Caught by
 * llm-hard-budgets in a run that reaches its budget.
 */
public final class BudgetsLeftOut extends ForwardingLedgerAccess {
    public BudgetsLeftOut(LedgerAccess delegate) {
        super(delegate);
    }

    @Override
    public CompletableFuture<LedgerResult> submit(LedgerOp op) {
        if (op instanceof LedgerOp.AttemptStart s) {
            return delegate.submit(new LedgerOp.AttemptStart(s.callId(), s.token(), s.attemptNumber(), s.target(),
                    s.worstCaseNanoUsd(), List.of(), s.startedMillis()));
        }
        return delegate.submit(op);
    }
}
