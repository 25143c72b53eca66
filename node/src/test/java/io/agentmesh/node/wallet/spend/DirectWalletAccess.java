package io.agentmesh.node.wallet.spend;

import io.agentmesh.node.wallet.ledger.WalletLedger;
import io.agentmesh.node.wallet.ledger.WalletOp;
import io.agentmesh.node.wallet.ledger.WalletResult;
import io.agentmesh.node.wallet.ledger.WalletView;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * One node's view of a replicated wallet ledger, for driver tests without Raft: every node's access shares one real
 * {@link WalletLedger} (what a committed log gives every member) and one commit index. A node leads while the test
 * says so; {@link #crashAfter} makes the node die right after an operation commits (the operation is in the ledger,
 * the node never learns it), which is the moment a kill -9 after a commit leaves behind.
 */
final class DirectWalletAccess implements WalletLedgerAccess {
    private final WalletLedger ledger;
    private final AtomicLong index;
    private final String nodeId;
    private final List<WalletOp> committed;
    private volatile boolean leader;
    private volatile long term;
    private volatile boolean dead;
    private volatile Predicate<WalletOp> crashAfter = op -> false;

    DirectWalletAccess(WalletLedger ledger, AtomicLong index, List<WalletOp> committed, String nodeId) {
        this.ledger = ledger;
        this.index = index;
        this.committed = committed;
        this.nodeId = nodeId;
    }

    void lead(long term) {
        this.term = term;
        this.leader = true;
    }

    void crashAfter(Predicate<WalletOp> when) {
        this.crashAfter = when;
    }

    boolean dead() {
        return dead;
    }

    @Override
    public Leadership leadership() {
        return new Leadership(leader && !dead, term, leader ? Optional.of(nodeId) : Optional.empty());
    }

    @Override
    public CompletableFuture<WalletResult> submit(WalletOp op) {
        if (!leader || dead) {
            return CompletableFuture.failedFuture(new IllegalStateException(nodeId + " does not lead"));
        }
        WalletResult r = ledger.apply(index.incrementAndGet(), op);
        synchronized (committed) {
            committed.add(op);
        }
        if (crashAfter.test(op)) {
            dead = true;
            return CompletableFuture.failedFuture(new IllegalStateException(nodeId + " died after the commit"));
        }
        return CompletableFuture.completedFuture(r);
    }

    @Override
    public CompletableFuture<Void> termCaughtUp() {
        return leader && !dead ? CompletableFuture.completedFuture(null)
                : CompletableFuture.failedFuture(new IllegalStateException("not the leader"));
    }

    @Override
    public WalletView view() {
        return ledger;
    }

    static List<WalletOp> snapshot(List<WalletOp> committed) {
        synchronized (committed) {
            return new ArrayList<>(committed);
        }
    }
}
