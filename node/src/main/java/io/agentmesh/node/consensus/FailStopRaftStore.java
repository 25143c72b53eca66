package io.agentmesh.node.consensus;

import io.microraft.model.log.LogEntry;
import io.microraft.model.log.RaftGroupMembersView;
import io.microraft.model.log.SnapshotChunk;
import io.microraft.model.persistence.RaftEndpointPersistentState;
import io.microraft.model.persistence.RaftTermPersistentState;
import io.microraft.persistence.RaftStore;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Stops the node on the first store failure. MicroRaft turns a store IOException into a logged error and keeps going,
 * which would let a node vote or acknowledge entries it never made durable (invariant 3). Here the first failure calls
 * {@code onFatal} once (the node stops) and every later call fails at once, so nothing more is written to or claimed
 * from a store that failed.
 */
public final class FailStopRaftStore implements RaftStore {
    private final RaftStore delegate;
    private final Consumer<String> onFatal;
    private IOException failure;

    public FailStopRaftStore(RaftStore delegate, Consumer<String> onFatal) {
        this.delegate = delegate;
        this.onFatal = onFatal;
    }

    public boolean failed() {
        return failure != null;
    }

    private interface Write {
        void run() throws IOException;
    }

    private void guard(String what, Write w) throws IOException {
        if (failure != null) {
            throw new IOException("the Raft store failed earlier; refusing " + what, failure);
        }
        try {
            w.run();
        } catch (IOException | RuntimeException e) {
            failure = e instanceof IOException io ? io : new IOException(e);
            onFatal.accept("Raft store failed during " + what + ": " + e);
            throw failure;
        }
    }

    @Override
    public void persistAndFlushLocalEndpoint(RaftEndpointPersistentState s) throws IOException {
        guard("persistAndFlushLocalEndpoint", () -> delegate.persistAndFlushLocalEndpoint(s));
    }

    @Override
    public void persistAndFlushInitialGroupMembers(RaftGroupMembersView v) throws IOException {
        guard("persistAndFlushInitialGroupMembers", () -> delegate.persistAndFlushInitialGroupMembers(v));
    }

    @Override
    public void persistAndFlushTerm(RaftTermPersistentState s) throws IOException {
        guard("persistAndFlushTerm", () -> delegate.persistAndFlushTerm(s));
    }

    @Override
    public void persistLogEntries(List<LogEntry> entries) throws IOException {
        guard("persistLogEntries", () -> delegate.persistLogEntries(entries));
    }

    @Override
    public void persistSnapshotChunk(SnapshotChunk chunk) throws IOException {
        guard("persistSnapshotChunk", () -> delegate.persistSnapshotChunk(chunk));
    }

    @Override
    public void truncateLogEntriesFrom(long indexInclusive) throws IOException {
        guard("truncateLogEntriesFrom", () -> delegate.truncateLogEntriesFrom(indexInclusive));
    }

    @Override
    public void truncateLogEntriesUntil(long indexInclusive) throws IOException {
        guard("truncateLogEntriesUntil", () -> delegate.truncateLogEntriesUntil(indexInclusive));
    }

    @Override
    public void deleteSnapshotChunks(long logIndex, int chunkCount) throws IOException {
        guard("deleteSnapshotChunks", () -> delegate.deleteSnapshotChunks(logIndex, chunkCount));
    }

    @Override
    public void flush() throws IOException {
        guard("flush", delegate::flush);
    }
}
