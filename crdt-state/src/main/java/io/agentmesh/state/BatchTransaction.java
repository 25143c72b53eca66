package io.agentmesh.state;

import org.automerge.ChangeHash;
import org.automerge.Document;
import org.automerge.Transaction;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The open Automerge transaction of {@link AgentState#commitBatch}, and the changes it has closed so far. Each write's
 * ops (the lambda a write method passes to its commit) are kept until their change is committed, so the change can
 * be rebuilt without a write: Automerge rolls back only whole transactions. Replaying the same lambdas on the same
 * state makes the same ops with the same op ids, so objects the kept writes made keep their ids.
 *
 * <p>Not thread-safe: the document's thread only, inside one {@code commitBatch} call.
 */
final class BatchTransaction {
    private final Document doc;
    private final Function<ChangeHash[], LocalChange> committed;
    private final Runnable forgetLocalWrites;
    private final LocalBatch.ChangeLimits limits;
    private final List<LocalChange> changes = new ArrayList<>();

    /** The open change: its transaction (null until a write needs it), the heads before it, its writes' ops. */
    private Transaction tx;
    private ChangeHash[] before;
    private final List<Consumer<TxOps>> applied = new ArrayList<>();
    private long ops;
    private long bytes;
    /** Where the current mutation's writes start in {@link #applied}. */
    private int mark;

    private IllegalStateException lost;
    private int lostChange = -1;

    BatchTransaction(Document doc, Function<ChangeHash[], LocalChange> committed, Runnable forgetLocalWrites,
                     LocalBatch.ChangeLimits limits) {
        this.doc = doc;
        this.committed = committed;
        this.forgetLocalWrites = forgetLocalWrites;
        this.limits = limits;
    }

    /** The next mutation starts: its writes, if it fails, are what {@link #undoWrite} removes. */
    void nextWrite() {
        mark = applied.size();
    }

    /**
     * Adds one write's ops to the open change. When they would take it past the limits and it holds earlier
     * mutations' writes, those go out as a change first. Returns {@link AgentState#IN_BATCH}.
     *
     * @throws IllegalStateException when Automerge refuses the ops (nothing of them stays) or the open change cannot
     *                               be rebuilt ({@link #lost()} tells)
     */
    LocalChange apply(Consumer<TxOps> write) {
        if (lost != null) {
            throw lost; // a mutation that caught the loss and wrote again
        }
        if (mark > 0) {
            // Earlier writes are in the open change: measure this one first, so it can go into the next change.
            TxOps probe = TxOps.counting();
            write.accept(probe);
            if (ops + probe.ops() > limits.maxOps() || bytes + probe.bytes() > limits.maxBytes()) {
                closeAtMark();
                if (lost != null) {
                    throw lost;
                }
            }
        }
        open();
        TxOps on = TxOps.on(tx);
        try {
            write.accept(on);
        } catch (RuntimeException e) {
            rebuild(applied.size());
            // Inputs were checked before, so this is a bug in AgentState or in the library, not bad input.
            throw lost != null ? lost
                    : new IllegalStateException("Automerge refused a local write: " + e.getMessage(), e);
        }
        applied.add(write);
        ops += on.ops();
        bytes += on.bytes();
        return AgentState.IN_BATCH;
    }

    /** The current mutation failed: removes whatever it wrote. */
    void undoWrite() {
        if (lost == null && applied.size() > mark) {
            rebuild(mark);
            forgetLocalWrites.run();
        }
    }

    /** The index its change will have in {@link #changes()}: the open change's. */
    int openChange() {
        return changes.size();
    }

    /** Commits the open change, if it holds anything. */
    void finish() {
        if (lost == null && tx != null) {
            commitOpen();
        }
    }

    List<LocalChange> changes() {
        return List.copyOf(changes);
    }

    /** Why the open change was lost (every write in it changed nothing), or null. */
    IllegalStateException lost() {
        return lost;
    }

    int lostChange() {
        return lostChange;
    }

    /** The loss is accounted for; a new open change may start at the same index. */
    void clearLost() {
        lost = null;
        lostChange = -1;
    }

    /** Rolls back a transaction still open (after an error that left {@code commitBatch} early). */
    void abandon() {
        if (tx != null) {
            tx.rollback();
            tx = null;
        }
    }

    private void open() {
        if (tx == null) {
            before = doc.getHeads();
            tx = doc.startTransaction();
        }
    }

    /** Sends the writes before the current mutation out as one change; the mutation's own writes move on. */
    private void closeAtMark() {
        List<Consumer<TxOps>> mine = List.copyOf(applied.subList(mark, applied.size()));
        if (!mine.isEmpty()) {
            rebuild(mark);
            if (lost != null) {
                return;
            }
        }
        commitOpen();
        if (!mine.isEmpty()) {
            replay(mine);
        }
    }

    private void commitOpen() {
        Optional<ChangeHash> hash = tx.commit();
        tx = null;
        applied.clear();
        ops = 0;
        bytes = 0;
        mark = 0;
        if (hash.isPresent()) {
            changes.add(committed.apply(before));
        }
    }

    /** Rolls the open change back and applies its first {@code keep} writes again. */
    private void rebuild(int keep) {
        List<Consumer<TxOps>> kept = List.copyOf(applied.subList(0, keep));
        tx.rollback();
        tx = null;
        applied.clear();
        ops = 0;
        bytes = 0;
        replay(kept);
        if (lost == null && keep <= mark) {
            mark = applied.size();
        }
    }

    private void replay(List<Consumer<TxOps>> writes) {
        if (writes.isEmpty()) {
            return;
        }
        open();
        TxOps on = TxOps.on(tx);
        try {
            for (Consumer<TxOps> w : writes) {
                w.accept(on);
                applied.add(w);
            }
        } catch (RuntimeException e) {
            tx.rollback();
            tx = null;
            applied.clear();
            ops = 0;
            bytes = 0;
            mark = 0;
            lostChange = changes.size();
            lost = new IllegalStateException("Automerge refused to apply again writes it had accepted in this batch"
                    + " (a bug): the writes of one change were rolled back and changed nothing: " + e.getMessage(), e);
            forgetLocalWrites.run();
            return;
        }
        ops += on.ops();
        bytes += on.bytes();
    }
}
