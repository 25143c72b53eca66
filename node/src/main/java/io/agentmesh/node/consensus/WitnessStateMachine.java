package io.agentmesh.node.consensus;

import io.agentmesh.node.actions.JournalOp.NewTerm;
import io.microraft.statemachine.StateMachine;

import java.util.List;
import java.util.function.Consumer;

/**
 * A witness's Raft state machine: it keeps nothing of the operations it applies, only how many it applied and the
 * highest index, so the witness stores the Raft log and configuration and never the action journal. Its snapshots
 * hold that count alone ({@link Snapshot}); the journal refuses one, and since a witness never leads and followers
 * never serve snapshots ({@link ConsensusConfig#toRaftConfig()}), no other member is ever asked to install one.
 */
final class WitnessStateMachine implements StateMachine {
    /** The one chunk of a witness snapshot: operations applied up to the snapshot's index. */
    record Snapshot(long operationsApplied) {
        Snapshot {
            if (operationsApplied < 0) {
                throw new IllegalArgumentException("operationsApplied must be >= 0, got " + operationsApplied);
            }
        }
    }

    private long operationsApplied;
    private long lastApplied;

    @Override
    public Object runOperation(long commitIndex, Object operation) {
        operationsApplied++;
        lastApplied = commitIndex;
        return null;
    }

    @Override
    public void takeSnapshot(long commitIndex, Consumer<Object> chunks) {
        chunks.accept(new Snapshot(operationsApplied));
    }

    /**
     * Installs a snapshot the leader sent: the leader's own (an action journal) carries nothing a witness keeps, so
     * only the index is noted; the count restarts from what a witness snapshot says, if it is one (after a restart).
     */
    @Override
    public void installSnapshot(long commitIndex, List<Object> chunks) {
        long restored = 0;
        for (Object chunk : chunks) {
            if (chunk instanceof Snapshot s) {
                restored = s.operationsApplied();
            }
        }
        operationsApplied = restored;
        lastApplied = commitIndex;
    }

    /** Never used: a witness never leads. Given for MicroRaft's contract, encodable like a leader's. */
    @Override
    public Object getNewTermOperation() {
        return NewTerm.INSTANCE;
    }

    /** Operations applied here, including those counted by an installed witness snapshot. */
    long operationsApplied() {
        return operationsApplied;
    }

    /** Highest log index applied here (operations or snapshot). */
    long lastApplied() {
        return lastApplied;
    }
}
