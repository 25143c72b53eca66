package io.agentmesh.node.wallet.spend;

import io.agentmesh.node.consensus.ConsensusNode;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletResult;
import io.agentmesh.node.wallet.ledger.WalletView;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The wallet's view of this node's consensus member: leadership, the wallet ledger and its operations. The member is
 * made when the node core starts, after the wallet, so it is looked up at each use; a node without one (a learner, a
 * witness) never leads and reads an empty ledger. Node thread.
 */
public final class ConsensusWalletAccess implements WalletLedgerAccess {
    private final Supplier<Optional<ConsensusNode>> consensus;
    /** What a node outside consensus reads: nothing is ever in it. */
    private final WalletLedger none = new WalletLedger();

    public ConsensusWalletAccess(Supplier<Optional<ConsensusNode>> consensus) {
        this.consensus = consensus;
    }

    @Override
    public Leadership leadership() {
        Optional<ConsensusNode> c = consensus.get();
        if (c.isEmpty()) {
            return new Leadership(false, 0, Optional.empty());
        }
        return new Leadership(c.get().isLeader(), c.get().term(), c.get().leaderId().map(Object::toString));
    }

    @Override
    public CompletableFuture<WalletResult> submit(WalletOp op) {
        return consensus.get().map(c -> c.submitWallet(op)).orElseGet(() -> CompletableFuture.failedFuture(
                new IllegalStateException("this node takes no part in consensus")));
    }

    /** The journal's barrier (a NewTerm entry of this term): once it commits, the ledger holds every earlier entry. */
    @Override
    public CompletableFuture<Void> termCaughtUp() {
        return consensus.get().map(ConsensusNode::commitTermBarrier).orElseGet(() -> CompletableFuture.failedFuture(
                new IllegalStateException("not the leader")));
    }

    @Override
    public WalletView view() {
        return consensus.get().<WalletView>map(ConsensusNode::wallet).orElse(none);
    }
}
