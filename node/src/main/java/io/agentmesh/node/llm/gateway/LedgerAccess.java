package io.agentmesh.node.llm.gateway;

import io.agentmesh.node.llm.ledger.LedgerOp;
import io.agentmesh.node.llm.ledger.LedgerResult;
import io.agentmesh.node.llm.ledger.LlmLedger;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the gateway needs of consensus and the call ledger: this node's leadership, the ledger's reads, and its
 * operations replicated through Raft. In production it is the node's consensus member (wired by the runtime, which
 * knows both); a test applies the operations to a ledger directly. Every method is called on the node thread, and
 * every future completes there.
 */
public interface LedgerAccess {
    /** This node's role as far as it knows now. */
    Leadership leadership();

    /**
     * Replicates {@code op} and completes with what applying it gave, or fails when this node is not the leader or
     * the entry could not be committed (leadership lost meanwhile).
     */
    CompletableFuture<LedgerResult> submit(LedgerOp op);

    /**
     * Completes once an entry of this node's current term has committed, so the ledger holds every entry committed
     * before the term; fails when this node is not, or no longer, the leader.
     */
    CompletableFuture<Void> termCaughtUp();

    /** The call ledger as this node has applied it (its reads: recent attempt ends, open calls). */
    LlmLedger ledger();

    /**
     * @param leader whether this node leads now
     * @param term   the Raft term it knows
     * @param leaderId the leader's node id, when one is known (this node's own when it leads)
     */
    record Leadership(boolean leader, long term, Optional<String> leaderId) {
        public Leadership {
            Objects.requireNonNull(leaderId, "leaderId");
        }
    }
}
