package io.agentmesh.node.core;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.state.AgentState;
import io.agentmesh.state.StateException;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.Snapshot;
import io.agentmesh.state.store.StoreException;

import java.util.List;
import java.util.Optional;

/**
 * Rebuilds the document from the store at start: the latest snapshot, then every change appended after it.
 *
 * <p>Why this is safe: snapshots are written by {@code ChangeAuthor.snapshot} behind every append issued before
 * them, so a snapshot on disk never holds a change that is not durable (which would let this node reuse a seq after
 * a crash). Replaying a change the snapshot already holds is a no-op in Automerge, so a conservative
 * {@code lastPosition} only costs time.
 */
public final class Recovery {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Recovery.class);
    private static final int REPLAY_BATCH = 4096;

    private Recovery() {
    }

    public record Result(AgentState state, long replayedChanges, boolean fromSnapshot) {
    }

    public static Result recover(byte[] agentId, ActorId actor, ChangeStore store) {
        return recover(agentId, actor, store, Optional.empty());
    }

    /**
     * As {@link #recover(byte[], ActorId, ChangeStore)}, turning the memory read view on from {@code savedView} when
     * it was taken at the snapshot's heads (so the replay keeps it up to date instead of the log being read whole).
     */
    public static Result recover(byte[] agentId, ActorId actor, ChangeStore store,
                                 Optional<io.agentmesh.state.MemoryViewFile.Saved> savedView) {
        Optional<Snapshot> snapshot = store.latestSnapshot();
        AgentState state;
        long position = 0;
        boolean fromSnapshot = false;
        state = null;
        if (snapshot.isPresent()) {
            try {
                state = AgentState.load(agentId, snapshot.get().document(), actor);
                position = snapshot.get().lastPosition();
                fromSnapshot = true;
                if (savedView.isPresent()) {
                    if (savedView.get().heads().equals(state.heads())) {
                        state.enableMemoryView(savedView.get());
                    } else {
                        log.info("the saved memory view is not of the stored snapshot; it will be read again");
                    }
                }
            } catch (StateException e) {
                // Every change is still in the store, so the document can be rebuilt without the snapshot.
                log.warn("the stored snapshot does not load ({}); rebuilding the document from the change log",
                        e.getMessage());
            }
        }
        if (state == null) {
            state = AgentState.create(agentId, actor);
        }
        long replayed = 0;
        while (true) {
            List<ChangeStore.StoredChange> batch = store.readFrom(position, REPLAY_BATCH);
            if (batch.isEmpty()) {
                break;
            }
            for (ChangeStore.StoredChange stored : batch) {
                try {
                    state.applyChange(stored.change().bytes());
                } catch (StateException e) {
                    throw new StoreException("stored change " + stored.change().actor() + "/" + stored.change().seq()
                            + " at position " + stored.position() + " does not apply (" + e.getMessage()
                            + "); the store is damaged: restore it from a backup or move it away to resync from peers", e);
                }
                position = stored.position();
                replayed++;
            }
        }
        return new Result(state, replayed, fromSnapshot);
    }
}
