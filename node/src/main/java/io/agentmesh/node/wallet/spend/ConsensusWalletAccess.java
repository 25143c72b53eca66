package io.agentmesh.node.wallet.spend;

import io.agentmesh.node.consensus.ConsensusMember;
import io.agentmesh.node.consensus.ConsensusNode;
import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletResult;
import io.agentmesh.node.wallet.ledger.WalletView;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The wallet's view of this node's consensus member ({@link ConsensusMember}): leadership, the wallet ledger and its
 * operations; a node without a member (a learner, a witness) never leads and reads an empty ledger. Node thread.
 */
public final class ConsensusWalletAccess implements WalletLedgerAccess {
    private final ConsensusMember member;
    /** What a node outside consensus reads: nothing is ever in it. */
    private final WalletLedger none = new WalletLedger();

    public ConsensusWalletAccess(Supplier<Optional<ConsensusNode>> consensus) {
        this.member = new ConsensusMember(consensus);
    }

    @Override
    public Leadership leadership() {
        return member.leadership(Leadership::new);
    }

    @Override
    public CompletableFuture<WalletResult> submit(WalletOp op) {
        return member.submit(c -> c.submitWallet(op));
    }

    /** The journal's barrier (a NewTerm entry of this term): once it commits, the ledger holds every earlier entry. */
    @Override
    public CompletableFuture<Void> termCaughtUp() {
        return member.termCaughtUp();
    }

    @Override
    public WalletView view() {
        return member.<WalletView>read(ConsensusNode::wallet, none);
    }
}
