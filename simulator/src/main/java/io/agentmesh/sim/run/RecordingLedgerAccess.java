package io.agentmesh.sim.run;

import io.agentmesh.node.llm.gateway.LedgerAccess;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LlmLedger;
import io.agentmesh.sim.check.LlmRecords;

import java.util.concurrent.CompletableFuture;

/**
 * The gateway's ledger access on a simulated node, recording each operation the node saw committed (its future
 * completed with the ledger's result) into the history before the gateway continues, for the LLM checkers.
 */
final class RecordingLedgerAccess implements LedgerAccess {
    private final Simulation sim;
    private final String node;
    private final LedgerAccess delegate;

    RecordingLedgerAccess(Simulation sim, String node, LedgerAccess delegate) {
        this.sim = sim;
        this.node = node;
        this.delegate = delegate;
    }

    @Override
    public Leadership leadership() {
        return delegate.leadership();
    }

    @Override
    public CompletableFuture<LedgerResult> submit(LedgerOp op) {
        CompletableFuture<LedgerResult> out = new CompletableFuture<>();
        delegate.submit(op).whenComplete((r, error) -> {
            if (error == null) {
                sim.history().record(LlmRecords.LedgerCommitted.class, new LlmRecords.LedgerCommitted(
                        sim.nextOrder(), sim.loop().nowMillis(), node, kind(op), op.callId(), attempt(op),
                        describe(r)));
                out.complete(r);
            } else {
                out.completeExceptionally(error);
            }
        });
        return out;
    }

    @Override
    public CompletableFuture<Void> termCaughtUp() {
        return delegate.termCaughtUp();
    }

    @Override
    public LlmLedger ledger() {
        return delegate.ledger();
    }

    static String kind(LedgerOp op) {
        return switch (op) {
            case LedgerOp.Open o -> "OPEN";
            case LedgerOp.AttemptStart s -> "ATTEMPT_START";
            case LedgerOp.AttemptEnd e -> "ATTEMPT_END";
            case LedgerOp.Close c -> "CLOSE";
            case LedgerOp.Settle s -> "SETTLE";
        };
    }

    private static int attempt(LedgerOp op) {
        return switch (op) {
            case LedgerOp.AttemptStart s -> s.attemptNumber();
            case LedgerOp.AttemptEnd e -> e.attemptNumber();
            default -> 0;
        };
    }

    private static String describe(LedgerResult r) {
        return switch (r) {
            case LedgerResult.Closed c -> "Closed " + c.status();
            case LedgerResult.Rejected rej -> "Rejected " + rej.reason();
            default -> r.getClass().getSimpleName();
        };
    }
}
