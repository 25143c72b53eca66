package io.agentmesh.node.consensus;

import io.agentmesh.node.llm.gateway.LedgerAccess;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LlmLedger;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The gateway's view of this node's consensus member ({@link ConsensusMember}): leadership, the call ledger and its
 * operations; a node without a member (a learner) never leads, and its ledger is an empty one. Node thread. The
 * runtime and the simulator both wire the gateway through it.
 */
public final class ConsensusLedgerAccess implements LedgerAccess {
    private final ConsensusMember member;
    /** What a node outside consensus reads: it never opens a call, so nothing is ever in it. */
    private final LlmLedger none = new LlmLedger();

    public ConsensusLedgerAccess(Supplier<Optional<ConsensusNode>> consensus) {
        this.member = new ConsensusMember(consensus);
    }

    @Override
    public Leadership leadership() {
        return member.leadership(Leadership::new);
    }

    @Override
    public CompletableFuture<LedgerResult> submit(LedgerOp op) {
        return member.submit(c -> c.submitLedger(op));
    }

    @Override
    public CompletableFuture<Void> termCaughtUp() {
        return member.termCaughtUp();
    }

    @Override
    public LlmLedger ledger() {
        return member.read(ConsensusNode::ledger, none);
    }
}
