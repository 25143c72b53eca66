package io.agentmesh.node.replication;

import io.agentmesh.node.port.LocalIdentity;
import io.agentmesh.node.port.Scheduler;

import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.protocol.change.SignedChanges;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.LocalBatch;
import io.agentmesh.state.LocalChange;
import io.agentmesh.state.store.ChangeStore;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Function;

/**
 * The local write path: applies mutations to the document in batches, signs each batch's change, and completes each
 * caller's future only once the store has fsynced the change holding its write (DESIGN.md invariant 3). Listeners
 * (replication) hear of a change only after it is durable, so no peer ever sees a change this node could lose.
 *
 * <p><b>Batching</b> ({@link WriteBatching}; docs/architecture.md, "Write path"). A write that finds no batch in
 * flight is applied at once, as its own batch. Writes that arrive while {@code maxBatchesInFlight} batches are being
 * signed and made durable wait in a bounded queue; when one is durable, the next batch applies them all
 * ({@link AgentState#commitBatch}) as one Automerge change, so they share one signature, one store row and one
 * fsync. A mutation that throws changes nothing and is answered with its error; its batch-mates are not affected. A
 * waiting write is applied later than it was asked for, so its checks see the writes before it.
 *
 * <p>Runs on the node thread. A store failure is fatal: the document already holds the change in memory and
 * Automerge cannot roll a commit back, so continuing would build later changes on one that may not survive a
 * restart. The node stops writing (waiting writes are answered with the reason) and reports through
 * {@code onFatal}; a restart recovers from what is on disk.
 */
public final class ChangeAuthor {
    private final LocalIdentity identity;
    private final AgentState state;
    private final ChangeStore store;
    private final Scheduler nodeThread;
    private final Consumer<String> onFatal;
    private final Executor signer;
    private final Executor snapshotCheck;
    private final WriteBatching batching;
    private final List<LongConsumer> appliedListeners = new ArrayList<>();
    private final List<Consumer<SignedChange>> durableListeners = new ArrayList<>();
    private final byte[] agentId;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private int batchesInFlight;
    /** A batch is being applied: writes its callbacks make wait for the next one. */
    private boolean applying;
    private long lastSeq;
    private long batches;
    private long batchedWrites;
    private long changes;
    private String failure;

    private record Waiting(Function<AgentState, LocalChange> mutation, CompletableFuture<SignedChange> answer) {
    }

    /** A batch on its way to disk: its changes in commit order and, for each, the answers of the writes it holds. */
    private static final class InFlight {
        final List<LocalChange> changes;
        final List<List<CompletableFuture<SignedChange>>> answers;
        int settled;

        InFlight(List<LocalChange> changes, List<List<CompletableFuture<SignedChange>>> answers) {
            this.changes = changes;
            this.answers = answers;
        }
    }

    /**
     * @param signer runs signing and the store append, one task at a time in submission order: a dedicated thread in
     *               production (so signatures do not hold up the node thread), inline in the simulator
     */
    public ChangeAuthor(LocalIdentity identity, AgentState state, ChangeStore store, Scheduler nodeThread,
                        Executor signer, Consumer<String> onFatal) {
        this(identity, state, store, nodeThread, signer, onFatal, WriteBatching.DEFAULT);
    }

    public ChangeAuthor(LocalIdentity identity, AgentState state, ChangeStore store, Scheduler nodeThread,
                        Executor signer, Consumer<String> onFatal, WriteBatching batching) {
        this(identity, state, store, nodeThread, signer, signer, onFatal, batching);
    }

    /**
     * @param snapshotCheck where a snapshot's document is loaded once to check it (and then saved): its own thread in
     *                      production, since the check costs a whole document load (seconds at a million entries)
     *                      and the signer stage must not stop signing writes meanwhile; inline in the simulator
     */
    public ChangeAuthor(LocalIdentity identity, AgentState state, ChangeStore store, Scheduler nodeThread,
                        Executor signer, Executor snapshotCheck, Consumer<String> onFatal, WriteBatching batching) {
        this.snapshotCheck = java.util.Objects.requireNonNull(snapshotCheck, "snapshotCheck");
        this.signer = signer;
        this.identity = identity;
        this.state = state;
        this.store = store;
        this.nodeThread = nodeThread;
        this.onFatal = onFatal;
        this.batching = java.util.Objects.requireNonNull(batching, "batching");
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
     * Applies {@code mutation} (now, or with the next batch) and returns a future that completes with the signed
     * change holding it once that change is durable. A mutation that rejects its input (IllegalArgumentException)
     * changes nothing and fails the future; so does a write refused because {@link WriteBatching#maxQueuedWrites}
     * writes already wait.
     */
    public CompletableFuture<SignedChange> write(Function<AgentState, LocalChange> mutation) {
        if (failure != null) {
            return CompletableFuture.failedFuture(stopped());
        }
        if (waiting.size() >= batching.maxQueuedWrites()) {
            return CompletableFuture.failedFuture(new IllegalStateException(waiting.size() + " writes already wait"
                    + " for the disk (limit " + batching.maxQueuedWrites() + "); this write was refused and changed"
                    + " nothing. Retry later."));
        }
        CompletableFuture<SignedChange> answer = new CompletableFuture<>();
        waiting.add(new Waiting(mutation, answer));
        applyWaiting();
        return answer;
    }

    /** Writes waiting for the next batch. */
    public int waitingWrites() {
        return waiting.size();
    }

    /** Batches applied, the writes they held (failed ones included) and the changes they made, since start. */
    public BatchCounts batchCounts() {
        return new BatchCounts(batches, batchedWrites, changes);
    }

    /** How the writes so far were batched: {@code writes / changes} is the mean number of writes per change. */
    public record BatchCounts(long batches, long writes, long changes) {
    }

    private void applyWaiting() {
        while (!applying && failure == null && !waiting.isEmpty()
                && batchesInFlight < batching.maxBatchesInFlight()) {
            applyBatch();
        }
    }

    private void applyBatch() {
        int n = Math.min(waiting.size(), batching.maxWritesPerBatch());
        List<Waiting> taken = new ArrayList<>(n);
        List<Function<AgentState, LocalChange>> mutations = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Waiting w = waiting.poll();
            taken.add(w);
            mutations.add(w.mutation());
        }
        // Answers are given last, once the batch is accounted for: a caller's callback may write again.
        List<Runnable> answers = new ArrayList<>();
        applying = true;
        try {
            LocalBatch made;
            try {
                made = state.commitBatch(mutations, batching.changeLimits());
            } catch (RuntimeException e) {
                // Not a mutation's own error (those come back in the batch): the document may now hold a change that
                // is neither signed nor stored.
                fail("could not apply a batch of " + n + " writes: " + e);
                taken.forEach(w -> answers.add(() -> w.answer().completeExceptionally(e)));
                return;
            }
            batches++;
            batchedWrites += n;
            List<List<CompletableFuture<SignedChange>>> holders = new ArrayList<>();
            made.changes().forEach(c -> holders.add(new ArrayList<>()));
            for (int i = 0; i < n; i++) {
                LocalBatch.Write w = made.writes().get(i);
                CompletableFuture<SignedChange> answer = taken.get(i).answer();
                if (w.ok()) {
                    holders.get(w.change()).add(answer);
                } else {
                    answers.add(() -> answer.completeExceptionally(w.error()));
                }
            }
            if (made.changes().isEmpty()) {
                return;
            }
            for (LocalChange local : made.changes()) {
                if (local.seq() != lastSeq + 1) {
                    // The document already holds this change and cannot drop it: stop writing rather than sign a gap.
                    IllegalStateException broken = new IllegalStateException("actor " + identity.actor()
                            + " produced seq " + local.seq() + " after " + lastSeq
                            + "; sequence numbers must be contiguous");
                    fail(broken.getMessage());
                    holders.forEach(h -> h.forEach(a -> answers.add(() -> a.completeExceptionally(broken))));
                    return;
                }
                lastSeq = local.seq();
            }
            changes += made.changes().size();
            for (LocalChange local : made.changes()) {
                for (LongConsumer listener : appliedListeners) {
                    listener.accept(local.seq());
                }
            }
            InFlight batch = new InFlight(made.changes(), holders);
            batchesInFlight++;
            // Signing and appending run on the signer stage, in commit order; the node thread moves on.
            signer.execute(() -> signAndAppend(batch));
        } finally {
            applying = false;
            answers.forEach(Runnable::run);
        }
    }

    /** Signer stage: signs each change of the batch and hands it to the store, in order. */
    private void signAndAppend(InFlight batch) {
        for (int i = 0; i < batch.changes.size(); i++) {
            LocalChange local = batch.changes.get(i);
            SignedChange signed;
            try {
                signed = SignedChanges.sign(agentId, identity.nodeKey(), identity.incarnation(), local.seq(),
                        local.changeBytes());
            } catch (RuntimeException e) {
                int from = i;
                // Later changes are not appended either: a gap in this actor's seqs would stall it on every peer.
                nodeThread.execute(() -> {
                    fail("could not sign change " + local.seq() + ": " + e);
                    for (int j = from; j < batch.changes.size(); j++) {
                        settle(batch, j, null, e);
                    }
                });
                return;
            }
            int index = i;
            store.append(signed).whenComplete((ok, error) -> nodeThread.execute(() -> {
                if (error != null) {
                    fail("could not make change " + signed.actor() + "/" + signed.seq() + " durable: "
                            + error.getMessage());
                    settle(batch, index, null, error);
                } else {
                    settle(batch, index, signed, null);
                }
            }));
        }
    }

    /** Node thread: change {@code index} of {@code batch} is durable ({@code signed}) or failed ({@code error}). */
    private void settle(InFlight batch, int index, SignedChange signed, Throwable error) {
        if (++batch.settled == batch.changes.size()) {
            batchesInFlight--;
        }
        if (error == null) {
            for (Consumer<SignedChange> listener : durableListeners) {
                listener.accept(signed);
            }
        }
        for (CompletableFuture<SignedChange> answer : batch.answers.get(index)) {
            if (error == null) {
                answer.complete(signed);
            } else {
                answer.completeExceptionally(error);
            }
        }
        applyWaiting();
    }

    /**
     * Saves the document as the store's snapshot. The save is queued on the signer stage behind every change already
     * in the document, and the store writes it behind their appends, so a snapshot on disk never holds a change
     * that is not durable (a restart from it would otherwise reuse that change's seq). The signer stage only hands it
     * on: the check and the save run on {@code snapshotCheck}, later still, so still behind those appends. Run on the
     * signer stage, the check held every write behind a whole document load: at 700k-1M entries the signer spent most
     * of its time in it and a node's write rate fell from ~2,000 to ~600 changes a second. Node thread.
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
        signer.execute(() -> snapshotCheck.execute(() -> {
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
        }));
        return saved;
    }

    public boolean failed() {
        return failure != null;
    }

    private IllegalStateException stopped() {
        return new IllegalStateException("this node stopped accepting writes after a store failure (" + failure
                + "); restart it");
    }

    private void fail(String reason) {
        if (failure == null) {
            failure = reason;
            onFatal.accept(reason);
            // Waiting writes were never applied: they changed nothing, and no batch will take them now.
            IllegalStateException why = stopped();
            while (!waiting.isEmpty()) {
                waiting.poll().answer().completeExceptionally(why);
            }
        }
    }
}
