package io.agentmesh.node.consensus;

import io.agentmesh.node.llm.gateway.LedgerAccess;
import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LlmLedger;
import io.agentmesh.protocol.identity.NodeId;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The gateway's view of this node's consensus member: leadership, the call ledger and its operations. The member is
 * made when the node core starts (on the node thread), after the gateway, so it is looked up at each use; a node
 * without one (a learner) never leads, and its ledger is an empty one. Node thread. The runtime and the simulator
 * both wire the gateway through it.
 */
public final class ConsensusLedgerAccess implements LedgerAccess {
    private final Supplier<Optional<ConsensusNode>> consensus;
    /** What a node outside consensus reads: it never opens a call, so nothing is ever in it. */
    private final LlmLedger none = new LlmLedger();

    public ConsensusLedgerAccess(Supplier<Optional<ConsensusNode>> consensus) {
        this.consensus = consensus;
    }

    @Override
    public Leadership leadership() {
        Optional<ConsensusNode> c = consensus.get();
        if (c.isEmpty()) {
            return new Leadership(false, 0, Optional.empty());
        }
        return new Leadership(c.get().isLeader(), c.get().term(), c.get().leaderId().map(NodeId::toString));
    }

    @Override
    public CompletableFuture<LedgerResult> submit(LedgerOp op) {
        return consensus.get().map(c -> c.submitLedger(op)).orElseGet(() -> CompletableFuture.failedFuture(
                new IllegalStateException("this node takes no part in consensus")));
    }

    /**
     * The journal's barrier, a {@link io.agentmesh.node.actions.JournalOp.NewTerm} of this term: once it commits, every entry before it is
     * applied here, the ledger's included.
     */
    @Override
    public CompletableFuture<Void> termCaughtUp() {
        return consensus.get().map(ConsensusNode::commitTermBarrier).orElseGet(() -> CompletableFuture.failedFuture(
                new IllegalStateException("not the leader")));
    }

    @Override
    public LlmLedger ledger() {
        return consensus.get().map(ConsensusNode::ledger).orElse(none);
    }
}
