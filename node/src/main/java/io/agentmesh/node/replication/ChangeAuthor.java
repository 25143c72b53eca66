package io.agentmesh.node.replication;

import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Scheduler;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.store.ChangeStore;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Function;

/**
 * The local write path: applies a mutation to the document, signs the resulting change, and completes the caller's
 * future only once the store has fsynced it (DESIGN.md invariant 3). Listeners (replication) hear of a change only
 * after it is durable, so no peer ever sees a change this node could lose.
 *
 * <p>Runs on the node thread. A store failure is fatal: the document already holds the change in memory and
 * Automerge cannot roll a commit back, so continuing would build later changes on one that may not survive a
 * restart. The node stops writing and reports through {@code onFatal}; a restart recovers from what is on disk.
 */
public final class ChangeAuthor {
    private final LocalIdentity identity;
    private final AgentState state;
    private final ChangeStore store;
    private final Scheduler nodeThread;
    private final Consumer<String> onFatal;
    private final Executor signer;
    private final List<LongConsumer> appliedListeners = new ArrayList<>();
    private final List<Consumer<SignedChange>> durableListeners = new ArrayList<>();
    private final byte[] agentId;
    private long lastSeq;
    private String failure;

    /**
     * @param signer runs signing and the store append, one task at a time in submission order: a dedicated thread in
     *               production (so signatures do not hold up the node thread), inline in the simulator
     */
    public ChangeAuthor(LocalIdentity identity, AgentState state, ChangeStore store, Scheduler nodeThread,
                        Executor signer, Consumer<String> onFatal) {
        this.signer = signer;
        this.identity = identity;
        this.state = state;
        this.store = store;
        this.nodeThread = nodeThread;
        this.onFatal = onFatal;
        this.agentId = identity.agentId().bytes();
        this.lastSeq = store.vector().get(identity.actor());
    }

    /** Called on the node thread with the seq of each of this node's changes as soon as it is in the document. */
    public void onApplied(LongConsumer listener) {
        appliedListeners.add(listener);
    }

    /** Called on the node thread with each of this node's changes once it is durable. */
    public void onDurable(Consumer<SignedChange> listener) {
        durableListeners.add(listener);
    }

    /**
     * Applies {@code mutation} and returns a future that completes with the signed change once it is durable. A
     * mutation that rejects its input (IllegalArgumentException) changes nothing and fails the future.
     */
    public CompletableFuture<SignedChange> write(Function<AgentState, LocalChange> mutation) {
        if (failure != null) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "this node stopped accepting writes after a store failure (" + failure + "); restart it"));
        }
        LocalChange local;
        try {
            local = mutation.apply(state);
        } catch (RuntimeException invalid) {
            return CompletableFuture.failedFuture(invalid);
        }
        if (local.seq() != lastSeq + 1) {
            // The document already holds this change and cannot drop it: stop writing rather than sign a gap.
            IllegalStateException broken = new IllegalStateException("actor " + identity.actor() + " produced seq "
                    + local.seq() + " after " + lastSeq + "; sequence numbers must be contiguous");
            fail(broken.getMessage());
            return CompletableFuture.failedFuture(broken);
        }
        lastSeq = local.seq();
        for (LongConsumer listener : appliedListeners) {
            listener.accept(local.seq());
        }
        CompletableFuture<SignedChange> acknowledged = new CompletableFuture<>();
        // Signing and appending run on the signer stage, in commit order; the node thread moves on to the next write.
        signer.execute(() -> {
            SignedChange signed;
            try {
                signed = SignedChanges.sign(agentId, identity.nodeKey(), identity.incarnation(), local.seq(),
                        local.changeBytes());
            } catch (RuntimeException e) {
                nodeThread.execute(() -> {
                    fail("could not sign change " + local.seq() + ": " + e);
                    acknowledged.completeExceptionally(e);
                });
                return;
            }
            store.append(signed).whenComplete((ok, error) -> nodeThread.execute(() -> {
                if (error != null) {
                    fail("could not make change " + signed.actor() + "/" + signed.seq() + " durable: "
                            + error.getMessage());
                    acknowledged.completeExceptionally(error);
                    return;
                }
                for (Consumer<SignedChange> listener : durableListeners) {
                    listener.accept(signed);
                }
                acknowledged.complete(signed);
            }));
        });
        return acknowledged;
    }

    /**
     * Saves the document as the store's snapshot. The save is queued on the signer stage behind every change already
     * in the document, and the store writes it behind their appends, so a snapshot on disk never holds a change
     * that is not durable (a restart from it would otherwise reuse that change's seq). Node thread.
     */
    public CompletableFuture<Void> snapshot() {
        if (state.pendingChanges() > 0) {
            // Changes waiting for their dependencies are in the store but not in the saved document; a snapshot
            // positioned after them would make a restart skip them for good. Try again later.
            return CompletableFuture.failedFuture(new IllegalStateException(
                    state.pendingChanges() + " changes wait for their dependencies; snapshot postponed"));
        }
        // changeCount() <= the position of every change in the document, so replay after a restart starts early,
        // never late; replaying a change the snapshot holds is a no-op.
        long position = store.changeCount();
        byte[] document = state.save();
        CompletableFuture<Void> saved = new CompletableFuture<>();
        signer.execute(() -> {
            try {
                // A change can apply cleanly yet leave a document that does not load (Automerge 0.5.7); keep the
                // previous snapshot rather than one the next restart cannot read.
                AgentState.checkLoadable(agentId, document);
                // Queued behind the appends this stage made before; neither this stage nor the node thread waits
                // for its fsync.
                store.saveSnapshotAsync(new io.agentmesh.state.store.Snapshot(position, document))
                        .whenComplete((ok, error) -> {
                            if (error != null) {
                                saved.completeExceptionally(error);
                            } else {
                                saved.complete(null);
                            }
                        });
            } catch (RuntimeException e) {
                saved.completeExceptionally(e);
            }
        });
        return saved;
    }

    public boolean failed() {
        return failure != null;
    }

    private void fail(String reason) {
        if (failure == null) {
            failure = reason;
            onFatal.accept(reason);
        }
    }
}
