package io.agentmesh.node.replication;

import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.Snapshot;
import io.agentmesh.state.store.VersionVector;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Another store's blocking calls and appends; the asynchronous reads and writes are the {@link ChangeStore}
 * defaults over them (they finish before they return) unless a subclass overrides them.
 */
class ForwardingStore implements ChangeStore {
    private final ChangeStore inner;

    ForwardingStore(ChangeStore inner) {
        this.inner = inner;
    }

    @Override
    public CompletableFuture<Void> append(SignedChange change) {
        return inner.append(change);
    }

    @Override
    public List<SignedChange> read(ActorId actor, long fromSeq, int maxCount) {
        return inner.read(actor, fromSeq, maxCount);
    }

    @Override
    public List<StoredChange> readFrom(long afterPosition, int maxCount) {
        return inner.readFrom(afterPosition, maxCount);
    }

    @Override
    public VersionVector vector() {
        return inner.vector();
    }

    @Override
    public long changeCount() {
        return inner.changeCount();
    }

    @Override
    public void saveSnapshot(Snapshot snapshot) {
        inner.saveSnapshot(snapshot);
    }

    @Override
    public Optional<Snapshot> latestSnapshot() {
        return inner.latestSnapshot();
    }

    @Override
    public Optional<byte[]> getMeta(String key) {
        return inner.getMeta(key);
    }

    @Override
    public void putMeta(String key, byte[] value) {
        inner.putMeta(key, value);
    }

    @Override
    public void close() {
        inner.close();
    }
}
