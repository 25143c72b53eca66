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
    private volatile Predicate<WalletOp> partitionAt = op -> false;
    private boolean partitioned;
    private final List<Held> held = new ArrayList<>();

    /** An operation a partitioned leader proposed: never applied (no majority), its caller still waiting. */
    record Held(WalletOp op, CompletableFuture<WalletResult> answer) {
    }

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

    /**
     * From the first operation {@code when} matches on, the node is cut off from the majority but alive and still
     * believes it leads: that operation and every later one are never applied (they reach no majority) and their
     * callers wait, as a Raft leader's proposals wait in a minority partition.
     */
    void partitionAt(Predicate<WalletOp> when) {
        this.partitionAt = when;
    }

    /**
     * The partition heals: the node hears of the newer term and steps down; the entries it appended alone are
     * overwritten by the new leader's log, so each waiting caller is told its operation did not commit.
     */
    void healAndStepDown() {
        List<Held> dropped;
        synchronized (held) {
            partitioned = false;
            leader = false;
            dropped = new ArrayList<>(held);
        }
        dropped.forEach(h -> h.answer().completeExceptionally(
                new IllegalStateException(nodeId + " was deposed: its entry was overwritten by a newer term")));
    }

    List<Held> held() {
        synchronized (held) {
            return new ArrayList<>(held);
        }
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
        synchronized (held) {
            if (partitioned || partitionAt.test(op)) {
                partitioned = true;
                Held h = new Held(op, new CompletableFuture<>());
                held.add(h);
                return h.answer();
            }
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
        synchronized (held) {
            if (partitioned) {
                return new CompletableFuture<>(); // a minority cannot commit the term's barrier
            }
        }
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
