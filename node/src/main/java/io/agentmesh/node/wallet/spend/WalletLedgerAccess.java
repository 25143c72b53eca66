package io.agentmesh.node.wallet.spend;

import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletResult;
import io.agentmesh.node.wallet.ledger.WalletView;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the wallet's driver and endpoints need of consensus and the wallet ledger: this node's leadership, the
 * ledger's committed reads, and its operations replicated through Raft. In production the node's consensus member
 * ({@link ConsensusWalletAccess}); a test applies operations to a ledger directly. Every method is called on the node
 * thread and every future completes there; {@link NodeCalls} is how the driver's thread and HTTP threads get there.
 */
public interface WalletLedgerAccess {
    /** This node's role as far as it knows now. */
    Leadership leadership();

    /**
     * Replicates {@code op} and completes with what applying it gave (a refusal is a {@link WalletResult.Refused}
     * result), or fails when this node does not lead or the entry could not be committed.
     */
    CompletableFuture<WalletResult> submit(WalletOp op);

    /** Completes once an entry of this node's current term has committed (the ledger holds every earlier entry). */
    CompletableFuture<Void> termCaughtUp();

    /** The wallet ledger as this node has applied it. */
    WalletView view();

    /**
     * @param leader   whether this node leads now
     * @param term     the Raft term it knows
     * @param leaderId the leader's node id, when known
     */
    record Leadership(boolean leader, long term, Optional<String> leaderId) {
    }
}
