package io.agentmesh.node.consensus;

import io.agentmesh.protocol.identity.NodeId;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * This node's consensus member as the replicated ledgers' accesses (the LLM gateway's, the wallet's) reach it. The
 * member is made when the node core starts, after those users, so it is looked up at each use; a node without one (a
 * learner, a witness) never leads, and its operations fail. Node thread.
 */
public final class ConsensusMember {
    private final Supplier<Optional<ConsensusNode>> consensus;

    public ConsensusMember(Supplier<Optional<ConsensusNode>> consensus) {
        this.consensus = consensus;
    }

    /** How each access writes this node's role: its own leadership record's constructor. */
    @FunctionalInterface
    public interface LeadershipOf<L> {
        L of(boolean leader, long term, Optional<String> leaderId);
    }

    /** This node's role as far as it knows now; not leading, term 0 and no known leader outside consensus. */
    public <L> L leadership(LeadershipOf<L> of) {
        Optional<ConsensusNode> c = consensus.get();
        if (c.isEmpty()) {
            return of.of(false, 0, Optional.empty());
        }
        return of.of(c.get().isLeader(), c.get().term(), c.get().leaderId().map(NodeId::toString));
    }

    /** Replicates through the member, or fails at once when this node takes no part in consensus. */
    public <R> CompletableFuture<R> submit(Function<ConsensusNode, CompletableFuture<R>> submit) {
        return consensus.get().map(submit).orElseGet(() -> CompletableFuture.failedFuture(
                new IllegalStateException("this node takes no part in consensus")));
    }

    /**
     * The journal's barrier, a {@link io.agentmesh.node.actions.JournalOp.NewTerm} of this term: once it commits,
     * every entry before it is applied here, the ledgers' included.
     */
    public CompletableFuture<Void> termCaughtUp() {
        return consensus.get().map(ConsensusNode::commitTermBarrier).orElseGet(() -> CompletableFuture.failedFuture(
                new IllegalStateException("not the leader")));
    }

    /** What {@code read} gives of the member, or {@code none} outside consensus. */
    public <T> T read(Function<ConsensusNode, T> read, T none) {
        return consensus.get().map(read).orElse(none);
    }
}
