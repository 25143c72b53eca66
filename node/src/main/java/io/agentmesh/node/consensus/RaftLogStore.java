package io.agentmesh.node.consensus;

import io.microraft.persistence.RaftStore;
import io.microraft.persistence.RestoredRaftState;

import java.io.IOException;
import java.util.Optional;

/**
 * Durable Raft state (local endpoint, initial members, term and vote, log, snapshot chunks) behind MicroRaft's
 * {@link RaftStore} contract, plus the way back after a restart.
 *
 * <p>Durability contract, shared by every implementation: the {@code persistAndFlush*} methods and {@link #flush()}
 * are the durable points. Each makes everything written before it durable, in order, at once (one transaction):
 * writes between durable points may be lost together by a crash, never partly, and never out of order. That is at
 * least what MicroRaft asks (it only needs the named writes durable on return), and it lets {@code
 * persistLogEntries}, called for every append, stay a cheap buffered write.
 *
 * <p>Node thread only. Errors: any method may throw {@link IOException}; MicroRaft only logs those and carries on,
 * so wrap the store in a {@link FailStopRaftStore}, which stops the node instead.
 */
public interface RaftLogStore extends RaftStore, AutoCloseable {

    /**
     * What the durable points so far make up: empty for a store that never saw {@code persistAndFlushLocalEndpoint},
     * otherwise the endpoint, initial members, term and vote, the newest complete snapshot and the log entries after
     * it (contiguous, from snapshot index + 1).
     *
     * @throws IOException if the stored state is unreadable or inconsistent (a gap in the log, a bad row); never
     *                     silently a shorter log
     */
    Optional<RestoredRaftState> restore() throws IOException;

    /** Makes pending writes durable and releases the store. */
    @Override
    void close() throws IOException;
}
